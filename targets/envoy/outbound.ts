/**
 * Outbound listeners: one per upstream of the workload (a callee port or an external host port),
 * each on 127.0.0.1:<its local port>, which the app dials instead of the callee's address.
 */
import { assertNever, compareIds, type CallIR, type ExternalIR, type ExternalPortIR, type RouteIR, type ServiceIR, type Span } from "../../compiler/ir.js";
import { reportTcpPool, type UpstreamCodec } from "./clusters.js";
import { duration, extension, FILTER, socketAddress, typed, TYPE, type Json } from "./envoy-api.js";
import { callConstraints, hasConstraints, portKey, sameRetries, type MeshIndex, type Reporter, type RequestPolicy, type Upstream } from "./model.js";
import { externalClusterName, serviceHost, SYSTEM_CA_FILE } from "./naming.js";
import { ClusterRegistry, httpRoutes, outboundHttpFilters, type Caller, type Destination, type Selector } from "./routes.js";

function requestPolicy(c: Pick<CallIR, "timeoutMs" | "retries">): RequestPolicy {
  return { ...(c.timeoutMs !== undefined ? { timeoutMs: c.timeoutMs } : {}), ...(c.retries ? { retries: c.retries } : {}) };
}

/**
 * One selector when every call on the edge asks for the same timeout and retries (the callee's
 * RBAC decides what is allowed); otherwise one per call, matching its methods, paths and gRPC
 * methods, so each request gets the policy of the call it belongs to.
 */
export function callSelectors(calls: readonly CallIR[]): Selector[] {
  const first = calls[0];
  if (!first) return [];
  if (calls.every((c) => c.timeoutMs === first.timeoutMs && sameRetries(c.retries, first.retries))) {
    return [{ constraints: {}, policy: requestPolicy(first) }];
  }
  return calls.map((c) => ({ label: `call:${c.id}`, constraints: callConstraints(c), policy: requestPolicy(c) }));
}

/**
 * The selectors of a service's routes towards one callee port, so that each request gets the
 * timeout and retries of the call that admits it: the service's own calls and `anyService` ones
 * (`callSelectors`), then the calls of other services with the same identity, which admit its
 * requests too, and, when a route mirrors into the port copies of what this identity may send
 * elsewhere, the callee's own traffic policy for requests only those copies are admitted for
 * (`CallSpec`: timeout and retries "@default the callee's").
 */
export function serviceSelectors(index: MeshIndex, from: ServiceIR, upstream: Extract<Upstream, { kind: "service" }>): Selector[] {
  const key = portKey(upstream.service.id, upstream.port.name);
  const sameIdentity = (c: CallIR) => c.from.kind === "any" || (c.from.kind === "service" && index.services.get(c.from.service)?.identity.spiffeId === from.identity.spiffeId);
  const shared = (index.callsInto.get(key) ?? []).filter((c) => c.from.kind === "service" && c.from.service !== from.id && sameIdentity(c)).sort((a, b) => compareIds(a.id, b.id));
  const mirrored = (index.mirrorsInto.get(key) ?? []).some(({ route }) => (index.callsInto.get(portKey(route.service, route.port)) ?? []).some(sameIdentity));
  const calls = [...upstream.calls, ...shared];
  const first = calls[0];
  if (!first) return [];
  const fallback: RequestPolicy = requestPolicy(upstream.service.traffic);
  const agree = calls.every((c) => c.timeoutMs === first.timeoutMs && sameRetries(c.retries, first.retries));
  const coversAll = calls.some((c) => !hasConstraints(callConstraints(c)));
  const fallbackAgrees = first.timeoutMs === fallback.timeoutMs && sameRetries(first.retries, fallback.retries);
  // One selector for everything when the calls agree and no request outside them is admitted
  // with another policy: the callee's RBAC decides what is allowed.
  if (agree && (shared.length === 0 || coversAll) && (!mirrored || coversAll || fallbackAgrees)) return callSelectors(upstream.calls);
  if (agree && !mirrored) return [{ constraints: {}, policy: requestPolicy(first) }];
  return [
    ...calls.map((c) => ({ label: `call:${c.id}`, constraints: callConstraints(c), policy: requestPolicy(c) })),
    ...(mirrored && !coversAll ? [{ label: "mirrored", constraints: {}, policy: fallback }] : []),
  ];
}

