/**
 * An evaluator of Envoy's semantics over generated Envoy configs only (never the IR): which
 * listener and filter chain a connection lands on, what the RBAC filters decide, and where the
 * route table sends a request. Anything in a config it does not model is an error, never a
 * silent allow.
 *
 * Envoy documentation followed:
 * - Listener filter chain matching: https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/listener/v3/listener_components.proto
 *   (FilterChainMatch; `transport_protocol` is `raw_buffer` unless a listener filter such as
 *   tls_inspector detects TLS).
 * - RBAC: https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/security/rbac_filter and
 *   https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/rbac/v3/rbac.proto — a policy
 *   matches when one of its permissions and one of its principals match; ALLOW admits a request
 *   some policy matches and denies the rest, DENY the reverse; `and_rules`/`or_rules`/`not_rule`
 *   compose; `authenticated.principal_name` is matched against the peer certificate's URI SAN
 *   (unset: any authenticated peer); `url_path` is the path without the query string.
 * - Route matching: https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/http/http_routing
 *   and route_components.proto — the virtual host by domain (exact, then suffix wildcard, then
 *   prefix wildcard, longest first, then `*`), then the first route whose path specifier and
 *   every header matcher match; `weighted_clusters` splits by weight.
 * - StringMatcher / HeaderMatcher: https://www.envoyproxy.io/docs/envoy/latest/api-v3/type/matcher/v3/string.proto
 *   and route_components.proto (HeaderMatcher) — `safe_regex` must match the whole value.
 */

import YAML from "yaml";
import type { ConcreteRequest, EvaluatorPlugin, TargetDecision, TargetEvaluator } from "../oracle/evaluator.js";
import type { Probe } from "../oracle/intent.js";

type J = Record<string, unknown>;

function obj(x: unknown, what: string): J {
  if (typeof x !== "object" || x === null || Array.isArray(x)) throw new Error(`${what}: expected an object, got ${JSON.stringify(x)}`);
  return x as J;
}
function arr(x: unknown, what: string): unknown[] {
  if (x === undefined) return [];
  if (!Array.isArray(x)) throw new Error(`${what}: expected a list`);
  return x;
}
function str(x: unknown, what: string): string {
  if (typeof x !== "string") throw new Error(`${what}: expected a string, got ${JSON.stringify(x)}`);
  return x;
}
const typeOf = (typedConfig: unknown) => str(obj(typedConfig, "typed_config")["@type"], "@type").replace("type.googleapis.com/", "");

/** Throws on a field the evaluator does not model, so an unmodelled config cannot pass silently. */
function only(o: J, known: readonly string[], what: string): void {
  for (const k of Object.keys(o)) if (!known.includes(k)) throw new Error(`${what}: the evaluator does not model "${k}"`);
}

