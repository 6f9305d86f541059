/**
 * Egress: with `egress: "registry-only"`, an EgressNetwork with `trafficPolicy: Deny` in every
 * mesh namespace captures all traffic leaving the cluster (Linkerd 2.17+), and one route per
 * declared external host and port lets that host through: a TLSRoute matching the SNI for
 * https/tls, an HTTPRoute or GRPCRoute matching the Host header (and the declared methods, paths
 * or gRPC methods) for http/grpc. https://linkerd.io/2-edge/reference/egress-network/
 *
 * An EgressNetwork applies to a whole namespace, so a host one service may call becomes
 * reachable from every workload of that namespace; where that widens the mesh, it is reported.
 */
import { compareIds, type CallIR, type ExternalIR, type ExternalPortIR } from "../../compiler/ir.js";
import { type Context, type KubeObject, listNames, meta, servicesIn } from "./context.js";
import { API, boundedName, escapeRegex, linkerdDuration, POLICY_GROUP } from "./names.js";

const HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const egressNetworkName = (ctx: Context) => boundedName(`${ctx.ir.name}-egress`);

export function egress(ctx: Context): KubeObject[] {
  if (ctx.ir.egress !== "registry-only") return [];
  const network = egressNetworkName(ctx);
  const objects: KubeObject[] = ctx.ir.namespaces.map((ns) => ({
    apiVersion: API.egressNetwork,
    kind: "EgressNetwork",
    metadata: meta(ctx, network, ns),
    spec: { trafficPolicy: "Deny" },
  }));

  const externals = new Map(ctx.ir.external.map((x) => [x.id, x]));
  // (namespace, external, port) → the calls that need it.
  const needs = new Map<string, { ns: string; external: ExternalIR; port: ExternalPortIR; calls: CallIR[] }>();
  for (const call of ctx.ir.calls) {
    if (call.to.kind !== "external") continue;
    const external = externals.get(call.to.external);
    const port = external?.ports.find((p) => p.name === call.to.port);
    if (!external || !port) continue;
    const namespaces = call.from.kind === "any" ? ctx.ir.namespaces : [ctx.services.get(call.from.service)?.namespace].filter((n): n is string => n !== undefined);
    for (const ns of namespaces) {
      const key = `${ns}|${external.id}|${port.name}`;
      const entry = needs.get(key) ?? { ns, external, port, calls: [] };
      entry.calls.push(call);
      needs.set(key, entry);
    }
  }

  for (const { ns, external, port, calls } of [...needs.values()].sort((a, b) => compareIds(`${a.ns}|${a.external.id}|${a.port.name}`, `${b.ns}|${b.external.id}|${b.port.name}`))) {
    reportNamespaceWide(ctx, ns, external, port, calls);
    const name = boundedName(`${ctx.ir.name}-egress-${external.id}-${port.name}`);
    const parentRefs = [{ group: POLICY_GROUP, kind: "EgressNetwork", name: network, namespace: ns, port: port.port }];
    const backendRefs = [{ group: POLICY_GROUP, kind: "EgressNetwork", name: network }];
    const host = external.host.toLowerCase();
    if (!HOSTNAME.test(host)) {
      ctx.unsupported(
        "an external host that is not a DNS name",
        `Linkerd's egress routes match host names (SNI or Host header); "${external.host}" cannot be matched, so it stays blocked`,
        external.fieldSpans.host ?? external.span,
      );
      continue;
    }
    switch (port.protocol) {
      case "https":
      case "tls":
        reportClientPolicy(ctx, external, port, calls);
        objects.push({ apiVersion: API.tlsRoute, kind: "TLSRoute", metadata: meta(ctx, name, ns), spec: { hostnames: [host], parentRefs, rules: [{ backendRefs }] } });
        break;
      case "tcp":
        reportClientPolicy(ctx, external, port, calls);
        ctx.unsupported(
          "host names for TCP egress",
          `plain TCP carries no host name, so Linkerd can allow port ${port.port} to every external address, not only "${external.host}"`,
          port.span,
        );
        objects.push({ apiVersion: API.tcpRoute, kind: "TCPRoute", metadata: meta(ctx, name, ns), spec: { parentRefs, rules: [{ backendRefs }] } });
        break;
      case "http":
        objects.push({
          apiVersion: API.httpRoute,
          kind: "HTTPRoute",
          metadata: meta(ctx, name, ns, clientAnnotations(ctx, external, calls)),
          spec: { hostnames: [host], parentRefs, rules: httpRules(calls, backendRefs) },
        });
        break;
      case "grpc":
        objects.push({
          apiVersion: API.grpcRoute,
          kind: "GRPCRoute",
          metadata: meta(ctx, name, ns, clientAnnotations(ctx, external, calls)),
          spec: { hostnames: [host], parentRefs, rules: grpcRules(calls, backendRefs) },
        });
        break;
      default:
        throw new Error(`unknown external protocol ${JSON.stringify(port.protocol satisfies never)}`);
    }
  }
  return objects;
}

