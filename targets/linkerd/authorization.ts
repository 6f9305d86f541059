/**
 * Inbound policy: a Server per service port (every port, so nothing depends on the namespace
 * default), the identities allowed on it (AuthorizationPolicy + MeshTLSAuthentication), and,
 * where calls are limited to some methods, paths or gRPC methods, the routes that carry those
 * limits (see route-plan.ts for why they are cut the way they are).
 *
 * The ingress gateway is a meshed workload: the services it forwards to admit its mesh identity,
 * like any caller's, rather than a network range (which would admit every unmeshed pod in the
 * range). Its own listener is the one place that takes unauthenticated clients, through a
 * NetworkAuthentication covering every address.
 */
import { compareIds, type CallIR, type GrpcMethodIR, type PathMatchIR, type PortIR, type Protocol, type ServiceIR, type Span } from "../../compiler/ir.js";
import { sharedContainerPortDetail } from "../conventions.js";
import { callsInto, type Context, ingressRoutesInto, type KubeObject, meta } from "./context.js";
import { ANY_IDENTITY, API, boundedName, GATEWAY_GROUP, linkerdIdentity, POLICY_GROUP, serverName } from "./names.js";
import {
  planGrpcRoutes,
  planHttpRoutes,
  type GrpcGrant,
  type GrpcMatch,
  type HttpGrant,
  type HttpMatch,
  type Mismatch,
  type RouteGroup,
  type RoutePlan,
} from "./route-plan.js";

/** The Server meshc writes for one container port of a service. */
export interface ServerInfo {
  readonly service: ServiceIR;
  /** The service ports served by this container port (usually one). */
  readonly ports: readonly PortIR[];
  readonly name: string;
  readonly protocol: Protocol;
  /** `gRPC` unless a gRPC port must be served as HTTP/2 (see `grpcAsHttp2`). */
  readonly proxyProtocol: "HTTP/1" | "HTTP/2" | "gRPC" | "opaque";
}

const MATCHES_PER_RULE = 8;
const RULES_PER_ROUTE = 16;

// GRPCRoute's CEL rules: what a method match may name.
const GRPC_SERVICE = /^\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$/i;
const GRPC_METHOD = /^[A-Za-z_][A-Za-z_0-9]*$/;

/** Every Server of the mesh, with its protocol decided. */
export function servers(ctx: Context): ServerInfo[] {
  const out: ServerInfo[] = [];
  for (const service of ctx.ir.services) {
    const byTarget = new Map<number, PortIR[]>();
    for (const p of service.ports) byTarget.set(p.targetPort, [...(byTarget.get(p.targetPort) ?? []), p]);
    for (const ports of [...byTarget.values()]) {
      const first = ports[0]!;
      // One Server per container port: its protocol is the first port's, its authorizations everyone's.
      if (ports.length > 1) {
        for (const port of ports) ctx.unsupported("two Service ports on one container port", sharedContainerPortDetail(service, ports, port, "Linkerd"), port.span);
      }
      out.push({ service, ports, name: serverName(service, first), protocol: first.protocol, proxyProtocol: proxyProtocol(ctx, service, ports) });
    }
  }
  return out;
}

function proxyProtocol(ctx: Context, service: ServiceIR, ports: readonly PortIR[]): ServerInfo["proxyProtocol"] {
  const protocol = ports[0]!.protocol;
  switch (protocol) {
    case "http":
      return "HTTP/1";
    case "http2":
      return "HTTP/2";
    case "grpc":
      return grpcAsHttp2(ctx, service, ports) ? "HTTP/2" : "gRPC";
    case "tcp":
      return "opaque";
    default:
      throw new Error(`unknown protocol ${protocol satisfies never}`);
  }
}

/**
 * A gRPC port is served as HTTP/2, with its gRPC methods matched as paths, when GRPCRoutes cannot
 * carry what the mesh asks: Linkerd applies HTTPLocalRateLimitPolicy to HTTP/1 and HTTP/2
 * servers only (the proxy's gRPC server protocol has no rate limit), GRPCRoutes cannot restrict
 * HTTP paths or methods (an ingress route may), and their CEL rules reject some method names.
 */
