/**
 * What the mesh declares, read from the IR (the evaluator never sees it), and the comparison of
 * the evaluated envoy configs with it over every probe.
 */
import YAML from "yaml";
import type { Artifact } from "../../../compiler/artifact.js";
import type { CallIR, HttpMethod, IngressIR, MeshIR, PathMatchIR, PortIR, RouteRuleIR, ServiceIR } from "../../../compiler/ir.js";
import { EnvoyMesh, type HttpRequest, type MeshDecision, type Workload } from "../../../test/evaluators/envoy.js";

// ── What the mesh declares (read from the IR; the evaluator never sees it) ─────────────────────

const FOREIGN = "spiffe://elsewhere.example/ns/x/sa/intruder";

function pathMatches(p: PathMatchIR, path: string): boolean {
  return p.kind === "exact" ? path === p.value : path.startsWith(p.value);
}

function constraintsHold(c: { methods?: readonly HttpMethod[]; paths?: readonly PathMatchIR[]; grpcMethods?: CallIR["grpcMethods"] }, req: HttpRequest | undefined): boolean {
  if (!req) return c.methods === undefined && c.paths === undefined && c.grpcMethods === undefined;
  if (c.methods && !c.methods.includes(req.method as HttpMethod)) return false;
  if (c.paths && !c.paths.some((p) => pathMatches(p, req.path))) return false;
  if (c.grpcMethods && !c.grpcMethods.some((g) => (g.method === undefined ? req.path.startsWith(`/${g.service}/`) : req.path === `/${g.service}/${g.method}`))) return false;
  return true;
}

/** Whether a certificate with this SPIFFE id may make the request on the port (calls and ingress routes). */
function identityAllowed(ir: MeshIR, spiffeId: string | undefined, callee: ServiceIR, port: PortIR, req: HttpRequest | undefined): boolean {
  // `PortSpec.mtls`: a permissive (or disabled) port takes plaintext clients, every request.
  if (spiffeId === undefined) return port.mtls !== "strict";
  // A route mirroring into the port makes its callers' grants grants here too.
  const mirrored = ir.routes.filter((r) => r.rules.some((rule) => rule.mirror?.to.kind === "service" && rule.mirror.to.service === callee.id && rule.mirror.to.port === port.name && rule.mirror.percent > 0));
  for (const r of mirrored) {
    const source = ir.services.find((s) => s.id === r.service)!;
    const sourcePort = source.ports.find((p) => p.name === r.port)!;
    if (grantedDirectly(ir, spiffeId, source, sourcePort, req)) return true;
  }
  return grantedDirectly(ir, spiffeId, callee, port, req);
}

function grantedDirectly(ir: MeshIR, spiffeId: string, callee: ServiceIR, port: PortIR, req: HttpRequest | undefined): boolean {
  const inMesh = spiffeId.startsWith(`spiffe://${ir.trustDomain}/`);
  const services = new Map(ir.services.map((s) => [s.id, s]));
  const byCall = ir.calls.some(
    (c) =>
      c.to.kind === "service" &&
      c.to.service === callee.id &&
      c.to.port === port.name &&
      (c.from.kind === "any" ? inMesh : services.get(c.from.service)?.identity.spiffeId === spiffeId) &&
      constraintsHold(c, req),
  );
  const byIngress = ir.ingresses.some(
    (i) => i.gateway.identity.spiffeId === spiffeId && i.routes.some((r) => r.to.service === callee.id && r.to.port === port.name && constraintsHold(r, req)),
  );
  return byCall || byIngress;
}

/** The call that lets a service's app make the request through its own sidecar (it must be declared). */
function allowingCall(ir: MeshIR, caller: ServiceIR, callee: ServiceIR, port: PortIR, req: HttpRequest | undefined): CallIR | undefined {
  return ir.calls.find(
    (c) =>
      c.to.kind === "service" &&
      c.to.service === callee.id &&
      c.to.port === port.name &&
      (c.from.kind === "any" || c.from.service === caller.id) &&
      constraintsHold(c, req),
  );
}