/** A request as Envoy's filters see it. */
export interface HttpRequest {
  readonly method: string;
  /** Path with optional query string. */
  readonly path: string;
  readonly authority?: string;
  /** Lower-case names. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The downstream connection. */
export interface Connection {
  /** Whether the client speaks TLS. */
  readonly tls: boolean;
  /** The URI SAN of the client certificate (undefined: none presented). */
  readonly peerUriSan?: string;
}

export function stringMatches(matcher: unknown, value: string): boolean {
  const m = obj(matcher, "StringMatcher");
  only(m, ["exact", "prefix", "suffix", "contains", "safe_regex", "ignore_case"], "StringMatcher");
  const ic = m.ignore_case === true;
  const v = ic ? value.toLowerCase() : value;
  const p = (k: string) => (ic ? str(m[k], k).toLowerCase() : str(m[k], k));
  if (m.exact !== undefined) return v === p("exact");
  if (m.prefix !== undefined) return v.startsWith(p("prefix"));
  if (m.suffix !== undefined) return v.endsWith(p("suffix"));
  if (m.contains !== undefined) return v.includes(p("contains"));
  if (m.safe_regex !== undefined) {
    const re = str(obj(m.safe_regex, "safe_regex").regex, "regex");
    return new RegExp(`^(?:${re})$`, ic ? "i" : "").test(value);
  }
  throw new Error("StringMatcher without a pattern");
}

function requestHeaders(req: HttpRequest): Map<string, string> {
  const h = new Map<string, string>(Object.entries(req.headers ?? {}));
  h.set(":method", req.method);
  h.set(":path", req.path);
  if (req.authority !== undefined) h.set(":authority", req.authority);
  return h;
}

export function headerMatches(matcher: unknown, headers: Map<string, string>): boolean {
  const m = obj(matcher, "HeaderMatcher");
  only(m, ["name", "string_match", "present_match", "invert_match"], "HeaderMatcher");
  const value = headers.get(str(m.name, "name"));
  let result: boolean;
  if (m.string_match !== undefined) result = value !== undefined && stringMatches(m.string_match, value);
  else if (m.present_match !== undefined) result = (value !== undefined) === m.present_match;
  else result = value !== undefined;
  return m.invert_match === true ? !result : result;
}

const urlPath = (path: string) => path.split("?")[0]!;

interface RbacContext {
  readonly conn: Connection;
  readonly headers?: Map<string, string>;
  readonly path?: string;
  readonly destinationPort: number;
}

function permissionMatches(permission: unknown, ctx: RbacContext): boolean {
  const p = obj(permission, "Permission");
  const [kind, ...rest] = Object.keys(p);
  if (kind === undefined || rest.length > 0) throw new Error(`Permission must set exactly one rule: ${JSON.stringify(p)}`);
  switch (kind) {
    case "any":
      return p.any === true;
    case "and_rules":
      return arr(obj(p.and_rules, "and_rules").rules, "rules").every((r) => permissionMatches(r, ctx));
    case "or_rules":
      return arr(obj(p.or_rules, "or_rules").rules, "rules").some((r) => permissionMatches(r, ctx));
    case "not_rule":
      return !permissionMatches(p.not_rule, ctx);
    case "destination_port":
      return p.destination_port === ctx.destinationPort;
    case "header":
      // A network RBAC filter sees no headers: header rules never match there.
      return ctx.headers !== undefined && headerMatches(p.header, ctx.headers);
    case "url_path": {
      if (ctx.path === undefined) return false;
      const pm = obj(p.url_path, "url_path");
      only(pm, ["path"], "PathMatcher");
      return stringMatches(pm.path, urlPath(ctx.path));
    }
    default:
      throw new Error(`the evaluator does not model the permission "${kind}"`);
  }
}

function principalMatches(principal: unknown, ctx: RbacContext): boolean {
  const p = obj(principal, "Principal");
  const [kind, ...rest] = Object.keys(p);
  if (kind === undefined || rest.length > 0) throw new Error(`Principal must set exactly one identifier: ${JSON.stringify(p)}`);
  switch (kind) {
    case "any":
      return p.any === true;
    case "and_ids":
      return arr(obj(p.and_ids, "and_ids").ids, "ids").every((r) => principalMatches(r, ctx));
    case "or_ids":
      return arr(obj(p.or_ids, "or_ids").ids, "ids").some((r) => principalMatches(r, ctx));
    case "not_id":
      return !principalMatches(p.not_id, ctx);
    case "authenticated": {
      // Authenticated means a TLS connection with a verified client certificate.
      if (!ctx.conn.tls || ctx.conn.peerUriSan === undefined) return false;
      const a = obj(p.authenticated, "authenticated");
      only(a, ["principal_name"], "Authenticated");
      return a.principal_name === undefined || stringMatches(a.principal_name, ctx.conn.peerUriSan);
    }
    default:
      throw new Error(`the evaluator does not model the principal "${kind}"`);
  }
}

export interface RbacDecision {
  readonly allowed: boolean;
  /** The policy that matched, if any. */
  readonly policy?: string;
}

export function evaluateRbac(config: unknown, ctx: RbacContext): RbacDecision {
  const c = obj(config, "RBAC");
  only(c, ["@type", "rules", "stat_prefix"], "RBAC");
  // No rules: the filter enforces nothing.
  if (c.rules === undefined) return { allowed: true };
  const rules = obj(c.rules, "rules");
  only(rules, ["action", "policies"], "RBAC rules");
  const action = rules.action ?? "ALLOW";
  const policies = obj(rules.policies ?? {}, "policies");
  let matched: string | undefined;
  for (const name of Object.keys(policies).sort()) {
    const policy = obj(policies[name], `policy ${name}`);
    only(policy, ["permissions", "principals"], `policy ${name}`);
    const ok =
      arr(policy.permissions, "permissions").some((x) => permissionMatches(x, ctx)) && arr(policy.principals, "principals").some((x) => principalMatches(x, ctx));
    if (ok) {
      matched = name;
      break;
    }
  }
  switch (action) {
    case "ALLOW":
      return matched !== undefined ? { allowed: true, policy: matched } : { allowed: false };
    case "DENY":
      return matched !== undefined ? { allowed: false, policy: matched } : { allowed: true };
    default:
      throw new Error(`the evaluator does not model the RBAC action ${JSON.stringify(action)}`);
  }
}

function socketAddressOf(address: unknown): { address: string; port: number } {
  const sa = obj(obj(address, "address").socket_address, "socket_address");
  return { address: str(sa.address, "address"), port: Number(sa.port_value) };
}

/** The listener bound to (address, port): an exact address first, then 0.0.0.0. */
export function findListener(bootstrap: unknown, address: string, port: number): J | undefined {
  const listeners = arr(obj(obj(bootstrap, "bootstrap").static_resources, "static_resources").listeners, "listeners").map((l) => obj(l, "listener"));
  const at = (a: string) => listeners.find((l) => {
    const sa = socketAddressOf(l.address);
    return sa.address === a && sa.port === port;
  });
  return at(address) ?? at("0.0.0.0");
}

/** FilterChainMatch on the connection's transport protocol; the most specific match wins. */
function selectFilterChain(listener: J, conn: Connection): J | undefined {
  const inspectors = arr(listener.listener_filters, "listener_filters").map((f) => str(obj(f, "listener filter").name, "name"));
  const detected = inspectors.includes("envoy.filters.listener.tls_inspector") && conn.tls ? "tls" : "raw_buffer";
  let best: { chain: J; specific: boolean } | undefined;
  for (const chain of arr(listener.filter_chains, "filter_chains").map((c) => obj(c, "filter chain"))) {
    const match = obj(chain.filter_chain_match ?? {}, "filter_chain_match");
    only(match, ["transport_protocol"], "FilterChainMatch");
    if (match.transport_protocol !== undefined && match.transport_protocol !== detected) continue;
    const specific = match.transport_protocol !== undefined;
    if (!best || (specific && !best.specific)) best = { chain, specific };
  }
  return best?.chain ?? (listener.default_filter_chain ? obj(listener.default_filter_chain, "default_filter_chain") : undefined);
}

/** What a downstream TLS context makes of the connection: a failed handshake, or the verified peer. */
function terminateTls(chain: J, conn: Connection): { ok: true; conn: Connection } | { ok: false; reason: string } {
  const socket = chain.transport_socket === undefined ? undefined : obj(chain.transport_socket, "transport_socket");
  if (!socket) return conn.tls ? { ok: false, reason: "TLS client on a plaintext filter chain" } : { ok: true, conn: { tls: false } };
  const type = typeOf(socket.typed_config);
  if (type !== "envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext") throw new Error(`the evaluator does not model transport socket ${type}`);
  if (!conn.tls) return { ok: false, reason: "plaintext client on a TLS filter chain" };
  const ctx = obj(socket.typed_config, "DownstreamTlsContext");
  if (ctx.require_client_certificate === true && conn.peerUriSan === undefined) return { ok: false, reason: "no client certificate" };
  // The probe asserts the certificate chains to the configured trust anchor.
  return { ok: true, conn };
}

/** Where a route sends a request. */
export type RouteResult =
  | {
      readonly kind: "route";
      readonly routeName?: string;
      readonly clusters: readonly { readonly name: string; readonly weight: number }[];
      readonly timeout?: string;
      readonly retryPolicy?: J;
      readonly mirrors: readonly { readonly cluster: string; readonly fraction: J }[];
      readonly fault?: J;
    }
  | { readonly kind: "direct"; readonly status: number; readonly routeName?: string }
  | { readonly kind: "no-route" };

function domainMatches(domain: string, host: string): number {
  if (domain === host) return 4;
  if (domain === "*") return 1;
  if (domain.startsWith("*") && host.endsWith(domain.slice(1)) && host.length > domain.length - 1) return 3;
  if (domain.endsWith("*") && host.startsWith(domain.slice(0, -1)) && host.length > domain.length - 1) return 2;
  return 0;
}

function routeMatches(match: J, req: HttpRequest, headers: Map<string, string>): boolean {
  only(match, ["prefix", "path", "safe_regex", "headers", "case_sensitive"], "RouteMatch");
  const path = urlPath(req.path);
  const cs = match.case_sensitive !== false;
  const norm = (s: string) => (cs ? s : s.toLowerCase());
  let ok: boolean;
  if (match.prefix !== undefined) ok = norm(path).startsWith(norm(str(match.prefix, "prefix")));
  else if (match.path !== undefined) ok = norm(path) === norm(str(match.path, "path"));
  else if (match.safe_regex !== undefined) ok = new RegExp(`^(?:${str(obj(match.safe_regex, "safe_regex").regex, "regex")})$`).test(path);
  else throw new Error("RouteMatch without a path specifier");
  return ok && arr(match.headers, "headers").every((h) => headerMatches(h, headers));
}

/** The route table's decision for a request, per Envoy's virtual host and route matching. */
export function matchRoute(routeConfig: unknown, req: HttpRequest, stripPort: boolean): RouteResult {
  const rc = obj(routeConfig, "route_config");
  const headers = requestHeaders(req);
  let host = (req.authority ?? "").toLowerCase();
  if (stripPort) host = host.replace(/:\d+$/, "");
  let best: { vh: J; score: number; len: number } | undefined;
  for (const vh of arr(rc.virtual_hosts, "virtual_hosts").map((v) => obj(v, "virtual host"))) {
    for (const d of arr(vh.domains, "domains").map((x) => str(x, "domain"))) {
      const score = domainMatches(d, host);
      if (score > 0 && (!best || score > best.score || (score === best.score && d.length > best.len))) best = { vh, score, len: d.length };
    }
  }
  if (!best) return { kind: "no-route" };
  for (const r of arr(best.vh.routes, "routes").map((x) => obj(x, "route"))) {
    only(r, ["name", "match", "route", "direct_response", "typed_per_filter_config"], "Route");
    if (!routeMatches(obj(r.match, "match"), req, headers)) continue;
    const name = r.name === undefined ? undefined : str(r.name, "name");
    if (r.direct_response !== undefined) return { kind: "direct", status: Number(obj(r.direct_response, "direct_response").status), ...(name ? { routeName: name } : {}) };
    const action = obj(r.route, "route action");
    only(action, ["cluster", "weighted_clusters", "timeout", "retry_policy", "request_mirror_policies", "hash_policy", "host_rewrite_literal"], "RouteAction");
    const clusters =
      action.cluster !== undefined
        ? [{ name: str(action.cluster, "cluster"), weight: 100 }]
        : arr(obj(action.weighted_clusters, "weighted_clusters").clusters, "clusters").map((c) => {
            const cw = obj(c, "cluster weight");
            return { name: str(cw.name, "name"), weight: Number(cw.weight) };
          });
    const fault = r.typed_per_filter_config === undefined ? undefined : obj(r.typed_per_filter_config, "typed_per_filter_config")["envoy.filters.http.fault"];
    return {
      kind: "route",
      ...(name ? { routeName: name } : {}),
      clusters,
      ...(action.timeout !== undefined ? { timeout: str(action.timeout, "timeout") } : {}),
      ...(action.retry_policy !== undefined ? { retryPolicy: obj(action.retry_policy, "retry_policy") } : {}),
      mirrors: arr(action.request_mirror_policies, "request_mirror_policies").map((m) => {
        const mp = obj(m, "mirror");
        return { cluster: str(mp.cluster, "cluster"), fraction: obj(obj(mp.runtime_fraction, "runtime_fraction").default_value, "default_value") };
      }),
      ...(fault !== undefined ? { fault: obj(fault, "fault") } : {}),
    };
  }
  return { kind: "no-route" };
}

/** The decision for one request (or, on a TCP port, one connection) arriving at a listener. */
export type ListenerDecision =
  | { readonly allowed: false; readonly reason: string }
  | { readonly allowed: true; readonly policy?: string; readonly result: RouteResult | { readonly kind: "tcp"; readonly clusters: readonly { readonly name: string; readonly weight: number }[] } };

/**
 * Walks listener → filter chain → transport socket → network filters → HTTP filters → router,
 * as Envoy does for a request from `conn` to `address:port`. `req` is absent for TCP.
 */
export function evaluateListener(bootstrap: unknown, address: string, port: number, conn: Connection, req: HttpRequest | undefined): ListenerDecision {
  const listener = findListener(bootstrap, address, port);
  if (!listener) return { allowed: false, reason: `no listener on ${address}:${port}` };
  const chain = selectFilterChain(listener, conn);
  if (!chain) return { allowed: false, reason: "no filter chain matches the connection" };
  const tls = terminateTls(chain, conn);
  if (!tls.ok) return { allowed: false, reason: tls.reason };
  let policy: string | undefined;
  for (const f of arr(chain.filters, "filters").map((x) => obj(x, "filter"))) {
    const type = typeOf(f.typed_config);
    const tc = obj(f.typed_config, type);
    switch (type) {
      case "envoy.extensions.filters.network.rbac.v3.RBAC": {
        const d = evaluateRbac(tc, { conn: tls.conn, destinationPort: port });
        if (!d.allowed) return { allowed: false, reason: "network RBAC denied the connection" };
        policy = d.policy ?? policy;
        break;
      }
      case "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy": {
        const clusters =
          tc.cluster !== undefined
            ? [{ name: str(tc.cluster, "cluster"), weight: 100 }]
            : arr(obj(tc.weighted_clusters, "weighted_clusters").clusters, "clusters").map((c) => ({ name: str(obj(c, "c").name, "name"), weight: Number(obj(c, "c").weight) }));
        return { allowed: true, ...(policy ? { policy } : {}), result: { kind: "tcp", clusters } };
      }
      case "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager": {
        if (!req) return { allowed: false, reason: "an HTTP listener got a raw TCP connection" };
        const headers = requestHeaders(req);
        for (const hf of arr(tc.http_filters, "http_filters").map((x) => obj(x, "http filter"))) {
          const ht = typeOf(hf.typed_config);
          switch (ht) {
            case "envoy.extensions.filters.http.rbac.v3.RBAC": {
              const d = evaluateRbac(hf.typed_config, { conn: tls.conn, headers, path: req.path, destinationPort: port });
              if (!d.allowed) return { allowed: false, reason: "RBAC: 403" };
              policy = d.policy ?? policy;
              break;
            }
            // Token buckets and injected faults do not change who may call; they are reported by the route result.
            case "envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit":
            case "envoy.extensions.filters.http.fault.v3.HTTPFault":
              break;
            case "envoy.extensions.filters.http.router.v3.Router": {
              const result = matchRoute(tc.route_config, req, tc.strip_any_host_port === true);
              if (result.kind === "no-route") return { allowed: false, reason: "no route: 404" };
              if (result.kind === "direct" && result.status >= 400) return { allowed: false, reason: `direct response ${result.status}` };
              return { allowed: true, ...(policy ? { policy } : {}), result };
            }
            default:
              throw new Error(`the evaluator does not model the HTTP filter ${ht}`);
          }
        }
        throw new Error("an HTTP connection manager without a router");
      }
      default:
        throw new Error(`the evaluator does not model the network filter ${type}`);
    }
  }
  throw new Error("a filter chain without a terminal filter");
}

/** A cluster's endpoints and the SPIFFE ids its upstream TLS accepts (undefined: plaintext). */
export function clusterInfo(bootstrap: unknown, name: string): { endpoints: { host: string; port: number }[]; acceptedSans?: J[] } {
  const clusters = arr(obj(obj(bootstrap, "bootstrap").static_resources, "static_resources").clusters, "clusters").map((c) => obj(c, "cluster"));
  const c = clusters.find((x) => x.name === name);
  if (!c) throw new Error(`route names unknown cluster "${name}"`);
  const la = obj(c.load_assignment, "load_assignment");
  const endpoints = arr(la.endpoints, "endpoints").flatMap((e) =>
    arr(obj(e, "locality endpoints").lb_endpoints, "lb_endpoints").map((lb) => socketAddressOf(obj(obj(lb, "lb endpoint").endpoint, "endpoint").address)),
  );
  const socket = c.transport_socket === undefined ? undefined : obj(c.transport_socket, "transport_socket");
  if (!socket) return { endpoints: endpoints.map((e) => ({ host: e.address, port: e.port })) };
  const tls = obj(socket.typed_config, "UpstreamTlsContext");
  const common = obj(tls.common_tls_context, "common_tls_context");
  const validation = common.combined_validation_context
    ? obj(obj(common.combined_validation_context, "combined").default_validation_context, "default_validation_context")
    : obj(common.validation_context ?? {}, "validation_context");
  return {
    endpoints: endpoints.map((e) => ({ host: e.address, port: e.port })),
    acceptedSans: arr(validation.match_typed_subject_alt_names, "sans").map((s) => obj(s, "san")),
  };
}

/** Whether a peer certificate with this URI SAN passes the cluster's SAN matchers (none: any). */
export function sanAccepted(acceptedSans: readonly J[] | undefined, uriSan: string): boolean {
  if (!acceptedSans || acceptedSans.length === 0) return true;
  return acceptedSans.some((s) => s.san_type === "URI" && stringMatches(s.matcher, uriSan));
}

// ── The mesh: sidecars wired together by Kubernetes Services ─────────────────────────────────

/** A pod template that runs: what the cluster holds, not what the envoy target generated. */
export interface Workload {
  readonly namespace: string;
  /** The Deployment whose pods these are. */
  readonly deployment: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The URI SAN of the certificate its sidecar presents. */
  readonly spiffeId: string;
}

/** An artifact of the envoy target, as the writer would serialise it. */
export interface ArtifactLike {
  readonly path: string;
  readonly yaml?: unknown;
}

export interface Hop {
  readonly cluster: string;
  readonly weight: number;
  /** The Deployments the cluster's endpoints resolve to, the pod port dialled, and each one's inbound decision. */
  readonly reached: readonly { readonly namespace: string; readonly deployment: string; readonly port: number; readonly decision: ListenerDecision }[];
}

export type MeshDecision =
  | { readonly allowed: false; readonly reason: string }
  | {
      readonly allowed: true;
      readonly hops: readonly Hop[];
      readonly route: RouteResult | { readonly kind: "tcp"; readonly clusters: readonly { readonly name: string; readonly weight: number }[] };
    };

/**
 * The envoy target's output read as a running mesh: ConfigMaps hold each workload's bootstrap,
 * sidecar patches say which ConfigMap a Deployment runs and where its app dials each upstream
 * (the `meshc.dev/envoy-upstreams` annotation), Services resolve cluster endpoints to pods.
 */
export class EnvoyMesh {
  private readonly configs = new Map<string, unknown>();
  private readonly deploymentConfig = new Map<string, string>();
  private readonly upstreams = new Map<string, Record<string, string>>();
  private readonly services = new Map<string, J>();
  private readonly servicePatches = new Map<string, J>();

