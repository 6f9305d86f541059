// Istio's semantics over a set of Istio objects, for the requests a test sends: is it admitted
// (PeerAuthentication, then AuthorizationPolicy), where is it routed (VirtualService,
// DestinationRule subsets), and which hosts can a proxy reach (Sidecar).
//
// Written from Istio's reference documentation, not from meshc's generator:
// - https://istio.io/latest/docs/reference/config/security/authorization-policy/
//   CUSTOM, then DENY, then ALLOW: a request matching a DENY policy is denied; if any ALLOW
//   policy applies to the workload, the request must match one; with none it is allowed. A
//   policy without a selector applies to every workload of its namespace (or of the mesh, in the
//   root namespace). `spec: {}` is an ALLOW policy with no rules: it matches nothing.
//   A rule matches when its `from`, `to` and `when` all do; entries of a list are ORed, fields
//   of a source or operation ANDed. Strings match exactly, by prefix (`abc*`), by suffix
//   (`*abc`), or by presence (`*`). Principals exist only for mTLS peers. On TCP traffic an
//   ALLOW rule using HTTP-only fields never matches, while a DENY rule drops those fields.
// - https://istio.io/latest/docs/reference/config/security/peer_authentication/
//   workload policy (port level first) over namespace policy over root policy; PERMISSIVE when
//   none applies; UNSET inherits.
// - https://istio.io/latest/docs/reference/config/networking/virtual-service/ (first matching
//   HTTP route; match requests ORed, their fields ANDed) and destination-rule/ (subsets are
//   label filters on the host's endpoints; client TLS per port, else for the host; without a
//   DestinationRule auto-mTLS sends mTLS to a peer with a sidecar).
// - https://istio.io/latest/docs/reference/config/networking/sidecar/ (egress `namespace/host`).
//
// Gateways: PeerAuthentication does not apply to a gateway's listeners (only to sidecars'
// inbound traffic), its AuthorizationPolicies do; it routes by the VirtualServices bound to the
// Gateways that select its pods.
//
// Anything the evaluator does not model (ipBlocks, JWT, `when`, CUSTOM, hosts, targetRefs,
// delegate, ...) throws instead of being silently ignored.
//
// It plugs into the intent oracle (test/oracle/) as `oraclePlugin`, which decides admission and
// routing for every probe; `compareBeyondOracle` covers what the oracle does not ask (faults,
// mirrors, entry from outside the cluster, each proxy's egress).
import type { Artifact } from "../../compiler/artifact.js";
import type { Diagnostic } from "../../compiler/diagnostics.js";
import type { HttpMethod, MeshIR, ServiceIR } from "../../compiler/ir.js";
import { compareWithOracle, type Comparison, type ConcreteRequest, type EvaluatorPlugin, type TargetDecision, type TargetEvaluator } from "../oracle/evaluator.js";
import { decide, indexMesh, pathMatches, type Probe, type RouteOutcome } from "../oracle/intent.js";
import { enumerateProbes, requestsFor } from "../oracle/probes.js";

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace: string }; spec: any };

const ROOT_NAMESPACE = "istio-system";

/** A pod: its namespace, labels, and the principal of its sidecar (undefined: no sidecar). */
export interface Pod {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly principal?: string;
}