function ruleMatches(rule: RouteRuleIR, req: HttpRequest): boolean {
  const m = rule.match;
  if (!m) return true;
  if (m.methods && !m.methods.includes(req.method as HttpMethod)) return false;
  if (m.paths && !m.paths.some((p) => pathMatches(p, req.path))) return false;
  return m.headers.every((h) => {
    const v = req.headers?.[h.name];
    if (v === undefined) return false;
    return h.match.kind === "exact" ? v === h.match.value : h.match.kind === "prefix" ? v.startsWith(h.match.value) : new RegExp(`^(?:${h.match.value})$`).test(v);
  });
}

function deploymentsOf(service: ServiceIR, version?: string): string[] {
  return service.versions.length === 0 ? [service.name] : service.versions.filter((v) => version === undefined || v.name === version).map((v) => `${service.name}-${v.name}`);
}

/** Where the mesh says a request goes (weighted sets of Deployments), and its timeout. */
function intendedSplit(
  ir: MeshIR,
  callee: ServiceIR,
  port: PortIR,
  req: HttpRequest,
  timeoutMs: number | undefined,
): { split: string[]; mirror?: string; timeoutMs: number } | undefined {
  const deployments = (version?: string) => deploymentsOf(callee, version);
  const route = ir.routes.find((r) => r.service === callee.id && r.port === port.name);
  if (!route) return { split: [`100:${deployments().join(",")}`], timeoutMs: timeoutMs ?? 0 };
  const rule = route.rules.find((r) => ruleMatches(r, req));
  // `Policy.routes`: each port goes to all its versions unless a rule says otherwise.
  if (!rule) return { split: [`100:${deployments().join(",")}`], timeoutMs: timeoutMs ?? 0 };
  const split = rule.destinations.length === 0 ? [`100:${deployments().join(",")}`] : rule.destinations.map((d) => `${d.weight}:${deployments(d.version).join(",")}`);
  const mirrorTo = rule.mirror?.to;
  const mirrored = mirrorTo?.kind === "version" ? deployments(mirrorTo.version) : mirrorTo ? deploymentsOf(ir.services.find((s) => s.id === mirrorTo.service)!) : undefined;
  const mirror = mirrored ? `${rule.mirror!.percent}%:${mirrored.join(",")}` : undefined;
  return { split: split.sort(), ...(mirror ? { mirror } : {}), timeoutMs: rule.timeoutMs ?? timeoutMs ?? 0 };
}

// ── Probes ─────────────────────────────────────────────────────────────────────────────────────

function workloads(ir: MeshIR): { services: Map<string, Workload[]>; gateways: Map<string, Workload> } {
  const services = new Map<string, Workload[]>();
  for (const s of ir.services) {
    services.set(
      s.id,
      s.versions.length > 0
        ? s.versions.map((v) => ({ namespace: s.namespace, deployment: `${s.name}-${v.name}`, labels: { ...s.labels, ...v.selector }, spiffeId: s.identity.spiffeId }))
        : [{ namespace: s.namespace, deployment: s.name, labels: { ...s.labels, ...s.selector }, spiffeId: s.identity.spiffeId }],
    );
  }
  const gateways = new Map<string, Workload>(
    ir.ingresses.map((i: IngressIR) => [i.name, { namespace: i.gateway.namespace, deployment: `${i.name}-gateway`, labels: i.gateway.selector, spiffeId: i.gateway.identity.spiffeId }]),
  );
  return { services, gateways };
}

