/**
 * Inbound listeners: one per service port, terminating mTLS, admitting exactly the declared
 * callers (RBAC on their SPIFFE ids and, where declared, on method, path and gRPC method),
 * rate-limiting where declared, and forwarding to the app on 127.0.0.1:<targetPort>.
 */
import { assertNever, type PortIR, type ServiceIR } from "../../compiler/ir.js";
import { cluster } from "./clusters.js";
import { duration, extension, FILTER, meshDownstreamTls, pathMatcher, socketAddress, TYPE, type Json } from "./envoy-api.js";
import { admissions, hasConstraints, peerSpiffeId, type Admission, type Constraints, type MeshIndex, type Reporter } from "./model.js";
import { inboundClusterName, inboundPort } from "./naming.js";
import { upstreamCodec } from "./routes.js";

function orOf(rules: Json[]): Json {
  return rules.length === 1 ? rules[0]! : { or_rules: { rules } };
}

/** An RBAC permission: every declared condition must hold (AND), each one any of its values (OR). */
export function permission(c: Constraints): Json {
  const parts: Json[] = [];
  if (c.methods) parts.push(orOf(c.methods.map((m) => ({ header: { name: ":method", string_match: { exact: m } } }))));
  // url_path is the path without the query string, after the HCM's normalisation.
  if (c.paths) parts.push(orOf(c.paths.map((p) => ({ url_path: { path: pathMatcher(p) } }))));
  if (c.grpcMethods) {
    parts.push(
      orOf(
        c.grpcMethods.map((g) => ({
          url_path: { path: g.method === undefined ? { prefix: `/${g.service}/` } : { exact: `/${g.service}/${g.method}` } },
        })),
      ),
    );
  }
  if (parts.length === 0) return { any: true };
  return parts.length === 1 ? parts[0]! : { and_rules: { rules: parts } };
}

/** The caller's identity as an RBAC principal: the URI SAN of its client certificate. */
export function principal(a: Admission, trustDomain: string): Json {
  const spiffeId = peerSpiffeId(a.peer);
  // `authenticated.principal_name` is matched against the certificate's URI SAN first.
  return { authenticated: { principal_name: spiffeId === undefined ? { prefix: `spiffe://${trustDomain}/` } : { exact: spiffeId } } };
}

/** ALLOW with a policy per admission: anything no policy matches is denied (default deny). */
export function rbacRules(admitted: readonly Admission[], trustDomain: string): Json {
  const policies: Json = {};
  for (const a of [...admitted].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))) {
    policies[a.name] = { permissions: [permission(a.constraints)], principals: [principal(a, trustDomain)] };
  }
  return { action: "ALLOW", policies };
}

function statName(service: ServiceIR, port: PortIR): string {
  return `inbound_${service.name}_${port.name}`;
}

/** `admitted` undefined: no RBAC (a plaintext chain, where every request is admitted). */
function httpChainFilters(index: MeshIndex, service: ServiceIR, port: PortIR, admitted: readonly Admission[] | undefined, reporter: Reporter): Json[] {
  const limit = service.rateLimit;
  if (limit && service.ports.filter((p) => p.protocol !== "tcp").length > 1) {
    reporter.unsupported(
      "one rate limit shared by several ports",
      `Envoy keeps a token bucket per listener, so each HTTP port of "${service.id}" gets ${limit.requests} requests per ${limit.per} of its own`,
      limit.span,
    );
  }
  const filters: Json[] = [
    // RBAC first: a denied caller must not spend the rate limit's tokens.
    ...(admitted ? [extension(FILTER.httpRbac, TYPE.httpRbac, { rules: rbacRules(admitted, index.ir.trustDomain) })] : []),
    ...(limit
      ? [
          extension(FILTER.localRateLimit, TYPE.localRateLimit, {
            stat_prefix: `${statName(service, port)}_rate_limit`,
            token_bucket: { max_tokens: limit.requests + limit.burst, tokens_per_fill: limit.requests, fill_interval: duration(limit.windowMs) },
            // Both default to 0% "for safety": without them the filter counts but never limits.
            filter_enabled: { runtime_key: "meshc.rate_limit.enabled", default_value: { numerator: 100, denominator: "HUNDRED" } },
            filter_enforced: { runtime_key: "meshc.rate_limit.enforced", default_value: { numerator: 100, denominator: "HUNDRED" } },
          }),
        ]
      : []),
    extension(FILTER.router, TYPE.router),
  ];
  return [
    extension(FILTER.hcm, TYPE.hcm, {
      stat_prefix: statName(service, port),
      route_config: {
        name: `inbound|${port.name}`,
        virtual_hosts: [
          {
            name: "inbound",
            domains: ["*"],
            // The caller's sidecar owns the timeout; a second one here would only cut it short.
            routes: [{ match: { prefix: "/" }, route: { cluster: inboundClusterName(port), timeout: "0s" } }],
          },
        ],
      },
      http_filters: filters,
      // RBAC matches paths; normalising first keeps `/a/../b` and `//b` from slipping past a rule.
      normalize_path: true,
      merge_slashes: true,
      // The app learns who called: the caller's SPIFFE id in x-forwarded-client-cert.
      forward_client_cert_details: "SANITIZE_SET",
      set_current_client_cert_details: { uri: true },
    }),
  ];
}