function grpcAsHttp2(ctx: Context, service: ServiceIR, ports: readonly PortIR[]): boolean {
  if (service.rateLimit) return true;
  const names = new Set(ports.map((p) => p.name));
  for (const call of callsTo(ctx, service, names)) {
    if (call.methods || call.paths) return true;
    if (call.grpcMethods?.some((m) => !GRPC_SERVICE.test(m.service) || (m.method !== undefined && !GRPC_METHOD.test(m.method)))) return true;
  }
  for (const { route: r } of ingressRoutesInto(ctx, service.id)) if (names.has(r.to.port) && (r.methods || r.paths)) return true;
  return false;
}

function callsTo(ctx: Context, service: ServiceIR, ports: ReadonlySet<string>): CallIR[] {
  return callsInto(ctx, service.id, ports);
}

/** `/package.Service/Method` (or the service's prefix): what a gRPC method is on the wire. */
export function grpcPath(m: GrpcMethodIR): PathMatchIR {
  return m.method !== undefined ? { kind: "exact", value: `/${m.service}/${m.method}` } : { kind: "prefix", value: `/${m.service}/` };
}

/** A path list that admits something less than every path (`/*` admits every path). */
function restricts(paths: readonly PathMatchIR[] | undefined): paths is readonly PathMatchIR[] {
  return paths !== undefined && !paths.some((p) => p.kind === "prefix" && p.value === "/");
}

interface Grants {
  readonly http: HttpGrant[];
  readonly grpc: GrpcGrant[];
}

function grantsFor(ctx: Context, server: ServerInfo): Grants {
  const names = new Set(server.ports.map((p) => p.name));
  const http: HttpGrant[] = [];
  const grpc: GrpcGrant[] = [];
  for (const call of callsTo(ctx, server.service, names)) {
    let identity: string;
    if (call.from.kind === "any") identity = ANY_IDENTITY;
    else {
      const caller = ctx.services.get(call.from.service);
      if (!caller) continue;
      identity = linkerdIdentity(caller.identity, ctx.ir);
    }
    const span = call.fieldSpans.grpcMethods ?? call.fieldSpans.paths ?? call.fieldSpans.methods ?? call.span;
    const paths = [call.paths, call.grpcMethods?.map(grpcPath)].filter(restricts);
    http.push({ identity, ...(call.methods ? { methods: call.methods } : {}), paths, span });
    grpc.push({ identity, ...(call.grpcMethods ? { methods: call.grpcMethods } : {}), span });
  }
  for (const { ingress, route: r } of ingressRoutesInto(ctx, server.service.id)) {
    if (!names.has(r.to.port)) continue;
    const identity = linkerdIdentity(ingress.gateway.identity, ctx.ir);
    const span = r.fieldSpans.paths ?? r.fieldSpans.methods ?? r.span;
    http.push({ identity, ...(r.methods ? { methods: r.methods } : {}), paths: [r.paths].filter(restricts), span });
    grpc.push({ identity, span });
  }
  return { http, grpc };
}

/** Servers, authorizations and inbound routes of every service port and ingress gateway. */
export function authorization(ctx: Context, all: readonly ServerInfo[]): KubeObject[] {
  const objects: KubeObject[] = [];
  const shortNames = identityShortNames(ctx);
  for (const server of all) {
    const ns = server.service.namespace;
    objects.push({
      apiVersion: API.server,
      kind: "Server",
      metadata: meta(ctx, server.name, ns),
      spec: {
        podSelector: { matchLabels: { ...server.service.selector } },
        port: server.ports[0]!.targetPort,
        proxyProtocol: server.proxyProtocol,
      },
    });
    const grants = grantsFor(ctx, server);
    const plan: RoutePlan<HttpMatch | GrpcMatch> =
      server.proxyProtocol === "gRPC" ? planGrpcRoutes(grants.grpc) : server.proxyProtocol === "opaque" ? openPlan(grants.http) : planHttpRoutes(grants.http);
    if (server.proxyProtocol === "opaque") reportOpaqueRestrictions(ctx, server, grants.http);
    reportMismatches(ctx, server, plan.mismatches);

    if (plan.serverIdentities.length > 0) {
      objects.push(...authorize(ctx, ns, server.name, { group: POLICY_GROUP, kind: "Server", name: server.name }, plan.serverIdentities));
    }
    const used = new Set<string>();
    for (const group of plan.groups) {
      let base = boundedName(`${server.name}-${groupSuffix(group, plan.serverIdentities, ns, shortNames)}`);
      for (let i = 2; used.has(base); i++) base = boundedName(`${server.name}-${groupSuffix(group, plan.serverIdentities, ns, shortNames)}-${i}`);
      used.add(base);
      const routes =
        server.proxyProtocol === "gRPC"
          ? grpcRoutes(ctx, ns, server.name, base, group as RouteGroup<GrpcMatch>)
          : httpRoutes(ctx, ns, server.name, base, group as RouteGroup<HttpMatch>);
      objects.push(...routes);
      if (group.identities.length === 0) continue;
      objects.push(meshTLSAuthentication(ctx, ns, base, group.identities));
      for (const route of routes) {
        objects.push(authorizationPolicy(ctx, ns, route.metadata.name, { group: GATEWAY_GROUP, kind: route.kind, name: route.metadata.name }, base));
      }
    }
  }
  objects.push(...gatewayServers(ctx));
  return objects;
}