function selects(selector: Record<string, string> | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (!selector) return true;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** Istio's string match for principals, paths, namespaces, methods and ports. */
export function istioStringMatch(pattern: string, value: string | undefined): boolean {
  if (value === undefined || value === "") return false;
  if (pattern === "*") return true;
  if (pattern.endsWith("*")) return value.startsWith(pattern.slice(0, -1));
  if (pattern.startsWith("*")) return value.endsWith(pattern.slice(1));
  return value === pattern;
}

function stringMatch(m: Record<string, string>, value: string | undefined): boolean {
  if (value === undefined) return false;
  if ("exact" in m) return value === m.exact;
  if ("prefix" in m) return value.startsWith(m.prefix!);
  if ("regex" in m) return new RegExp(`^(?:${m.regex})$`).test(value);
  throw new Error(`unsupported StringMatch ${JSON.stringify(m)}`);
}

/** What the workload's proxy sees of a request: the peer principal (mTLS only), port, and for HTTP the request. */
/** An HTTP request as a proxy matches it. */
export interface Request {
  readonly method: HttpMethod;
  readonly path: string;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
}

export interface Inbound {
  readonly principal?: string;
  readonly port: number;
  readonly http?: Request;
}

const HTTP_ONLY_OPERATION = ["methods", "notMethods", "paths", "notPaths", "hosts", "notHosts"];
const KNOWN_SOURCE = new Set(["principals", "notPrincipals", "namespaces", "notNamespaces", "serviceAccounts", "notServiceAccounts"]);
const KNOWN_OPERATION = new Set(["ports", "notPorts", "methods", "notMethods", "paths", "notPaths"]);

function principalParts(principal: string): { ns?: string; sa?: string } {
  const m = /\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(principal);
  return m ? { ns: m[1], sa: m[2] } : {};
}

function sourceMatches(source: any, inbound: Inbound): boolean {
  for (const k of Object.keys(source)) if (!KNOWN_SOURCE.has(k)) throw new Error(`evaluator does not model source.${k}`);
  const p = inbound.principal;
  const { ns, sa } = p ? principalParts(p) : {};
  const any = (list: string[] | undefined, v: string | undefined) => list === undefined || list.some((x) => istioStringMatch(x, v));
  const none = (list: string[] | undefined, v: string | undefined) => list === undefined || !list.some((x) => istioStringMatch(x, v));
  const saRef = ns && sa ? `${ns}/${sa}` : undefined;
  return (
    any(source.principals, p) &&
    none(source.notPrincipals, p) &&
    any(source.namespaces, ns) &&
    none(source.notNamespaces, ns) &&
    (source.serviceAccounts === undefined || source.serviceAccounts.includes(saRef)) &&
    (source.notServiceAccounts === undefined || !source.notServiceAccounts.includes(saRef))
  );
}

function operationMatches(op: any, inbound: Inbound, action: string): boolean {
  for (const k of Object.keys(op)) if (!KNOWN_OPERATION.has(k)) throw new Error(`evaluator does not model operation.${k}`);
  const http = inbound.http;
  if (!http && HTTP_ONLY_OPERATION.some((k) => op[k] !== undefined)) {
    // TCP: an ALLOW rule with HTTP-only fields never matches; a DENY rule ignores them.
    if (action === "ALLOW") return false;
    op = Object.fromEntries(Object.entries(op).filter(([k]) => !HTTP_ONLY_OPERATION.includes(k)));
  }
  const port = String(inbound.port);
  const any = (list: string[] | undefined, v: string | undefined) => list === undefined || list.some((x) => istioStringMatch(x, v));
  const none = (list: string[] | undefined, v: string | undefined) => list === undefined || !list.some((x) => istioStringMatch(x, v));
  return (
    any(op.ports, port) &&
    none(op.notPorts, port) &&
    any(op.methods, http?.method) &&
    none(op.notMethods, http?.method) &&
    any(op.paths, http?.path) &&
    none(op.notPaths, http?.path)
  );
}

function ruleMatches(rule: any, inbound: Inbound, action: string): boolean {
  if (rule.when) throw new Error("evaluator does not model `when`");
  const from = rule.from === undefined || rule.from.some((f: any) => sourceMatches(f.source ?? {}, inbound));
  const to = rule.to === undefined || rule.to.some((t: any) => operationMatches(t.operation ?? {}, inbound, action));
  return from && to;
}

/** The Istio model of a set of generated objects. */
export class IstioEvaluator {
  private readonly byKind = new Map<string, Obj[]>();

  constructor(objects: readonly unknown[]) {
    for (const o of objects as Obj[]) {
      const list = this.byKind.get(o.kind) ?? [];
      list.push(o);
      this.byKind.set(o.kind, list);
    }
  }

  private all(kind: string): Obj[] {
    return this.byKind.get(kind) ?? [];
  }

  /** The effective PeerAuthentication mode for a pod's port. */
  peerMode(pod: Pod, port: number): "STRICT" | "PERMISSIVE" | "DISABLE" {
    const modeOf = (o: Obj | undefined, withPort: boolean): string | undefined => {
      if (!o) return undefined;
      const portMode = withPort ? o.spec.portLevelMtls?.[String(port)]?.mode : undefined;
      const m = portMode && portMode !== "UNSET" ? portMode : o.spec.mtls?.mode;
      return m && m !== "UNSET" ? m : undefined;
    };
    const pas = this.all("PeerAuthentication");
    const workload = pas.filter((o) => o.metadata.namespace === pod.namespace && o.spec.selector && selects(o.spec.selector.matchLabels, pod.labels));
    if (workload.length > 1) throw new Error(`several workload PeerAuthentications select ${JSON.stringify(pod.labels)}`);
    const namespace = pas.filter((o) => o.metadata.namespace === pod.namespace && !o.spec.selector);
    const root = pas.filter((o) => o.metadata.namespace === ROOT_NAMESPACE && !o.spec.selector);
    return (modeOf(workload[0], true) ?? modeOf(namespace[0], false) ?? modeOf(root[0], false) ?? "PERMISSIVE") as "STRICT" | "PERMISSIVE" | "DISABLE";
  }

  /** The TLS mode the caller's proxy uses towards a host's port: DestinationRule port level, then host level, else auto-mTLS. */
  clientTls(host: string, servicePort: number): "ISTIO_MUTUAL" | "DISABLE" {
    const dr = this.all("DestinationRule").find((o) => o.spec.host === host);
    const tp = dr?.spec.trafficPolicy;
    const portLevel = tp?.portLevelSettings?.find((p: any) => p.port?.number === servicePort)?.tls?.mode;
    const mode = portLevel ?? tp?.tls?.mode ?? "ISTIO_MUTUAL";
    if (mode !== "ISTIO_MUTUAL" && mode !== "DISABLE") throw new Error(`evaluator does not model tls mode ${mode}`);
    return mode;
  }

  /** CUSTOM, DENY, ALLOW over the policies that apply to the pod. */
  authorize(pod: Pod, inbound: Inbound): boolean {
    const applies = this.all("AuthorizationPolicy").filter((o) => {
      if (o.spec.targetRef || o.spec.targetRefs) throw new Error("evaluator does not model targetRefs");
      const inScope = o.metadata.namespace === pod.namespace || o.metadata.namespace === ROOT_NAMESPACE;
      return inScope && selects(o.spec.selector?.matchLabels, pod.labels);
    });
    const action = (o: Obj) => o.spec.action ?? "ALLOW";
    if (applies.some((o) => action(o) === "CUSTOM")) throw new Error("evaluator does not model CUSTOM policies");
    const matches = (o: Obj) => (o.spec.rules ?? []).some((r: any) => ruleMatches(r, inbound, action(o)));
    if (applies.filter((o) => action(o) === "DENY").some(matches)) return false;
    const allow = applies.filter((o) => action(o) === "ALLOW");
    return allow.length === 0 || allow.some(matches);
  }

  /**
   * End to end at the callee: the client proxy's TLS choice against the server's PeerAuthentication
   * (a mismatch fails the handshake), then authorization with the principal mTLS carried.
   */
  admits(caller: Pod, host: string, servicePort: number, callee: Pod, targetPort: number, http: Request | undefined): boolean {
    const mtls = caller.principal !== undefined && this.clientTls(host, servicePort) === "ISTIO_MUTUAL";
    const mode = this.peerMode(callee, targetPort);
    if (mode === "STRICT" && !mtls) return false;
    if (mode === "DISABLE" && mtls) return false;
    return this.authorize(callee, { ...(mtls ? { principal: caller.principal } : {}), port: targetPort, ...(http ? { http } : {}) });
  }

  private matchRequest(m: any, caller: Pod, servicePort: number | undefined, req: Request): boolean {
    const known = new Set(["uri", "method", "headers", "sourceLabels", "sourceNamespace", "port"]);
    for (const k of Object.keys(m)) if (!known.has(k)) throw new Error(`evaluator does not model match.${k}`);
    if (m.uri && !stringMatch(m.uri, req.path)) return false;
    if (m.method && !stringMatch(m.method, req.method)) return false;
    for (const [name, sm] of Object.entries(m.headers ?? {})) if (!stringMatch(sm as Record<string, string>, req.headers[name])) return false;
    if (m.sourceLabels && !selects(m.sourceLabels, caller.labels)) return false;
    if (m.sourceNamespace && m.sourceNamespace !== caller.namespace) return false;
    if (m.port !== undefined && m.port !== servicePort) return false;
    return true;
  }

  /** The HTTP route taken: from a sidecar (`gateway` undefined: VirtualServices bound to the mesh) or from a gateway `<ns>/<name>`. */
  route(caller: Pod, hosts: readonly string[], servicePort: number | undefined, req: Request, gateway?: string): { vs: Obj; route: any } | "no-route" | "no-virtual-service" {
    const bound = (o: Obj) => {
      const gws: string[] = o.spec.gateways ?? ["mesh"];
      if (!gateway) return gws.includes("mesh");
      return gws.some((g) => (g.includes("/") ? g : `${o.metadata.namespace}/${g}`) === gateway);
    };
    const vs = this.all("VirtualService").filter((o) => bound(o) && o.spec.hosts.some((h: string) => hosts.includes(h)));
    if (vs.length > 1) throw new Error(`several VirtualServices for ${hosts.join(",")}`);
    const v = vs[0];
    if (!v) return "no-virtual-service";
    for (const r of v.spec.http ?? []) {
      if (r.delegate || r.redirect || r.directResponse || r.rewrite) throw new Error("evaluator does not model delegate/redirect/directResponse/rewrite");
      const ok = r.match === undefined || r.match.some((m: any) => this.matchRequest(m, caller, servicePort, req));
      if (ok) return { vs: v, route: r };
    }
    return "no-route";
  }

  /** How many of a host's pod label sets a subset selects (the DestinationRule's subset labels are a filter on them). */
  subsetPods(host: string, subset: string, pods: readonly Readonly<Record<string, string>>[]): number {
    const dr = this.all("DestinationRule").find((o) => o.spec.host === host);
    const s = dr?.spec.subsets?.find((x: any) => x.name === subset);
    if (!s) throw new Error(`subset ${subset} of ${host} is not defined: Istio would answer 503`);
    return pods.filter((labels) => selects(s.labels, labels)).length;
  }

  /**
   * The route a gateway's proxy takes to one destination: the VirtualServices bound to the
   * Gateways selecting the gateway's pods, in order, the first HTTP route matching the request
   * and sending it to `host` (and `port`, when the route names one).
   */
  gatewayRoute(gatewayPod: Pod, host: string, port: number, req: Request): any | undefined {
    const gateways = this.all("Gateway").filter((g) => selects(g.spec.selector, gatewayPod.labels)).map((g) => `${g.metadata.namespace}/${g.metadata.name}`);
    for (const gw of gateways) {
      const vss = this.all("VirtualService").filter((o) => (o.spec.gateways ?? []).some((g: string) => (g.includes("/") ? g : `${o.metadata.namespace}/${g}`) === gw));
      for (const v of vss) {
        for (const r of v.spec.http ?? []) {
          const ok = r.match === undefined || r.match.some((m: any) => this.matchRequest(m, gatewayPod, undefined, req));
          const dest = r.route?.[0]?.destination;
          if (ok && dest?.host === host && (dest.port === undefined || dest.port.number === port)) return r;
        }
      }
    }
    return undefined;
  }

  /** Whether a proxy (selected by its pod) imports `host` of `namespace` through its Sidecar egress. */
  egressAllows(pod: Pod, namespace: string, host: string): boolean {
    const sidecars = this.all("Sidecar").filter((o) => o.metadata.namespace === pod.namespace && selects(o.spec.workloadSelector?.labels, pod.labels));
    const chosen = sidecars.find((o) => o.spec.workloadSelector) ?? sidecars[0];
    if (!chosen) return true;
    const hosts: string[] = (chosen.spec.egress ?? []).flatMap((e: any) => e.hosts);
    return hosts.some((h) => {
      const [ns, dns] = h.split("/") as [string, string];
      const nsOk = ns === "*" || (ns === "." ? namespace === pod.namespace : ns === namespace);
      const dnsOk = dns === "*" || (dns.startsWith("*.") ? host.endsWith(dns.slice(1)) : dns === host);
      return nsOk && dnsOk;
    });
  }
}

// ── the oracle plug-in ──────────────────────────────────────────────────────

const isObject = (a: Artifact): a is Extract<Artifact, { yaml: unknown }> => "yaml" in a;

/** The Istio objects among a target's artifacts. */
export function istioObjectsOf(artifacts: readonly Artifact[]): unknown[] {
  return artifacts.filter(isObject).map((a) => a.yaml).filter((o) => typeof (o as Obj).apiVersion === "string" && (o as Obj).apiVersion.includes("istio.io"));
}

const parseDuration = (d: string | undefined): number | undefined => {
  if (d === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(d);
  if (!m) throw new Error(`duration ${d}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms"];
};

/**
 * Where one HTTP route sends the request, as the oracle compares it. Subset names stand for
 * versions once the DestinationRule shows each selects exactly one of the destination's pod sets.
 * A route without a retry policy gets Istio's default: two retries.
 */
function routeDecision(ev: IstioEvaluator, r: any, pods: readonly Readonly<Record<string, string>>[]): NonNullable<TargetDecision["route"]> {
  const dests: any[] = r.route ?? [];
  let destinations: { version: string; weight: number }[] | "all";
  if (dests.length === 1 && dests[0].destination.subset === undefined) destinations = "all";
  else {
    destinations = dests.map((d) => {
      const selected = ev.subsetPods(d.destination.host, d.destination.subset, pods);
      if (selected !== 1) throw new Error(`subset ${d.destination.subset} of ${d.destination.host} selects ${selected} pod sets`);
      return { version: d.destination.subset as string, weight: dests.length === 1 ? 100 : (d.weight ?? 0) };
    });
  }
  const retries = r.retries === undefined ? { attempts: 2 } : r.retries.attempts === 0 ? null : { attempts: r.retries.attempts, ...(r.retries.perTryTimeout ? { perTryTimeoutMs: parseDuration(r.retries.perTryTimeout)! } : {}) };
  return { destinations, timeoutMs: parseDuration(r.timeout) ?? null, retries };
}

/** Decides the oracle's probes from Istio objects alone, with Istio's semantics. */
export function istioOracleEvaluator(objects: readonly unknown[]): TargetEvaluator {
  const ev = new IstioEvaluator(objects);
  return {
    target: "istio",
    decide(probe: Probe, req: ConcreteRequest): TargetDecision {
      const src = req.source;
      const caller: Pod = src.kind === "workload" ? { namespace: src.namespace, labels: src.labels, principal: src.principal } : { namespace: src.namespace, labels: src.labels };
      const http: Request | undefined = req.protocol === "tcp" ? undefined : { method: req.method ?? "GET", path: req.path ?? "/", headers: req.headers };
      const d = req.destination;
      // Every version's pods must agree: the request may land on any of them.
      const verdicts = d.pods.map((labels) => ev.admits(caller, d.host, d.port, { namespace: d.namespace, labels }, d.targetPort, http));
      const allowed = verdicts.every(Boolean);
      if (!allowed || !http || src.kind !== "workload") return { allowed, reason: allowed ? "admitted" : verdicts.some(Boolean) ? "admitted by some versions only" : "refused" };
      if (probe.caller.kind === "ingress") {
        const r = ev.gatewayRoute(caller, d.host, d.port, http);
        return { allowed, ...(r ? { route: routeDecision(ev, r, d.pods) } : {}) };
      }
      const r = ev.route(caller, [d.host], d.port, http);
      if (r === "no-virtual-service") return { allowed, route: { destinations: "all", timeoutMs: null, retries: { attempts: 2 } } };
      if (r === "no-route") return { allowed: false, reason: "no route matches: 404 at the caller's proxy" };
      return { allowed, route: routeDecision(ev, r.route, d.pods) };
    },
  };
}

/** The Istio evaluator for the oracle's equivalence suite (test/oracle/evaluator.ts). */
export const oraclePlugin: EvaluatorPlugin = {
  target: "istio",
  evaluator: (output) => istioOracleEvaluator(istioObjectsOf(output.artifacts)),
};

/** Every oracle probe of the mesh against the Istio objects; MESH200s of the istio target excuse what they cover. */
export function compareIstioWithOracle(ir: MeshIR, objects: readonly unknown[], diagnostics: readonly Diagnostic[], cap?: number): Comparison {
  return compareWithOracle(ir, istioOracleEvaluator(objects), enumerateProbes(ir, cap !== undefined ? { cap } : {}), diagnostics);
}

// ── what the oracle does not ask ────────────────────────────────────────────

export interface Mismatch {
  readonly probe: string;
  readonly mesh: unknown;
  readonly istio: unknown;
}

/** A Service's host in the cluster: the cluster domain is istiod's setting, which the mesh declares. */
const fqdn = (ir: Pick<MeshIR, "clusterDomain">, s: Pick<ServiceIR, "name" | "namespace">) => `${s.name}.${s.namespace}.svc.${ir.clusterDomain}`;

/** The pods of a service as the Kubernetes target deploys them: one set per version. */
function podsOf(s: ServiceIR): Pod[] {
  const variants = s.versions.length > 0 ? s.versions.map((v) => v.selector) : [s.selector];
  return variants.map((labels) => ({ namespace: s.namespace, labels: { ...s.labels, ...labels }, principal: s.identity.principal }));
}

/** The hosts a service's proxy needs, from the IR: what it (or `anyService`) calls, and the targets of mirrors on those ports. */
function meshEgress(ir: MeshIR, service: ServiceIR): Set<string> {
  const out = new Set<string>();
  const called = new Set<string>();
  for (const c of ir.calls) {
    if (c.from.kind === "service" && c.from.service !== service.id) continue;
    if (c.to.kind === "service") {
      out.add(c.to.service);
      called.add(`${c.to.service}:${c.to.port}`);
    } else out.add(`external/${c.to.external}`);
  }
  for (const r of ir.routes) {
    if (!called.has(`${r.service}:${r.port}`)) continue;
    for (const rule of r.rules) if (rule.mirror?.to.kind === "service" && rule.mirror.percent > 0) out.add(rule.mirror.to.service);
  }
  return out;
}

function faultAndMirror(o: RouteOutcome | undefined): unknown {
  if (!o) return null;
  const f = o.fault;
  return {
    fault: f ? { ...(f.delay ? { delay: [f.delay.fixedMs, f.delay.percent] } : {}), ...(f.abort ? { abort: ["httpStatus" in f.abort ? f.abort.httpStatus : f.abort.grpcStatus, f.abort.percent] } : {}) } : null,
    mirror: o.mirror && o.mirror.percent > 0 ? (o.mirror.kind === "version" ? [`@${o.mirror.version}`, o.mirror.percent] : [`${o.mirror.service}:${o.mirror.port}`, o.mirror.percent]) : null,
  };
}

function istioFaultAndMirror(ir: MeshIR, ev: IstioEvaluator, service: ServiceIR, r: any): unknown {
  const f = r.fault;
  let mirror: unknown = null;
  if (r.mirror) {
    const pct = r.mirrorPercentage?.value ?? 100;
    if (r.mirror.host === fqdn(ir, service) && r.mirror.subset !== undefined) mirror = [`@${r.mirror.subset}`, pct];
    else {
      const target = ir.services.find((s) => fqdn(ir, s) === r.mirror.host);
      const port = target?.ports.find((p) => (r.mirror.port ? p.port === r.mirror.port.number : target.ports.length === 1));
      mirror = [`${target?.id}:${port?.name}`, pct];
    }
  }
  return {
    fault: f
      ? {
          ...(f.delay ? { delay: [parseDuration(f.delay.fixedDelay), f.delay.percentage?.value ?? 100] } : {}),
          ...(f.abort ? { abort: [f.abort.httpStatus ?? f.abort.grpcStatus, f.abort.percentage?.value ?? 100] } : {}),
        }
      : null,
    mirror,
  };
}

/**
 * What the oracle's probes do not cover: fault injection and mirroring on every admitted route;
 * entry points from outside the cluster (the gateway's own policy, then its first matching
 * route picks the service); and each proxy's egress (Sidecar hosts against what its service calls).
 */
export function compareBeyondOracle(ir: MeshIR, objects: readonly unknown[]): { probes: number; mismatches: Mismatch[] } {
  const ev = new IstioEvaluator(objects);
  const index = indexMesh(ir);
  const mismatches: Mismatch[] = [];
  let probes = 0;
  const check = (probe: string, mesh: unknown, istio: unknown) => {
    probes += 1;
    if (JSON.stringify(mesh) !== JSON.stringify(istio)) mismatches.push({ probe, mesh, istio });
  };
  const asHttp = (r: ReturnType<typeof requestsFor>[number]): Request => ({
    method: r.grpcMethod !== undefined ? "POST" : (r.method ?? "GET"),
    path: r.grpcMethod !== undefined ? `/${r.grpcMethod}` : (r.path ?? "/"),
    headers: r.headers ?? {},
  });

  // Fault and mirror of the route each service's admitted request takes.
  for (const route of ir.routes) {
    if (!route.rules.some((r) => r.fault || r.mirror)) continue;
    const service = index.services.get(route.service);
    const port = service?.ports.find((p) => p.name === route.port);
    if (!service || !port || port.protocol === "tcp") continue;
    for (const caller of ir.services) {
      for (const request of requestsFor(ir, service, port)) {
        const d = decide(index, { caller: { kind: "service", service: caller.id }, callee: service.id, port: port.name, protocol: port.protocol, ...request });
        if (!d.allowed || !d.route) continue;
        const r = ev.route(podsOf(caller)[0]!, [fqdn(ir, service)], port.port, asHttp(request));
        check(`fault/mirror ${caller.id} -> ${route.id} ${JSON.stringify(request)}`, faultAndMirror(d.route), typeof r === "string" ? r : istioFaultAndMirror(ir, ev, service, r.route));
      }
    }
  }

  // Entry points from outside: the gateway's authorization policy, then its first matching route.
  for (const ingress of ir.ingresses) {
    const gatewayPod: Pod = { namespace: ingress.gateway.namespace, labels: ingress.gateway.selector, principal: ingress.gateway.identity.principal };
    const outsider: Pod = { namespace: "meshc-outside", labels: {} };
    for (const target of new Set(ingress.routes.map((r) => `${r.to.service}:${r.to.port}`))) {
      const service = index.services.get(target.slice(0, target.lastIndexOf(":")));
      const port = service?.ports.find((p) => `${service.id}:${p.name}` === target);
      if (!service || !port) continue;
      for (const request of requestsFor(ir, service, port)) {
        const req = asHttp(request);
        const entry = ingress.routes.find((r) => (!r.methods || r.methods.includes(req.method)) && (!r.paths || r.paths.some((p) => pathMatches(p, req.path))));
        let mesh: unknown = "refused";
        if (entry) {
          const callee = index.services.get(entry.to.service)!;
          const calleePort = callee.ports.find((p) => p.name === entry.to.port)!;
          const d = decide(index, { caller: { kind: "ingress", ingress: ingress.name }, callee: callee.id, port: calleePort.name, protocol: calleePort.protocol, method: req.method, path: req.path, headers: req.headers });
          const o = d.route;
          mesh = { to: `${callee.id}:${calleePort.name}`, destinations: o?.destinations, timeoutMs: o?.timeoutMs ?? null, retries: o?.retries && o.retries.attempts > 0 ? o.retries.attempts : null, ...(faultAndMirror(o) as object) };
        }
        let istio: unknown = "refused";
        const r = ev.route(outsider, [...ingress.hosts], undefined, req, `${ingress.gateway.namespace}/${ingress.name}`);
        if (ev.authorize(gatewayPod, { port: ingress.targetPort, http: req }) && typeof r !== "string") {
          const dest = r.route.route?.[0]?.destination;
          const callee = ir.services.find((s) => fqdn(ir, s) === dest?.host);
          const calleePort = callee?.ports.find((p) => (dest?.port ? p.port === dest.port.number : callee.ports.length === 1));
          const decision = callee ? routeDecision(ev, r.route, podsOf(callee).map((p) => p.labels)) : undefined;
          istio = {
            to: `${callee?.id}:${calleePort?.name}`,
            destinations: decision?.destinations,
            timeoutMs: decision?.timeoutMs ?? null,
            retries: decision?.retries ? decision.retries.attempts : null,
            ...(callee ? (istioFaultAndMirror(ir, ev, callee, r.route) as object) : {}),
          };
        }
        check(`entry ${ingress.name} ${req.method} ${req.path} ${JSON.stringify(req.headers)}`, mesh, istio);
      }
    }
  }

  // Egress: which hosts each proxy imports.
  for (const service of ir.services) {
    const want = meshEgress(ir, service);
    const pod = podsOf(service)[0]!;
    for (const target of ir.services) check(`egress ${service.id} -> ${target.id}`, want.has(target.id), ev.egressAllows(pod, target.namespace, fqdn(ir, target)));
    // Proxies know external hosts by name: two declarations of one host are one host to them.
    const hosts = new Set(ir.external.filter((x) => want.has(`external/${x.id}`)).map((x) => x.host));
    for (const x of ir.external) check(`egress ${service.id} -> external ${x.id}`, hosts.has(x.host), ev.egressAllows(pod, ir.namespace, x.host));
  }
  return { probes, mismatches };
}