function reportNamespaceWide(ctx: Context, ns: string, external: ExternalIR, port: ExternalPortIR, calls: readonly CallIR[]): void {
  if (calls.some((c) => c.from.kind === "any")) return;
  const callers = new Set(calls.map((c) => (c.from.kind === "service" ? c.from.service : "")));
  const others = servicesIn(ctx, ns).filter((s) => !callers.has(s.id)).map((s) => s.id);
  if (others.length === 0) return;
  ctx.unsupported(
    "per-workload egress",
    `an EgressNetwork route applies to the whole namespace "${ns}", so ${listNames(others)} may also reach "${external.host}" port ${port.port}`,
    calls[0]!.span,
  );
}

function reportClientPolicy(ctx: Context, external: ExternalIR, port: ExternalPortIR, calls: readonly CallIR[]): void {
  for (const c of calls) {
    if (c.timeoutMs !== undefined) {
      ctx.unsupported("request timeouts on encrypted or TCP egress", `Linkerd sees only a connection to "${external.host}" port ${port.port}, not requests`, c.timeoutSpan ?? c.span);
    }
    if (c.retries) ctx.unsupported("retries on encrypted or TCP egress", `Linkerd sees only a connection to "${external.host}" port ${port.port}, not requests`, c.retries.span);
  }
}

/** Timeout and retries on an egress route, when its callers agree on them. */
function clientAnnotations(ctx: Context, external: ExternalIR, calls: readonly CallIR[]): Record<string, string> {
  const timeouts = new Set(calls.map((c) => c.timeoutMs));
  const out: Record<string, string> = {};
  if (timeouts.size > 1) {
    for (const c of calls) {
      ctx.unsupported("per-caller timeouts", `callers of "${external.host}" ask for different timeouts; Linkerd sets one per egress route`, c.timeoutSpan ?? c.span);
    }
  } else if (calls[0]?.timeoutMs !== undefined) out["timeout.linkerd.io/request"] = linkerdDuration(calls[0].timeoutMs);
  if (calls.some((c) => c.retries)) {
    for (const c of calls) if (c.retries) ctx.unsupported("retries on egress", `Linkerd's egress routes to "${external.host}" are configured without retries here`, c.retries.span);
  }
  return out;
}

function httpRules(calls: readonly CallIR[], backendRefs: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  if (calls.some((c) => !c.methods && !c.paths && !c.grpcMethods)) return [{ backendRefs }];
  const seen = new Set<string>();
  const matches: Record<string, unknown>[] = [];
  for (const c of calls) {
    const paths = [...(c.paths ?? []), ...(c.grpcMethods ?? []).map((m) => ({ kind: m.method ? "exact" : "prefix", value: m.method ? `/${m.service}/${m.method}` : `/${m.service}/` }))];
    for (const p of paths.length > 0 ? paths : [undefined]) {
      for (const method of c.methods ?? [undefined]) {
        const path = p && (p.kind === "exact" ? { type: "Exact", value: p.value } : p.value === "/" ? { type: "PathPrefix", value: "/" } : { type: "RegularExpression", value: `${escapeRegex(p.value)}.*` });
        const m = { ...(path ? { path } : {}), ...(method ? { method } : {}) };
        const key = JSON.stringify(m);
        if (!seen.has(key)) matches.push(m), seen.add(key);
      }
    }
  }
  const rules: Record<string, unknown>[] = [];
  for (let i = 0; i < matches.length; i += 8) rules.push({ matches: matches.slice(i, i + 8), backendRefs });
  return rules;
}

function grpcRules(calls: readonly CallIR[], backendRefs: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  if (calls.some((c) => !c.grpcMethods)) return [{ backendRefs }];
  const methods = [...new Map(calls.flatMap((c) => c.grpcMethods!).map((m) => [`${m.service}/${m.method ?? ""}`, m])).values()];
  const matches = methods.map((m) => ({ method: { type: "Exact", service: m.service, ...(m.method ? { method: m.method } : {}) } }));
  const rules: Record<string, unknown>[] = [];
  for (let i = 0; i < matches.length; i += 8) rules.push({ matches: matches.slice(i, i + 8), backendRefs });
  return rules;
}