/** Requests worth asking about a port: every declared method, path and gRPC method, and some nobody declared. */
function requests(ir: MeshIR, callee: ServiceIR, port: PortIR): (HttpRequest | undefined)[] {
  if (port.protocol === "tcp") return [undefined];
  const headers: Record<string, string>[] = [{}, { "end-user": "jason" }];
  const paths = new Set<string>(["/", "/admin"]);
  const methods = new Set<string>(["GET", "POST", "DELETE"]);
  const add = (ps: readonly PathMatchIR[] | undefined) => ps?.forEach((p) => paths.add(p.kind === "exact" ? p.value : `${p.value}x`));
  for (const c of ir.calls) {
    if (c.to.kind !== "service" || c.to.service !== callee.id || c.to.port !== port.name) continue;
    c.methods?.forEach((m) => methods.add(m));
    add(c.paths);
    for (const g of c.grpcMethods ?? []) {
      paths.add(`/${g.service}/${g.method ?? "Anything"}`);
      paths.add(`/${g.service}/NotDeclared`);
    }
  }
  for (const i of ir.ingresses) for (const r of i.routes) if (r.to.service === callee.id) add(r.paths);
  if (port.protocol === "grpc") methods.clear(), methods.add("POST"), paths.add("/hipstershop.Unknown/Nope");
  return [...methods].flatMap((method) => [...paths].flatMap((path) => headers.map((h): HttpRequest => ({ method, path, authority: "example.test", headers: h }))));
}

const seconds = (d: string | undefined) => (d === undefined ? NaN : Number(d.replace(/s$/, "")));

function hostMatches(hosts: readonly string[], authority: string): boolean {
  return hosts.some((h) => h === "*" || h === authority || (h.startsWith("*.") && authority.endsWith(h.slice(1))));
}

const describeReq = (req: HttpRequest | undefined) => (req ? `${req.method} ${req.path}${req.headers?.["end-user"] ? " (jason)" : ""}` : "TCP");

/** The split the evaluator found, in the intent's notation. */
function observedSplit(decision: Extract<MeshDecision, { allowed: true }>): string[] {
  return decision.hops.map((h) => `${h.weight}:${[...new Set(h.reached.map((r) => r.deployment))].sort().join(",")}`).sort();
}