function httpListener(name: string, statPrefix: string, localPort: number, routes: Json[], usesFault: boolean): Json {
  return {
    name,
    address: socketAddress("127.0.0.1", localPort),
    filter_chains: [
      {
        filters: [
          extension(FILTER.hcm, TYPE.hcm, {
            stat_prefix: statPrefix,
            route_config: { name, virtual_hosts: [{ name: "upstream", domains: ["*"], routes }] },
            http_filters: outboundHttpFilters(usesFault),
          }),
        ],
      },
    ],
  };
}

function tcpListener(name: string, statPrefix: string, localPort: number, target: Json, idleTimeoutMs: number | undefined): Json {
  return {
    name,
    address: socketAddress("127.0.0.1", localPort),
    filter_chains: [
      {
        filters: [
          extension(FILTER.tcpProxy, TYPE.tcpProxy, {
            stat_prefix: statPrefix,
            ...target,
            ...(idleTimeoutMs !== undefined ? { idle_timeout: duration(idleTimeoutMs) } : {}),
          }),
        ],
      },
    ],
  };
}

/** Caller-side request policy has no meaning on plain TCP; only what the call itself declares is reported. */
function reportTcpCallPolicy(calls: readonly CallIR[], what: string, reporter: Reporter): void {
  for (const call of calls) {
    if (call.fieldSpans.timeout) {
      reporter.unsupported("a request timeout on a TCP port", `${what} is plain TCP: there is no request to time out`, call.fieldSpans.timeout);
    }
    if (call.fieldSpans.retries) {
      reporter.unsupported("retries on a TCP port", `${what} is plain TCP: Envoy cannot replay a connection's bytes`, call.fieldSpans.retries);
    }
  }
}

/** A TCP route can only split by weight; matches, faults, mirrors and request policy are reported. */
function tcpTarget(registry: ClusterRegistry, reporter: Reporter, dest: Destination, route: RouteIR | undefined): Json {
  const what = `"${dest.service.id}" port "${dest.port.name}"`;
  const chosen = route?.rules.find((r) => r.match === undefined);
  for (const rule of route?.rules ?? []) {
    const span: Span = rule.span;
    if (rule.match) reporter.unsupported("a route match on a TCP port", `${what} is plain TCP: headers, paths and methods cannot be matched; the rule is left out`, span);
    if (rule.fault) reporter.unsupported("fault injection on a TCP port", `${what} is plain TCP: Envoy's fault filter works on HTTP requests`, rule.fieldSpans.fault ?? span);
    if (rule.mirror) reporter.unsupported("mirroring on a TCP port", `${what} is plain TCP: requests cannot be copied`, rule.fieldSpans.mirror ?? span);
    if (rule.timeoutMs !== undefined) reporter.unsupported("a request timeout on a TCP port", `${what} is plain TCP: there is no request to time out`, rule.fieldSpans.timeout ?? span);
    if (rule.retries) reporter.unsupported("retries on a TCP port", `${what} is plain TCP: Envoy cannot replay a connection's bytes`, rule.fieldSpans.retries ?? span);
  }
  const destinations = chosen?.destinations ?? [];
  if (destinations.length === 0) return { cluster: registry.service(dest, undefined) };
  if (destinations.length === 1) return { cluster: registry.service(dest, destinations[0]!.version) };
  return { weighted_clusters: { clusters: destinations.map((d) => ({ name: registry.service(dest, d.version), weight: d.weight })) } };
}