  constructor(
    artifacts: readonly ArtifactLike[],
    private readonly workloads: readonly Workload[],
    parseYaml: (text: string) => unknown,
    /** The cluster's DNS domain (the kubelet's `--cluster-domain`), which Service names resolve under. */
    private readonly clusterDomain = "cluster.local",
  ) {
    for (const a of artifacts) {
      if (a.yaml === undefined) continue;
      const o = obj(a.yaml, a.path);
      const meta = obj(o.metadata, "metadata");
      const key = `${str(meta.namespace, "namespace")}/${str(meta.name, "name")}`;
      const isPatch = a.path.includes("/patches/");
      switch (o.kind) {
        case "ConfigMap":
          this.configs.set(key, parseYaml(str(obj(o.data, "data")["envoy.yaml"], "envoy.yaml")));
          break;
        case "Deployment": {
          const template = obj(obj(o.spec, "spec").template, "template");
          const spec = obj(template.spec, "pod spec");
          const volume = arr(spec.volumes, "volumes").map((v) => obj(v, "volume")).find((v) => v.name === "envoy-config");
          if (volume) this.deploymentConfig.set(key, `${str(meta.namespace, "namespace")}/${str(obj(volume.configMap, "configMap").name, "name")}`);
          const annotations = template.metadata === undefined ? {} : obj(obj(template.metadata, "metadata").annotations ?? {}, "annotations");
          const book = annotations["meshc.dev/envoy-upstreams"];
          if (typeof book === "string") this.upstreams.set(key, JSON.parse(book) as Record<string, string>);
          break;
        }
        case "Service":
          (isPatch ? this.servicePatches : this.services).set(key, o);
          break;
        default:
          break;
      }
    }
  }

