/**
 * The semantic diff of two meshes: what changed in terms of policy (who may call whom, how
 * traffic is handled, which identities exist), not in terms of YAML. Pure: IRs in, data out.
 */
import path from "node:path";
import { formatDuration } from "../../dsl/duration.js";
import { compareIds, type MeshIR, type MtlsMode, type RetryIR, type RouteRuleIR, type ServiceIR, type Span } from "../ir.js";
import { accessCovers, describeAccess, describeChange, unrestricted, type Grant } from "./access.js";
import { ownersOf, type parseCodeowners } from "./codeowners.js";

/** One version of the mesh, with where its files live so spans map to repository paths. */
export interface MeshSide {
  readonly ir: MeshIR;
  /** The mesh root: spans' files are relative to it. */
  readonly root: string;
  /** The repository root: reported files are relative to it. */
  readonly repo: string;
}

/** A change in who may call whom. */
export interface AccessChange {
  readonly kind: "added" | "removed" | "changed";
  /** The head lets through a request the base did not. */
  readonly widened: boolean;
  /** The base let through a request the head does not. */
  readonly narrowed: boolean;
  /** `productpage`, `any service` or `ingress "public"`. */
  readonly caller: string;
  /** `reviews:http`, or `stripe:https (external)`. */
  readonly callee: string;
  /** What the base allowed, in words (absent for an added edge). */
  readonly before?: string;
  /** What the head allows, in words (absent for a removed edge). */
  readonly after?: string;
  /** Why it is widened or narrowed: `new caller`, `methods +POST`, … */
  readonly details: readonly string[];
  /** The callee's declaration file, repository-relative. */
  readonly file?: string;
}

export interface MtlsChange {
  /** `reviews:http`, or `mesh default`. */
  readonly subject: string;
  readonly before: MtlsMode;
  readonly after: MtlsMode;
  /** Plaintext is now accepted where it was not (strict → permissive → disabled). */
  readonly relaxed: boolean;
  readonly file?: string;
}

export interface FieldChange {
  /** `timeout`, `retries.attempts`, `rule 2.to`, … */
  readonly field: string;
  readonly before: string;
  readonly after: string;
}

export interface TrafficChange {
  /** `call productpage → details:http`, `route reviews:http`, `service reviews`, `ingress "public"`. */
  readonly subject: string;
  readonly kind: "added" | "removed" | "changed";
  readonly changes: readonly FieldChange[];
  readonly file?: string;
}

export interface SharedIdentity {
  readonly identity: string;
  readonly services: readonly string[];
}

export interface MeshDiff {
  readonly base: string;
  readonly head: string;
  /** True when any change gives callers more access: see `access`, `mtls`, `egress`, `identities.shared`. */
  readonly widened: boolean;
  readonly access: readonly AccessChange[];
  readonly mtls: readonly MtlsChange[];
  readonly egress?: { readonly before: MeshIR["egress"]; readonly after: MeshIR["egress"]; readonly widened: boolean };
  readonly traffic: readonly TrafficChange[];
  readonly services: { readonly added: readonly string[]; readonly removed: readonly string[] };
  /** SPIFFE ids added and removed, and identities the head makes several services share. */
  readonly identities: { readonly added: readonly string[]; readonly removed: readonly string[]; readonly shared: readonly SharedIdentity[] };
  /** Files whose exposure changed (the callee's declaration), with their CODEOWNERS owners. */
  readonly files: readonly { readonly file: string; readonly owners: readonly string[] }[];
}

interface Edge {
  readonly caller: string;
  readonly callee: string;
  readonly grants: Grant[];
  /** Caller-side policies, one per declaration: compared for traffic changes. */
  readonly policies: { timeoutMs?: number; retries?: RetryIR }[];
  readonly file?: string;
}

const MTLS_RANK: Record<MtlsMode, number> = { strict: 2, permissive: 1, disabled: 0 };
const SKIP = new Set(["span", "fieldSpans", "timeoutSpan", "declared"]);

function fileOf(side: MeshSide, span: Span | undefined): string | undefined {
  return span && path.relative(side.repo, path.resolve(side.root, span.file)).split(path.sep).join("/");
}