function externalCodec(protocol: ExternalPortIR["protocol"]): UpstreamCodec {
  switch (protocol) {
    case "http":
      return "http1";
    case "https":
      return "alpn";
    case "grpc":
      return "http2";
    case "tls":
    case "tcp":
      return "tcp";
    default:
      return assertNever(protocol, "external protocol");
  }
}

/** TLS origination towards an `https` host: SNI and certificate name are the host's, trust is the system's. */
function externalTls(external: ExternalIR): Json {
  return {
    name: FILTER.tls,
    typed_config: typed(TYPE.upstreamTls, {
      sni: external.host,
      common_tls_context: {
        alpn_protocols: ["h2", "http/1.1"],
        validation_context: {
          trusted_ca: { filename: SYSTEM_CA_FILE },
          match_typed_subject_alt_names: [{ san_type: "DNS", matcher: { exact: external.host } }],
        },
      },
    }),
  };
}

/** The listener of one upstream; its clusters go to the registry. */
export function outboundListener(index: MeshIndex, registry: ClusterRegistry, reporter: Reporter, caller: Caller, from: ServiceIR, upstream: Upstream, localPort: number): Json {
  switch (upstream.kind) {
    case "service": {
      const dest: Destination = { service: upstream.service, port: upstream.port };
      const name = `outbound|${serviceHost(upstream.service)}:${upstream.port.name}`;
      const stat = `outbound_${upstream.service.name}_${upstream.service.namespace}_${upstream.port.name}`;
      const route = index.routes.get(portKey(upstream.service.id, upstream.port.name));
      if (upstream.port.protocol === "tcp") {
        const what = `"${upstream.service.id}" port "${upstream.port.name}"`;
        reportTcpCallPolicy(upstream.calls, what, reporter);
        reportTcpPool(upstream.service.traffic, reporter, what, upstream.service.fieldSpans.traffic ?? upstream.service.span);
        return tcpListener(name, stat, localPort, tcpTarget(registry, reporter, dest, route), upstream.service.traffic.connectionPool?.idleTimeoutMs);
      }
      const table = httpRoutes(registry, reporter, caller, { kind: "service", dest }, route, serviceSelectors(index, from, upstream));
      return httpListener(name, stat, localPort, table.routes, table.usesFault);
    }
    case "external": {
      const { external, port } = upstream;
      const name = `outbound|${external.host}:${port.name}`;
      const stat = `outbound_${external.host}_${port.name}`;
      const codec = externalCodec(port.protocol);
      const clusterName = registry.external(
        {
          name: externalClusterName(external, port),
          discovery: "LOGICAL_DNS",
          endpoints: [{ host: external.host, port: port.port }],
          codec,
          traffic: external.traffic,
          ...(port.protocol === "https" ? { transportSocket: externalTls(external) } : {}),
        },
        external,
        port,
      );
      const what = `external host "${external.host}" port "${port.name}" (${port.protocol})`;
      if (codec === "tcp") {
        reportTcpCallPolicy(upstream.calls, what, reporter);
        reportTcpPool(external.traffic, reporter, what, external.fieldSpans.traffic ?? external.span);
        return tcpListener(name, stat, localPort, { cluster: clusterName }, external.traffic.connectionPool?.idleTimeoutMs);
      }
      // No sidecar on the other side checks the call's methods and paths: this one does.
      const checked = upstream.calls.some((c) => hasConstraints(callConstraints(c)));
      const selectors = checked
        ? upstream.calls.map((c) => ({
            ...(upstream.calls.length > 1 ? { label: `call:${c.id}` } : {}),
            constraints: callConstraints(c),
            policy: requestPolicy(c),
          }))
        : callSelectors(upstream.calls);
      const table = httpRoutes(registry, reporter, caller, { kind: "external", cluster: clusterName, host: external.host, traffic: external.traffic }, undefined, selectors);
      const routes = checked ? [...table.routes, { name: "not-allowed", match: { prefix: "/" }, direct_response: { status: 403 } }] : table.routes;
      return httpListener(name, stat, localPort, routes, table.usesFault);
    }
    default:
      return assertNever(upstream, "upstream");
  }
}