  /** The bootstrap a Deployment's sidecar runs. */
  configOf(namespace: string, deployment: string): unknown {
    const cm = this.deploymentConfig.get(`${namespace}/${deployment}`);
    const config = cm === undefined ? undefined : this.configs.get(cm);
    if (config === undefined) throw new Error(`no sidecar config for Deployment ${namespace}/${deployment}`);
    return config;
  }

  /** Where the app of a Deployment dials an upstream, if it has one. */
  upstreamAddress(namespace: string, deployment: string, key: string): { address: string; port: number } | undefined {
    const value = this.upstreams.get(`${namespace}/${deployment}`)?.[key];
    if (value === undefined) return undefined;
    const [address, port] = value.split(":");
    return { address: address!, port: Number(port) };
  }

  /** The container port a Service port sends to, after the sidecar patch. */
  servicePortTarget(namespace: string, service: string, port: number): number | undefined {
    const patch = this.servicePatches.get(`${namespace}/${service}`);
    const p = arr(obj(patch?.spec ?? {}, "spec").ports, "ports").map((x) => obj(x, "port")).find((x) => x.port === port);
    return p === undefined ? undefined : Number(p.targetPort);
  }

  /** What a request arriving straight at a pod's inbound port gets (a caller bypassing its own sidecar). */
  inbound(callee: Workload, port: number, conn: Connection, req: HttpRequest | undefined): ListenerDecision {
    return evaluateListener(this.configOf(callee.namespace, callee.deployment), "0.0.0.0", port, conn, req);
  }

