/**
 * What the mesh means, read from the IR alone: who may send which request to which service port.
 * Targets' evaluators are compared with this over a set of probes: every caller identity (each
 * service account, each ingress gateway, an identity the mesh never declared, and an
 * unauthenticated client) against every service port, with the declared methods, paths and gRPC
 * methods and undeclared ones around them.
 *
 * The meaning, from dsl/policy.ts: default-deny; a call admits its caller's identity (or, for
 * `anyService`, every authenticated workload) on one port, for the requests its `methods`,
 * `paths` and `grpcMethods` allow (all must hold; an absent one allows everything); paths are
 * exact or plain string prefixes; an ingress route admits the gateway's identity for the requests
 * its methods and paths allow. Routes, timeouts and the like do not change who may call.
 */
import type { CallIR, GrpcMethodIR, MeshIR, PathMatchIR, PortIR, ServiceIR } from "../../compiler/ir.js";

export type Caller =
  | { readonly kind: "identity"; readonly label: string; readonly namespace: string; readonly serviceAccount: string }
  | { readonly kind: "unauthenticated"; readonly label: string };

export type ProbeRequest =
  | { readonly kind: "http"; readonly method: string; readonly path: string }
  | { readonly kind: "grpc"; readonly service: string; readonly method: string }
  | { readonly kind: "tcp" };

export interface Probe {
  readonly caller: Caller;
  readonly service: ServiceIR;
  readonly port: PortIR;
  readonly request: ProbeRequest;
}

export const UNKNOWN_SERVICE_ACCOUNT = "meshc-undeclared-workload";

/** Every service account of the mesh, every ingress gateway, an undeclared identity, and a plaintext client. */
export function callers(ir: MeshIR): Caller[] {
  const out = new Map<string, Caller>();
  for (const id of ir.identities) out.set(`${id.namespace}/${id.serviceAccount}`, { kind: "identity", label: `${id.namespace}/${id.serviceAccount}`, ...id });
  for (const i of ir.ingresses) {
    const g = i.gateway.identity;
    out.set(`${g.namespace}/${g.serviceAccount}`, { kind: "identity", label: `gateway ${g.namespace}/${g.serviceAccount}`, namespace: g.namespace, serviceAccount: g.serviceAccount });
  }
  out.set("unknown", { kind: "identity", label: "undeclared identity", namespace: ir.namespace, serviceAccount: UNKNOWN_SERVICE_ACCOUNT });
  out.set("plaintext", { kind: "unauthenticated", label: "unauthenticated client" });
  return [...out.values()];
}

const callsTo = (ir: MeshIR, service: ServiceIR, port: PortIR) =>
  ir.calls.filter((c) => c.to.kind === "service" && c.to.service === service.id && c.to.port === port.name);
const ingressRoutesTo = (ir: MeshIR, service: ServiceIR, port: PortIR) =>
  ir.ingresses.flatMap((i) => i.routes.filter((r) => r.to.service === service.id && r.to.port === port.name).map((r) => ({ ingress: i, route: r })));

function pathVariants(p: PathMatchIR): string[] {
  if (p.kind === "exact") return [p.value, `${p.value}/`, `${p.value}x`];
  const base = p.value.replace(/\/+$/, "");
  return [p.value, `${p.value}probe`, `${p.value}probe/deeper`, ...(base ? [base, `${base}probe`] : [])];
}