/** Every allowed edge of a mesh, keyed `caller->callee`, with its grants merged. */
function edgesOf(side: MeshSide): Map<string, Edge> {
  const { ir } = side;
  const services = new Map(ir.services.map((s) => [s.id, s]));
  const external = new Map(ir.external.map((x) => [x.id, x]));
  const key = (id: string) => services.get(id)?.key ?? id;
  const edges = new Map<string, Edge>();
  const add = (from: string, caller: string, to: string, callee: string, grant: Grant, policy: Edge["policies"][number], span: Span | undefined) => {
    const k = `${from}->${to}`;
    const edge = edges.get(k) ?? { caller, callee, grants: [], policies: [], ...(span ? { file: fileOf(side, span) } : {}) };
    edge.grants.push(grant);
    edge.policies.push(policy);
    edges.set(k, edge);
  };
  for (const c of ir.calls) {
    const [from, caller] = c.from.kind === "any" ? ["any", "any service"] : [`service:${c.from.service}`, key(c.from.service)];
    const [to, callee, span] =
      c.to.kind === "service"
        ? [`service:${c.to.service}:${c.to.port}`, `${key(c.to.service)}:${c.to.port}`, services.get(c.to.service)?.span]
        : [`external:${c.to.external}:${c.to.port}`, `${c.to.external}:${c.to.port} (external)`, external.get(c.to.external)?.span];
    const grant = { ...(c.methods ? { methods: c.methods } : {}), ...(c.paths ? { paths: c.paths } : {}), ...(c.grpcMethods ? { grpcMethods: c.grpcMethods } : {}) };
    add(from, caller, to, callee, grant, { ...(c.timeoutMs !== undefined ? { timeoutMs: c.timeoutMs } : {}), ...(c.retries ? { retries: c.retries } : {}) }, span);
  }
  for (const ing of ir.ingresses) {
    for (const r of ing.routes) {
      const grant = { ...(r.methods ? { methods: r.methods } : {}), ...(r.paths ? { paths: r.paths } : {}) };
      const policy = { ...(r.timeoutMs !== undefined ? { timeoutMs: r.timeoutMs } : {}), ...(r.retries ? { retries: r.retries } : {}) };
      add(`ingress:${ing.name}`, `ingress "${ing.name}"`, `service:${r.to.service}:${r.to.port}`, `${key(r.to.service)}:${r.to.port}`, grant, policy, services.get(r.to.service)?.span);
    }
  }
  return edges;
}

/** Plain data without spans, for comparison and display. */
function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !SKIP.has(k))
        .sort(([a], [b]) => compareIds(a, b))
        .map(([k, v]) => [k, strip(v)]),
    );
  }
  return value;
}

function show(value: unknown, field: string): string {
  if (value === undefined) return "none";
  if (typeof value === "number" && /Ms$/.test(field)) return formatDuration(value);
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v !== "object")) return value.length === 0 ? "none" : value.join(", ");
  return JSON.stringify(value);
}

/** `retries.perTryTimeoutMs` → `retries.perTryTimeout`: fields as the DSL names them. */
const fieldName = (p: string) => p.replace(/Ms(?=\.|$)/g, "");

/** Leaf-level differences between two plain values; arrays compare whole. */
export function fieldChanges(before: unknown, after: unknown, prefix = ""): FieldChange[] {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => !SKIP.has(k)).sort(compareIds);
    return keys.flatMap((k) => fieldChanges(before[k], after[k], prefix ? `${prefix}.${k}` : k));
  }
  if (JSON.stringify(strip(before)) === JSON.stringify(strip(after))) return [];
  return [{ field: fieldName(prefix), before: show(strip(before), prefix), after: show(strip(after), prefix) }];
}

function describeRule(rule: RouteRuleIR): Record<string, unknown> {
  return {
    match: rule.match,
    to: rule.destinations.length === 0 ? "every version" : rule.destinations.map((d) => `${d.version} ${d.weight}%`).join(", "),
    timeoutMs: rule.timeoutMs,
    retries: rule.retries,
    fault: rule.fault,
    mirror: rule.mirror,
  };
}

function ruleChanges(before: readonly RouteRuleIR[], after: readonly RouteRuleIR[]): FieldChange[] {
  const out: FieldChange[] = [];
  for (let i = 0; i < Math.max(before.length, after.length); i++) {
    const b = before[i];
    const a = after[i];
    const label = `rule ${i + 1}`;
    if (b && a) out.push(...fieldChanges(describeRule(b), describeRule(a), label));
    else out.push({ field: label, before: b ? show(strip(describeRule(b)), "") : "none", after: a ? show(strip(describeRule(a)), "") : "none" });
  }
  return out;
}

function serviceShape(s: ServiceIR): Record<string, unknown> {
  return {
    ports: Object.fromEntries(s.ports.map((p) => [p.name, { port: p.port, targetPort: p.targetPort, protocol: p.protocol }])),
    versions: s.versions.map((v) => v.name),
    traffic: s.traffic,
    rateLimit: s.rateLimit,
  };
}