  private resolve(host: string): Workload[] {
    const m = /^([^.]+)\.([^.]+)\.svc\.(.+)$/.exec(host);
    if (!m || m[3] !== this.clusterDomain) throw new Error(`endpoint ${host} is not a Service DNS name`);
    const service = this.services.get(`${m[2]}/${m[1]}`);
    if (!service) return [];
    const selector = obj(obj(service.spec, "spec").selector, "selector");
    return this.workloads.filter((w) => w.namespace === m[2] && Object.entries(selector).every(([k, v]) => w.labels[k] === v));
  }

  /** Whether a Deployment gets the sidecar by a patch (a gateway runs Envoy as its own container). */
  hasSidecarPatch(w: Workload): boolean {
    return this.upstreams.has(`${w.namespace}/${w.deployment}`);
  }

  /** How a client reaches a gateway: its Service's port, a host it serves, and whether it speaks TLS. */
  gatewayEntry(gateway: Workload): { port: number; authority: string; tls: boolean } | undefined {
    const svc = this.services.get(`${gateway.namespace}/${gateway.deployment}`);
    const port = arr(obj(svc?.spec ?? {}, "spec").ports, "ports").map((x) => obj(x, "port"))[0];
    if (!port) return undefined;
    const listener = findListener(this.configOf(gateway.namespace, gateway.deployment), "0.0.0.0", Number(port.targetPort));
    if (!listener) return undefined;
    const chain = obj(arr(listener.filter_chains, "filter_chains")[0], "filter chain");
    const hcm = obj(obj(arr(chain.filters, "filters")[0], "filter").typed_config, "hcm");
    const domain = str(arr(obj(arr(obj(hcm.route_config, "route_config").virtual_hosts, "virtual_hosts")[0], "vh").domains, "domains")[0], "domain");
    const authority = domain === "*" ? "example.test" : domain.replace(/^\*/, "www");
    return { port: Number(port.port), authority, tls: chain.transport_socket !== undefined };
  }