/** Opaque ports carry no requests: every caller is authorized on the whole Server. */
function openPlan(grants: readonly HttpGrant[]): RoutePlan<HttpMatch> {
  const ids = new Set(grants.map((g) => g.identity));
  return { serverIdentities: ids.has(ANY_IDENTITY) ? [ANY_IDENTITY] : [...ids].sort(compareIds), groups: [], mismatches: [] };
}

function reportOpaqueRestrictions(ctx: Context, server: ServerInfo, grants: readonly HttpGrant[]): void {
  for (const g of grants) {
    if (g.methods || g.paths.length > 0) {
      ctx.unsupported(
        "request rules on a TCP port",
        `"${server.service.id}" port ${server.ports[0]!.targetPort} is opaque TCP to Linkerd, so the caller is admitted for the whole connection`,
        g.span,
      );
    }
  }
}

function reportMismatches(ctx: Context, server: ServerInfo, mismatches: readonly Mismatch[]): void {
  const first = new Map<string, { span: Span; m: Mismatch }>();
  for (const m of mismatches) {
    for (const span of m.spans) {
      const key = `${span.file}:${span.line}:${span.column}`;
      if (!first.has(key)) first.set(key, { span, m });
    }
  }
  const show = (ids: readonly string[]) => (ids.length === 0 ? "nobody" : ids.join(", "));
  for (const { span, m } of first.values()) {
    ctx.unsupported(
      "these path rules",
      `Linkerd matches path prefixes by whole segments and serves each request by its most specific route, so on "${server.service.id}" ${m.request} would admit ${show(m.actual)} instead of ${show(m.expected)}`,
      span,
    );
  }
}

function identityShortNames(ctx: Context): Map<string, { namespace: string; serviceAccount: string }> {
  const out = new Map<string, { namespace: string; serviceAccount: string }>();
  for (const id of ctx.ir.identities) out.set(linkerdIdentity(id, ctx.ir), id);
  for (const ingress of ctx.ir.ingresses) out.set(linkerdIdentity(ingress.gateway.identity, ctx.ir), ingress.gateway.identity);
  return out;
}

/** Names a route after the callers it admits, so a reviewer reads the policy from the file list. */
function groupSuffix(group: RouteGroup<unknown>, serverIdentities: readonly string[], ns: string, short: ReadonlyMap<string, { namespace: string; serviceAccount: string }>): string {
  if (group.identities.length === 0) return serverIdentities.length > 0 ? "default" : "deny";
  if (group.identities[0] === ANY_IDENTITY) return "from-any-workload";
  const names = group.identities.map((id) => {
    const s = short.get(id);
    if (!s) return id.split(".")[0]!;
    return s.namespace === ns ? s.serviceAccount : `${s.namespace}-${s.serviceAccount}`;
  });
  return `from-${names.join("-")}`;
}

interface TargetRef {
  readonly group: string;
  readonly kind: string;
  readonly name: string;
}

function meshTLSAuthentication(ctx: Context, ns: string, name: string, identities: readonly string[]): KubeObject {
  return { apiVersion: API.meshTLSAuthentication, kind: "MeshTLSAuthentication", metadata: meta(ctx, name, ns), spec: { identities: [...identities] } };
}