/** Compares two meshes. `owners` comes from the head repository's CODEOWNERS, when it has one. */
export function diffMeshes(
  base: MeshSide,
  head: MeshSide,
  labels: { base: string; head: string },
  owners?: ReturnType<typeof parseCodeowners>,
): MeshDiff {
  // ── access ──
  const before = edgesOf(base);
  const after = edgesOf(head);
  const access: AccessChange[] = [];
  const traffic: TrafficChange[] = [];
  for (const k of [...new Set([...before.keys(), ...after.keys()])].sort(compareIds)) {
    const b = before.get(k);
    const a = after.get(k);
    if (a && !b) {
      const wildcard = k.startsWith("any->") ? ["any service (wildcard caller)"] : [];
      access.push({
        kind: "added",
        widened: true,
        narrowed: false,
        caller: a.caller,
        callee: a.callee,
        after: describeAccess(a.grants),
        details: ["new caller", ...wildcard, ...(a.grants.some(unrestricted) ? ["any request (no restriction)"] : [])],
        ...(a.file ? { file: a.file } : {}),
      });
    } else if (b && !a) {
      access.push({ kind: "removed", widened: false, narrowed: true, caller: b.caller, callee: b.callee, before: describeAccess(b.grants), details: ["caller removed"], ...(b.file ? { file: b.file } : {}) });
    } else if (a && b) {
      const widened = !accessCovers(b.grants, a.grants);
      const narrowed = !accessCovers(a.grants, b.grants);
      if (widened || narrowed) {
        access.push({ kind: "changed", widened, narrowed, caller: a.caller, callee: a.callee, before: describeAccess(b.grants), after: describeAccess(a.grants), details: describeChange(b.grants, a.grants), ...(a.file ? { file: a.file } : {}) });
      }
      const policy = (e: Edge) => e.policies.map((p) => strip(p)).sort((x, y) => compareIds(JSON.stringify(x), JSON.stringify(y)));
      const [pb, pa] = [policy(b), policy(a)];
      if (JSON.stringify(pb) !== JSON.stringify(pa)) {
        const changes = pb.length === 1 && pa.length === 1 ? fieldChanges(pb[0], pa[0]) : [{ field: "policies", before: JSON.stringify(pb), after: JSON.stringify(pa) }];
        traffic.push({ subject: `call ${a.caller} → ${a.callee}`, kind: "changed", changes, ...(a.file ? { file: a.file } : {}) });
      }
    }
  }
  access.sort((x, y) => compareIds(x.callee, y.callee) || compareIds(x.caller, y.caller));

  // ── mTLS ──
  const mtls: MtlsChange[] = [];
  if (base.ir.mtls !== head.ir.mtls) mtls.push({ subject: "mesh default", before: base.ir.mtls, after: head.ir.mtls, relaxed: MTLS_RANK[head.ir.mtls] < MTLS_RANK[base.ir.mtls] });
  const baseServices = new Map(base.ir.services.map((s) => [s.id, s]));
  const headServices = new Map(head.ir.services.map((s) => [s.id, s]));
  for (const s of head.ir.services) {
    const old = baseServices.get(s.id);
    if (!old) continue;
    for (const p of s.ports) {
      const q = old.ports.find((x) => x.name === p.name);
      if (!q || q.mtls === p.mtls) continue;
      const file = fileOf(head, s.span);
      mtls.push({ subject: `${s.key}:${p.name}`, before: q.mtls, after: p.mtls, relaxed: MTLS_RANK[p.mtls] < MTLS_RANK[q.mtls], ...(file ? { file } : {}) });
    }
  }

  // ── traffic: routes, services, external hosts, ingresses ──
  const routeKey = (side: MeshSide, id: string) => {
    const r = side.ir.routes.find((x) => x.id === id)!;
    return `${side.ir.services.find((s) => s.id === r.service)?.key ?? r.service}:${r.port}`;
  };
  const beforeRoutes = new Map(base.ir.routes.map((r) => [r.id, r]));
  const afterRoutes = new Map(head.ir.routes.map((r) => [r.id, r]));
  for (const id of [...new Set([...beforeRoutes.keys(), ...afterRoutes.keys()])].sort(compareIds)) {
    const b = beforeRoutes.get(id);
    const a = afterRoutes.get(id);
    const side = a ? head : base;
    const subject = `route ${routeKey(side, id)}`;
    const file = fileOf(side, (a ?? b)!.span);
    const changes = ruleChanges(b?.rules ?? [], a?.rules ?? []);
    if (changes.length > 0) traffic.push({ subject, kind: !b ? "added" : !a ? "removed" : "changed", changes, ...(file ? { file } : {}) });
  }
  for (const s of head.ir.services) {
    const old = baseServices.get(s.id);
    if (!old) continue;
    const changes = fieldChanges(serviceShape(old), serviceShape(s));
    const file = fileOf(head, s.span);
    if (changes.length > 0) traffic.push({ subject: `service ${s.key}`, kind: "changed", changes, ...(file ? { file } : {}) });
  }
  const baseExternal = new Map(base.ir.external.map((x) => [x.id, x]));
  for (const x of head.ir.external) {
    const old = baseExternal.get(x.id);
    const changes = old ? fieldChanges({ host: old.host, ports: old.ports, traffic: old.traffic }, { host: x.host, ports: x.ports, traffic: x.traffic }) : [];
    const file = fileOf(head, x.span);
    if (!old) traffic.push({ subject: `external host ${x.id}`, kind: "added", changes: [{ field: "host", before: "none", after: x.host }], ...(file ? { file } : {}) });
    else if (changes.length > 0) traffic.push({ subject: `external host ${x.id}`, kind: "changed", changes, ...(file ? { file } : {}) });
  }
  for (const x of base.ir.external) {
    if (!head.ir.external.some((y) => y.id === x.id)) traffic.push({ subject: `external host ${x.id}`, kind: "removed", changes: [{ field: "host", before: x.host, after: "none" }] });
  }
  const ingressShape = (i: MeshIR["ingresses"][number]) => ({ port: i.port, protocol: i.protocol, hosts: i.hosts, tls: i.tls, gateway: { namespace: i.gateway.namespace, serviceAccount: i.gateway.serviceAccount } });
  for (const i of head.ir.ingresses) {
    const old = base.ir.ingresses.find((x) => x.name === i.name);
    if (!old) continue;
    const changes = fieldChanges(ingressShape(old), ingressShape(i));
    if (changes.length > 0) traffic.push({ subject: `ingress "${i.name}"`, kind: "changed", changes });
  }

  // ── services and identities ──
  const servicesAdded = head.ir.services.filter((s) => !baseServices.has(s.id)).map((s) => s.key);
  const servicesRemoved = base.ir.services.filter((s) => !headServices.has(s.id)).map((s) => s.key);
  const baseIdentities = new Map(base.ir.identities.map((i) => [i.spiffeId, i]));
  const headIdentities = new Map(head.ir.identities.map((i) => [i.spiffeId, i]));
  const shared: SharedIdentity[] = [];
  for (const i of head.ir.identities) {
    if (i.services.length < 2) continue;
    const had = new Set(baseIdentities.get(i.spiffeId)?.services ?? []);
    // A service joining an identity gets every permission the identity's other services have.
    if (i.services.some((s) => !had.has(s))) shared.push({ identity: i.spiffeId, services: i.services.map((id) => headServices.get(id)?.key ?? id) });
  }
  const egress = base.ir.egress !== head.ir.egress ? { before: base.ir.egress, after: head.ir.egress, widened: head.ir.egress === "allow-any" } : undefined;

  // ── files and owners ──
  const files = new Set<string>();
  for (const c of access) if (c.file) files.add(c.file);
  for (const m of mtls) if (m.file) files.add(m.file);
  for (const s of shared) for (const key of s.services) {
    const svc = head.ir.services.find((x) => x.key === key);
    const file = svc && fileOf(head, svc.span);
    if (file) files.add(file);
  }

  const widened = access.some((c) => c.widened) || mtls.some((m) => m.relaxed) || egress?.widened === true || shared.length > 0;
  return {
    base: labels.base,
    head: labels.head,
    widened,
    access,
    mtls,
    ...(egress ? { egress } : {}),
    traffic,
    services: { added: servicesAdded.sort(compareIds), removed: servicesRemoved.sort(compareIds) },
    identities: {
      added: [...headIdentities.keys()].filter((k) => !baseIdentities.has(k)).sort(compareIds),
      removed: [...baseIdentities.keys()].filter((k) => !headIdentities.has(k)).sort(compareIds),
      shared,
    },
    files: [...files].sort(compareIds).map((file) => ({ file, owners: owners ? ownersOf(owners, file) : [] })),
  };
}

/** True when the diff has nothing to report. */
export function isEmpty(d: MeshDiff): boolean {
  return (
    d.access.length === 0 &&
    d.mtls.length === 0 &&
    !d.egress &&
    d.traffic.length === 0 &&
    d.services.added.length + d.services.removed.length === 0 &&
    d.identities.added.length + d.identities.removed.length + d.identities.shared.length === 0
  );
}