  /**
   * Whether a workload's Envoy speaks TLS to a callee's inbound port: the transport socket of its
   * clusters whose endpoints resolve to those pods on that port (undefined: it has none).
   */
  tlsTowards(from: Workload, namespace: string, deployments: ReadonlySet<string>, port: number): boolean | undefined {
    const config = this.configOf(from.namespace, from.deployment);
    const clusters = arr(obj(obj(config, "bootstrap").static_resources, "static_resources").clusters, "clusters").map((c) => str(obj(c, "cluster").name, "name"));
    const modes = new Set<boolean>();
    for (const name of clusters) {
      const info = clusterInfo(config, name);
      const reaches = info.endpoints.some((e) => e.port === port && e.host.endsWith(`.svc.${this.clusterDomain}`) && this.resolve(e.host).some((w) => w.namespace === namespace && deployments.has(w.deployment)));
      if (reaches) modes.add(info.acceptedSans !== undefined);
    }
    if (modes.size > 1) throw new Error(`${from.deployment} reaches ${namespace} port ${port} both with and without TLS`);
    return modes.size === 0 ? undefined : modes.has(true);
  }

  /** The Deployments a cluster of a workload's sidecar resolves to. */
  clusterTargets(from: Workload, cluster: string): string[] {
    const info = clusterInfo(this.configOf(from.namespace, from.deployment), cluster);
    return info.endpoints.flatMap((e) => this.resolve(e.host).map((w) => w.deployment)).sort();
  }

  private hops(caller: { config: unknown; spiffeId: string }, clusters: readonly { name: string; weight: number }[], req: HttpRequest | undefined): Hop[] {
    return clusters.map((c) => {
      const info = clusterInfo(caller.config, c.name);
      const reached: { namespace: string; deployment: string; port: number; decision: ListenerDecision }[] = [];
      for (const endpoint of info.endpoints) {
        for (const w of this.resolve(endpoint.host)) {
          const decision: ListenerDecision = !sanAccepted(info.acceptedSans, w.spiffeId)
            ? { allowed: false, reason: `upstream TLS rejects ${w.spiffeId}` }
            : this.inbound(w, endpoint.port, { tls: info.acceptedSans !== undefined, ...(info.acceptedSans !== undefined ? { peerUriSan: caller.spiffeId } : {}) }, req);
          reached.push({ namespace: w.namespace, deployment: w.deployment, port: endpoint.port, decision });
        }
      }
      return { cluster: c.name, weight: c.weight, reached };
    });
  }