function tcpChainFilters(index: MeshIndex, service: ServiceIR, port: PortIR, admitted: readonly Admission[] | undefined): Json[] {
  return [
    ...(admitted
      ? [extension(FILTER.networkRbac, TYPE.networkRbac, { stat_prefix: `${statName(service, port)}_rbac`, rules: rbacRules(admitted, index.ir.trustDomain) })]
      : []),
    extension(FILTER.tcpProxy, TYPE.tcpProxy, { stat_prefix: statName(service, port), cluster: inboundClusterName(port) }),
  ];
}

function inboundListener(index: MeshIndex, service: ServiceIR, port: PortIR, reporter: Reporter): Json {
  let admitted = admissions(index, service, port);
  if (port.protocol === "tcp") {
    // Istio's rule for HTTP-only conditions on a TCP port: the allow cannot match, so it is left out.
    for (const a of admitted.filter((x) => hasConstraints(x.constraints))) {
      reporter.unsupported(
        "request conditions on a TCP port",
        `"${service.id}" port "${port.name}" is plain TCP: methods, paths and gRPC methods cannot be checked, so this call allows nothing`,
        a.span,
      );
    }
    admitted = admitted.filter((a) => !hasConstraints(a.constraints));
    if (service.rateLimit) {
      reporter.unsupported(
        "a request rate limit on a TCP port",
        `"${service.id}" port "${port.name}" is plain TCP: there are no requests to count, so the port is not rate-limited`,
        service.rateLimit.span,
      );
    }
  }
  const filters = (a: readonly Admission[] | undefined) =>
    port.protocol === "tcp" ? tcpChainFilters(index, service, port, a) : httpChainFilters(index, service, port, a, reporter);
  // `PortSpec.mtls`: a permissive or disabled port is reachable without a sidecar (a metrics
  // port scraped in plaintext), so its plaintext chain admits every request; identities, and
  // so RBAC, exist only on the mTLS chain.
  const mtlsChain = { filters: filters(admitted), transport_socket: meshDownstreamTls() };
  const plainChain = { filters: filters(undefined) };
  let chains: Json[];
  switch (port.mtls) {
    case "strict":
      chains = [mtlsChain];
      break;
    case "permissive":
      chains = [
        { filter_chain_match: { transport_protocol: "tls" }, ...mtlsChain },
        { filter_chain_match: { transport_protocol: "raw_buffer" }, ...plainChain },
      ];
      break;
    case "disabled":
      reporter.unsupported(
        'authorization by identity on a port with mTLS "disabled"',
        `callers reach "${service.id}" port "${port.name}" in plaintext, with no certificate to tell them apart, so its sidecar admits every request`,
        port.fieldSpans.mtls ?? service.fieldSpans.mtls ?? port.span,
      );
      chains = [plainChain];
      break;
    default:
      return assertNever(port.mtls, "mTLS mode");
  }
  return {
    name: `inbound|${port.name}`,
    address: socketAddress("0.0.0.0", inboundPort(service, port)),
    ...(port.mtls === "permissive" ? { listener_filters: [extension(FILTER.tlsInspector, TYPE.tlsInspector)] } : {}),
    filter_chains: chains,
  };
}

export function inboundResources(index: MeshIndex, service: ServiceIR, reporter: Reporter): { listeners: Json[]; clusters: Json[] } {
  const listeners = service.ports.map((port) => inboundListener(index, service, port, reporter));
  const clusters = new Map<string, Json>();
  for (const port of service.ports) {
    const name = inboundClusterName(port);
    if (!clusters.has(name)) {
      clusters.set(name, cluster({ name, discovery: "STATIC", endpoints: [{ host: "127.0.0.1", port: port.targetPort }], codec: upstreamCodec(port.protocol) }));
    }
  }
  return { listeners, clusters: [...clusters.values()] };
}