/** Every mismatch between the evaluated configs and the mesh, as a readable line. */
export function mismatches(ir: MeshIR, artifacts: readonly Artifact[]): { lines: string[]; probes: number } {
  const mesh = new EnvoyMesh(artifacts as { path: string; yaml?: unknown }[], [...workloads(ir).services.values()].flat().concat([...workloads(ir).gateways.values()]), (t) => YAML.parse(t));
  const { services: byService, gateways } = workloads(ir);
  const lines: string[] = [];
  let probes = 0;
  const identities = [...new Set([...ir.services.map((s) => s.identity.spiffeId), ...ir.ingresses.map((i) => i.gateway.identity.spiffeId), FOREIGN])];
  for (const callee of ir.services) {
    for (const port of callee.ports) {
      const envoyPort = mesh.servicePortTarget(callee.namespace, callee.name, port.port);
      if (envoyPort === undefined) {
        lines.push(`${callee.id}:${port.name}: the Service is not pointed at the sidecar`);
        continue;
      }
      for (const req of requests(ir, callee, port)) {
        for (const target of byService.get(callee.id)!) {
          // Straight at the callee's sidecar, with each identity, and without a certificate.
          for (const id of [...identities, undefined]) {
            probes++;
            const got = mesh.inbound(target, envoyPort, id === undefined ? { tls: false } : { tls: true, peerUriSan: id }, req).allowed;
            const want = identityAllowed(ir, id, callee, port, req);
            if (got !== want) lines.push(`inbound ${id ?? "plaintext"} → ${target.deployment}:${port.name} ${describeReq(req)}: envoy ${got ? "allows" : "denies"}, mesh ${want ? "allows" : "denies"}`);
          }
        }
        // End to end, from every workload's app through its sidecar.
        for (const caller of ir.services) {
          for (const from of byService.get(caller.id)!) {
            probes++;
            const got = mesh.call(from, `${callee.name}.${callee.namespace}:${port.name}`, req);
            const call = allowingCall(ir, caller, callee, port, req);
            const allowed = call !== undefined;
            const split = req && call ? intendedSplit(ir, callee, port, req, call.timeoutMs) : undefined;
            const want = allowed && (req === undefined || split !== undefined);
            const where = `${from.deployment} → ${callee.id}:${port.name} ${describeReq(req)}`;
            if (got.allowed !== want) {
              lines.push(`call ${where}: envoy ${got.allowed ? "allows" : `denies (${got.reason})`}, mesh ${want ? "allows" : "denies"}`);
              continue;
            }
            if (!got.allowed || !req || !split) continue;
            const seen = observedSplit(got);
            if (seen.join(" ") !== split.split.join(" ")) lines.push(`route ${where}: envoy splits ${seen.join(" ")}, mesh ${split.split.join(" ")}`);
            const timeout = got.route.kind === "route" ? seconds(got.route.timeout) * 1000 : undefined;
            if (timeout !== split.timeoutMs) lines.push(`timeout ${where}: envoy ${timeout}ms, mesh ${split.timeoutMs}ms`);
            const mirrors = got.route.kind === "route" ? got.route.mirrors.map((m) => `${m.fraction.numerator}%:${mesh.clusterTargets(from, m.cluster).join(",")}`) : [];
            if (mirrors.join(" ") !== (split.mirror ?? "")) lines.push(`mirror ${where}: envoy ${mirrors.join(" ") || "none"}, mesh ${split.mirror ?? "none"}`);
          }
        }
      }
    }
  }
  // From outside, through each ingress gateway.
  for (const ingress of ir.ingresses) {
    const gateway = gateways.get(ingress.name)!;
    const targets = ingress.routes.map((r) => ir.services.find((s) => s.id === r.to.service)!);
    for (const callee of new Set(targets)) {
      for (const port of callee.ports) {
        const authorities = [...ingress.hosts.map((h) => (h === "*" ? "example.test" : h.replace(/^\*\./, "www."))), "not-served.test"];
        for (const base of requests(ir, callee, port)) {
          if (!base) continue;
          for (const authority of authorities) {
            const req = { ...base, authority };
            probes++;
            const route = hostMatches(ingress.hosts, authority)
              ? ingress.routes.find((r) => constraintsHold({ ...(r.methods ? { methods: r.methods } : {}), ...(r.paths ? { paths: r.paths } : {}) }, req))
              : undefined;
            const routed = route && ir.services.find((s) => s.id === route.to.service);
            const routedPort = routed?.ports.find((p) => p.name === route!.to.port);
            const split = routed && routedPort && routedPort.protocol !== "tcp" ? intendedSplit(ir, routed, routedPort, req, route!.timeoutMs) : undefined;
            const got = mesh.ingress(gateway, ingress.port, req, { tls: ingress.tls !== undefined });
            const where = `ingress ${ingress.name} ${authority} ${describeReq(req)}`;
            if (got.allowed !== (split !== undefined)) {
              lines.push(`${where}: envoy ${got.allowed ? "allows" : `denies (${got.reason})`}, mesh ${split ? "allows" : "denies"}`);
              continue;
            }
            if (!got.allowed || !split) continue;
            if (observedSplit(got).join(" ") !== split.split.join(" ")) lines.push(`${where}: envoy splits ${observedSplit(got).join(" ")}, mesh ${split.split.join(" ")}`);
            const timeout = got.route.kind === "route" ? seconds(got.route.timeout) * 1000 : undefined;
            if (timeout !== split.timeoutMs) lines.push(`timeout ${where}: envoy ${timeout}ms, mesh ${split.timeoutMs}ms`);
          }
        }
      }
    }
  }
  return { lines, probes };
}

/** A copy of the artifacts with one ConfigMap's bootstrap edited. */
export function mutateBootstrap(artifacts: readonly Artifact[], configMap: string, edit: (bootstrap: any) => void): Artifact[] {
  return artifacts.map((a) => {
    if (!("yaml" in a)) return a;
    const o = a.yaml as { kind: string; metadata: { name: string }; data?: Record<string, string> };
    if (o.kind !== "ConfigMap" || o.metadata.name !== configMap) return a;
    const bootstrap = YAML.parse(o.data!["envoy.yaml"]!);
    edit(bootstrap);
    return { ...a, yaml: { ...o, data: { ...o.data, "envoy.yaml": YAML.stringify(bootstrap) } } };
  });
}