  private follow(caller: { config: unknown; spiffeId: string }, address: { address: string; port: number }, req: HttpRequest | undefined, conn: Connection = { tls: false }): MeshDecision {
    const local = evaluateListener(caller.config, address.address, address.port, conn, req);
    if (!local.allowed) return local;
    const route = local.result;
    if (route.kind === "direct") return { allowed: false, reason: `direct response ${route.status}` };
    if (route.kind === "no-route") return { allowed: false, reason: "no route" };
    const hops = this.hops(caller, route.clusters, req);
    for (const h of hops) {
      if (h.weight === 0) continue;
      if (h.reached.length === 0) return { allowed: false, reason: `cluster ${h.cluster} resolves to no pod` };
      const denied = h.reached.find((r) => !r.decision.allowed);
      if (denied && !denied.decision.allowed) return { allowed: false, reason: `${denied.deployment}: ${denied.decision.reason}` };
    }
    return { allowed: true, hops, route };
  }

  /** A request from a Deployment's app, through its sidecar, to one of its upstreams. */
  call(from: Workload, upstreamKey: string, req: HttpRequest | undefined): MeshDecision {
    const address = this.upstreamAddress(from.namespace, from.deployment, upstreamKey);
    // Without an address the app has nothing to dial through its sidecar.
    if (!address) return { allowed: false, reason: `no upstream "${upstreamKey}" in ${from.deployment}` };
    return this.follow({ config: this.configOf(from.namespace, from.deployment), spiffeId: from.spiffeId }, address, req);
  }