/** Declared and undeclared requests for one port. */
export function requestsFor(ir: MeshIR, service: ServiceIR, port: PortIR): ProbeRequest[] {
  if (port.protocol === "tcp") return [{ kind: "tcp" }];
  const calls = callsTo(ir, service, port);
  const ingress = ingressRoutesTo(ir, service, port);
  const grpc: GrpcMethodIR[] = calls.flatMap((c) => c.grpcMethods ?? []);
  const out: ProbeRequest[] = [];
  if (port.protocol === "grpc" || port.protocol === "http2") {
    const seen = new Set<string>();
    const add = (s: string, m: string) => {
      if (!seen.has(`${s}/${m}`)) seen.add(`${s}/${m}`), out.push({ kind: "grpc", service: s, method: m });
    };
    for (const m of grpc) add(m.service, m.method ?? "AnyMethod");
    for (const s of new Set(grpc.map((m) => m.service))) add(s, "UndeclaredMethod");
    add("meshc.Undeclared", "Call");
  }
  if (port.protocol !== "grpc" || ingress.some(({ route }) => route.paths || route.methods)) {
    const paths = new Set(["/", "/undeclared"]);
    for (const p of [...calls.flatMap((c) => c.paths ?? []), ...ingress.flatMap(({ route }) => route.paths ?? [])]) for (const v of pathVariants(p)) paths.add(v);
    const methods = new Set(["GET", "POST", "DELETE", ...calls.flatMap((c) => c.methods ?? []), ...ingress.flatMap(({ route }) => route.methods ?? [])]);
    for (const path of [...paths].sort()) for (const method of [...methods].sort()) out.push({ kind: "http", method, path });
  }
  return out;
}

export function probes(ir: MeshIR): Probe[] {
  const all = callers(ir);
  const out: Probe[] = [];
  for (const service of ir.services) {
    for (const port of service.ports) {
      const requests = requestsFor(ir, service, port);
      for (const caller of all) for (const request of requests) out.push({ caller, service, port, request });
    }
  }
  return out;
}

const pathAllows = (p: PathMatchIR, path: string) => (p.kind === "exact" ? path === p.value : path.startsWith(p.value));
const grpcAllows = (m: GrpcMethodIR, service: string, method: string) => m.service === service && (m.method === undefined || m.method === method);

/** The HTTP view of a request: gRPC is a POST to /package.Service/Method. */
function asHttp(r: ProbeRequest): { method: string; path: string } | undefined {
  if (r.kind === "http") return r;
  if (r.kind === "grpc") return { method: "POST", path: `/${r.service}/${r.method}` };
  return undefined;
}

function requestAllowed(rules: { methods?: readonly string[]; paths?: readonly PathMatchIR[]; grpcMethods?: readonly GrpcMethodIR[] }, r: ProbeRequest): boolean {
  if (r.kind === "tcp") return true;
  const http = asHttp(r)!;
  if (rules.methods && !rules.methods.includes(http.method)) return false;
  if (rules.paths && !rules.paths.some((p) => pathAllows(p, http.path))) return false;
  if (rules.grpcMethods) {
    if (r.kind === "grpc") return rules.grpcMethods.some((m) => grpcAllows(m, r.service, r.method));
    const [, service, method, ...rest] = http.path.split("/");
    return http.method === "POST" && rest.length === 0 && service !== undefined && method !== undefined && rules.grpcMethods.some((m) => grpcAllows(m, service, method));
  }
  return true;
}

function callAdmits(ir: MeshIR, call: CallIR, caller: Caller): boolean {
  if (caller.kind === "unauthenticated") return false;
  if (call.from.kind === "any") return true;
  const from = ir.services.find((s) => s.id === (call.from as { service: string }).service);
  return from !== undefined && from.identity.namespace === caller.namespace && from.identity.serviceAccount === caller.serviceAccount;
}

/** Whether the mesh allows the probe. */
export function intended(ir: MeshIR, probe: Probe): boolean {
  const { caller, service, port, request } = probe;
  for (const call of callsTo(ir, service, port)) if (callAdmits(ir, call, caller) && requestAllowed(call, request)) return true;
  if (caller.kind === "identity") {
    for (const { ingress, route } of ingressRoutesTo(ir, service, port)) {
      const g = ingress.gateway.identity;
      if (g.namespace === caller.namespace && g.serviceAccount === caller.serviceAccount && requestAllowed(route, request)) return true;
    }
  }
  return false;
}

/** Probe in a line: `caller → service:port request`. */
export function describe(p: Probe): string {
  const r = p.request.kind === "http" ? `${p.request.method} ${p.request.path}` : p.request.kind === "grpc" ? `${p.request.service}/${p.request.method}` : "tcp";
  return `${p.caller.label} → ${p.service.id}:${p.port.name} ${r}`;
}