function authorizationPolicy(ctx: Context, ns: string, name: string, target: TargetRef, authentication: string): KubeObject {
  return {
    apiVersion: API.authorizationPolicy,
    kind: "AuthorizationPolicy",
    metadata: meta(ctx, name, ns),
    spec: {
      targetRef: { ...target },
      requiredAuthenticationRefs: [{ group: POLICY_GROUP, kind: "MeshTLSAuthentication", name: authentication }],
    },
  };
}

/** An AuthorizationPolicy and the MeshTLSAuthentication it requires, both named `name`. */
function authorize(ctx: Context, ns: string, name: string, target: TargetRef, identities: readonly string[]): KubeObject[] {
  return [authorizationPolicy(ctx, ns, name, target, name), meshTLSAuthentication(ctx, ns, name, identities)];
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const serverParent = (server: string) => ({ group: POLICY_GROUP, kind: "Server", name: server });

/** One group's matches as HTTPRoutes attached to the Server, within the CRD's size limits. */
function httpRoutes(ctx: Context, ns: string, server: string, base: string, group: RouteGroup<HttpMatch>): KubeObject[] {
  const rules = chunk(group.matches, MATCHES_PER_RULE).map((ms) => ({
    matches: ms.map((m) => ({ path: { type: m.path.type, value: m.path.value }, ...(m.method !== undefined ? { method: m.method } : {}) })),
  }));
  return chunk(rules, RULES_PER_ROUTE).map((rs, i) => ({
    apiVersion: API.httpRoute,
    kind: "HTTPRoute",
    metadata: meta(ctx, i === 0 ? base : boundedName(`${base}-${i + 1}`), ns),
    spec: { parentRefs: [serverParent(server)], rules: rs },
  }));
}

/** One group's matches as GRPCRoutes attached to the Server; the catch-all is a rule without matches. */
function grpcRoutes(ctx: Context, ns: string, server: string, base: string, group: RouteGroup<GrpcMatch>): KubeObject[] {
  const catchAll = group.matches.some((m) => m.service === undefined);
  const specific = group.matches.filter((m) => m.service !== undefined);
  const rules: Record<string, unknown>[] = [
    ...(catchAll ? [{}] : []),
    ...chunk(specific, MATCHES_PER_RULE).map((ms) => ({
      matches: ms.map((m) => ({ method: { type: "Exact", service: m.service, ...(m.method !== undefined ? { method: m.method } : {}) } })),
    })),
  ];
  return chunk(rules, RULES_PER_ROUTE).map((rs, i) => ({
    apiVersion: API.grpcRoute,
    kind: "GRPCRoute",
    metadata: meta(ctx, i === 0 ? base : boundedName(`${base}-${i + 1}`), ns),
    spec: { parentRefs: [serverParent(server)], rules: rs },
  }));
}

/**
 * The gateway's own listener: clients from outside the mesh are unauthenticated, so a
 * NetworkAuthentication for every address admits them (the gateway then routes by its own
 * rules). One Server per gateway workload and port, however many ingresses share it.
 */
function gatewayServers(ctx: Context): KubeObject[] {
  const objects: KubeObject[] = [];
  const seen = new Set<string>();
  for (const ingress of ctx.ir.ingresses) {
    const gw = ingress.gateway;
    const name = boundedName(`${gw.serviceAccount}-${ingress.port}`);
    const key = `${gw.namespace}/${name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    objects.push(
      { apiVersion: API.server, kind: "Server", metadata: meta(ctx, name, gw.namespace), spec: { podSelector: { matchLabels: { ...gw.selector } }, port: ingress.targetPort } },
      {
        apiVersion: API.authorizationPolicy,
        kind: "AuthorizationPolicy",
        metadata: meta(ctx, name, gw.namespace),
        spec: {
          targetRef: { group: POLICY_GROUP, kind: "Server", name },
          requiredAuthenticationRefs: [{ group: POLICY_GROUP, kind: "NetworkAuthentication", name }],
        },
      },
      {
        apiVersion: API.networkAuthentication,
        kind: "NetworkAuthentication",
        metadata: meta(ctx, name, gw.namespace),
        spec: { networks: [{ cidr: "0.0.0.0/0" }, { cidr: "::/0" }] },
      },
    );
  }
  return objects;
}