  /** A request from outside to an ingress gateway (its Deployment and Service are generated too). */
  ingress(gateway: Workload, servicePort: number, req: HttpRequest, conn: Connection = { tls: false }): MeshDecision {
    const svc = this.services.get(`${gateway.namespace}/${gateway.deployment}`);
    const p = arr(obj(svc?.spec ?? {}, "spec").ports, "ports").map((x) => obj(x, "port")).find((x) => x.port === servicePort);
    if (!p) return { allowed: false, reason: `gateway Service has no port ${servicePort}` };
    return this.follow({ config: this.configOf(gateway.namespace, gateway.deployment), spiffeId: gateway.spiffeId }, { address: "0.0.0.0", port: Number(p.targetPort) }, req, conn);
  }
}

// ── The intent oracle's plug-in (test/oracle/evaluator.ts) ───────────────────────────────────

/** A Kubernetes object as YAML artifacts carry it. */
type Kube = { kind: string; metadata: { name: string; namespace?: string }; spec?: any };

const sameLabels = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

/**
 * Decides oracle probes over the envoy target's output plus the Deployments and Services a cluster
 * runs (the kubernetes target's): a declared service's request goes end to end through its own
 * sidecar, a gateway's from the outside through the gateway, an undeclared identity's or a
 * plaintext client's straight at the callee's sidecar port.
 */
export function envoyOracleEvaluator(
  envoyArtifacts: readonly ArtifactLike[],
  clusterArtifacts: readonly ArtifactLike[],
  parseYaml: (text: string) => unknown,
  /** The cluster's DNS domain, a setting of the cluster rather than of any object. */
  clusterDomain = "cluster.local",
): TargetEvaluator {
  const objects = [...envoyArtifacts, ...clusterArtifacts].filter((a) => a.yaml !== undefined && !a.path.includes("/patches/")).map((a) => a.yaml as Kube);
  const deployments = objects.filter((o) => o.kind === "Deployment");
  const services = clusterArtifacts.map((a) => a.yaml as Kube | undefined).filter((o): o is Kube => o?.kind === "Service");
  let mesh: EnvoyMesh | undefined;
  let trustDomain: string | undefined;
  const meshFor = (spiffeId: string | undefined): EnvoyMesh => {
    const td = spiffeId ? /^spiffe:\/\/([^/]+)\//.exec(spiffeId)?.[1] : undefined;
    if (!mesh || (td && td !== trustDomain)) {
      trustDomain = td ?? trustDomain ?? "cluster.local";
      const workloads: Workload[] = deployments.map((d) => ({
        namespace: d.metadata.namespace!,
        deployment: d.metadata.name,
        labels: d.spec.template.metadata.labels ?? {},
        spiffeId: `spiffe://${trustDomain}/ns/${d.metadata.namespace}/sa/${d.spec.template.spec.serviceAccountName ?? "default"}`,
      }));
      mesh = new EnvoyMesh(envoyArtifacts, workloads, parseYaml, clusterDomain);
    }
    return mesh;
  };
  const workloadWith = (namespace: string, labels: Readonly<Record<string, string>>): Workload | undefined => {
    const d = deployments.find((x) => x.metadata.namespace === namespace && sameLabels(x.spec.template.metadata.labels ?? {}, labels));
    return d ? { namespace, deployment: d.metadata.name, labels, spiffeId: "" } : undefined;
  };
  const versionOf = (cluster: string, config: unknown, service: string): string | "all" => {
    const host = clusterInfo(config, cluster).endpoints[0]?.host ?? "";
    const name = host.split(".")[0] ?? "";
    return name === `${service}-mesh` ? "all" : name.startsWith(`${service}-`) ? name.slice(service.length + 1) : name;
  };
  return {
    target: "envoy",
    decide(_probe: Probe, request: ConcreteRequest): TargetDecision | "unsupported" {
      const src = request.source;
      const ev = meshFor(src.kind === "workload" ? src.spiffeId : undefined);
      const d = request.destination;
      const http: HttpRequest | undefined =
        request.protocol === "tcp" ? undefined : { method: request.method ?? "GET", path: request.path ?? "/", headers: request.headers, authority: `${d.host}:${d.port}` };
      const callees = d.pods.map((labels) => workloadWith(d.namespace, labels));
      if (callees.some((c) => c === undefined)) return "unsupported";
      const inboundPort = ev.servicePortTarget(d.namespace, d.service, d.port);
      const direct = (conn: Connection): TargetDecision => {
        if (inboundPort === undefined) return { allowed: false, reason: "the Service does not point at a sidecar" };
        const decisions = callees.map((c) => ev.inbound(c!, inboundPort, conn, http));
        const denied = decisions.find((x) => !x.allowed);
        return denied && !denied.allowed ? { allowed: false, reason: denied.reason } : { allowed: true };
      };
      if (src.kind === "plaintext") return direct({ tls: false });
      const from = workloadWith(src.namespace, src.labels);
      // A workload without a Deployment of its own (an undeclared identity) calls straight at the sidecar.
      if (!from) return direct({ tls: true, peerUriSan: src.spiffeId });
      const caller: Workload = { ...from, spiffeId: src.spiffeId };
      const portName = services
        .find((s) => s.metadata.name === d.service && s.metadata.namespace === d.namespace)
        ?.spec.ports.find((p: any) => p.port === d.port)?.name;
      // Authorization is the callee's sidecar's: it admits the caller's identity or not, on the
      // connection the caller's Envoy opens (mTLS, or plaintext to a port with mTLS disabled).
      // Where the request goes is the caller's: its sidecar's route to the callee, or the
      // gateway's table.
      const reachedDeployments = new Set(callees.map((c) => c!.deployment));
      const tls = inboundPort === undefined ? true : (ev.tlsTowards(caller, d.namespace, reachedDeployments, inboundPort) ?? true);
      const admitted = direct(tls ? { tls: true, peerUriSan: src.spiffeId } : { tls: false });
      if (!admitted.allowed || !http) return admitted;
      let decision: MeshDecision;
      if (!ev.hasSidecarPatch(caller)) {
        const gw = ev.gatewayEntry(caller);
        if (!gw) return admitted;
        decision = ev.ingress(caller, gw.port, { ...http, authority: gw.authority }, { tls: gw.tls });
        // Every ingress route grants, whatever its position: a request the gateway sends elsewhere
        // (another service, or another port of this one) is still admitted here, it just has no
        // route to compare.
        // Deployments are told apart by namespace too: two services may share a name.
        const callee = new Set(callees.map((c) => `${c!.namespace}/${c!.deployment}`));
        if (!decision.allowed || decision.hops.some((h) => h.weight > 0 && h.reached.some((r) => !callee.has(`${r.namespace}/${r.deployment}`) || r.port !== inboundPort))) return admitted;
      } else {
        // Without an upstream the app cannot send it (e.g. a grant through a shared identity or a mirror).
        if (ev.upstreamAddress(caller.namespace, caller.deployment, `${d.service}.${d.namespace}:${portName}`) === undefined) return admitted;
        decision = ev.call(caller, `${d.service}.${d.namespace}:${portName}`, http);
        if (!decision.allowed) return { allowed: false, reason: decision.reason };
      }
      if (decision.route.kind !== "route") return { allowed: true };
      const config = ev.configOf(caller.namespace, caller.deployment);
      const versions = decision.route.clusters.map((c) => ({ version: versionOf(c.name, config, d.service), weight: c.weight }));
      const retry = decision.route.retryPolicy;
      const ms = (t: unknown) => Math.round(Number(String(t).replace(/s$/, "")) * 1000);
      return {
        allowed: true,
        route: {
          destinations: versions.some((v) => v.version === "all") ? "all" : versions,
          timeoutMs: decision.route.timeout === undefined || ms(decision.route.timeout) === 0 ? null : ms(decision.route.timeout),
          retries: retry
            ? { attempts: Number(retry.num_retries ?? 1), ...(retry.per_try_timeout !== undefined ? { perTryTimeoutMs: ms(retry.per_try_timeout) } : {}) }
            : null,
        },
      };
    },
  };
}

/** The envoy evaluator for the oracle's equivalence suite; it reads the kubernetes target's Deployments and Services. */
export const oraclePlugin: EvaluatorPlugin = {
  target: "envoy",
  needs: ["kubernetes"],
  evaluator: (output) =>
    envoyOracleEvaluator(output.artifacts as readonly ArtifactLike[], (output.all.get("kubernetes") ?? []) as readonly ArtifactLike[], (text) => YAML.parse(text)),
};
