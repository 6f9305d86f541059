/**
 * Linkerd's inbound authorization, evaluated over Kubernetes objects: the decision a meshed pod's
 * proxy makes for one connection or request, computed from the objects alone (nothing of meshc's
 * IR), so that generated policy can be compared with the mesh it came from.
 *
 * Semantics, from the documentation and the sources they describe:
 * - https://linkerd.io/2-edge/reference/authorization-policy/ — default policies (cluster
 *   default, overridden by `config.linkerd.io/default-inbound-policy` on the namespace or pod);
 *   a port selected by a Server denies everything not authorized (`accessPolicy`, default
 *   `deny`); AuthorizationPolicy targets a Server, an HTTPRoute/GRPCRoute, or the Namespace and
 *   requires ALL its authentications; a missing authentication makes the policy void;
 *   MeshTLSAuthentication identities match exactly, `*` matches every meshed client and a `*.`
 *   prefix every identity in that domain; NetworkAuthentication matches client CIDRs minus
 *   `except`.
 * - https://linkerd.io/2-edge/reference/httproute/ and grpcroute/ — routes attached to a Server
 *   (parentRef group policy.linkerd.io, kind Server); "a given HTTP request can only match one
 *   HTTPRoute", chosen by Gateway API precedence.
 * - linkerd2-proxy `linkerd/http/route` (the matcher): path match rank = characters matched
 *   (Exact and RegularExpression: the whole path, anchored; PathPrefix: the prefix without
 *   trailing slashes, matched by whole segments), then method present, then header count, then
 *   query-param count; gRPC: service characters, then method characters, then headers. With
 *   routes, a request matching none is refused; the Server's authorizations apply on every route
 *   (`linkerd/proxy/server-policy`, `mk_authorizations(route, server)`).
 * - linkerd2 `policy-controller` inbound index: an AuthorizationPolicy with no
 *   NetworkAuthentication applies to every network; one with no MeshTLS/ServiceAccount
 *   authentication admits unauthenticated clients.
 *
 * Ties between route objects are settled by creation time, which generated YAML cannot fix; the
 * evaluator reports them as `ambiguous` rather than guessing.
 */
import type { ConcreteRequest, EvaluatorPlugin, TargetDecision, TargetEvaluator } from "../oracle/evaluator.js";
import type { Probe } from "../oracle/intent.js";

export interface LinkerdObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly annotations?: Readonly<Record<string, string>> };
  readonly spec?: unknown;
}

export type DefaultPolicy = "all-unauthenticated" | "all-authenticated" | "cluster-authenticated" | "cluster-unauthenticated" | "deny" | "audit";

export interface Cluster {
  readonly objects: readonly LinkerdObject[];
  /** `proxy.defaultInboundPolicy` of the install; Linkerd's default is all-unauthenticated. */
  readonly defaultPolicy?: DefaultPolicy;
  /** `clusterNetworks` of the install. */
  readonly clusterNetworks?: readonly string[];
  /** The identity trust domain, for ServiceAccount references; Linkerd's default is cluster.local. */
  readonly trustDomain?: string;
}

/** The pod receiving the connection. */
export interface Workload {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  /** Named container ports, for Servers that select a port by name. */
  readonly namedPorts?: Readonly<Record<string, number>>;
}

export interface Client {
  /** The client's mTLS identity; undefined for an unmeshed (plaintext) client. */
  readonly identity?: string;
  readonly ip: string;
}

export type Request =
  | { readonly kind: "http"; readonly method: string; readonly path: string; readonly headers?: Readonly<Record<string, string>> }
  | { readonly kind: "grpc"; readonly service: string; readonly method: string }
  | { readonly kind: "tcp" };

export interface Decision {
  readonly allowed: boolean;
  /** The outcome depends on which of several equally ranked routes is older. */
  readonly ambiguous: boolean;
  readonly reason: string;
}

const DEFAULT_CLUSTER_NETWORKS = ["10.0.0.0/8", "100.64.0.0/10", "172.16.0.0/12", "192.168.0.0/16", "fd00::/8"];

// ── Small helpers ───────────────────────────────────────────────────────────────────────────

type Dict = Record<string, unknown>;
const spec = (o: LinkerdObject): Dict => (o.spec ?? {}) as Dict;
const group = (apiVersion: string) => (apiVersion.includes("/") ? apiVersion.split("/")[0]! : "");
const isKind = (o: LinkerdObject, g: string, kind: string) => o.kind === kind && group(o.apiVersion) === g;

function parseIPv4(ip: string): bigint | undefined {
  const parts = ip.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
}

function parseIPv6(ip: string): bigint | undefined {
  if (!ip.includes(":")) return undefined;
  const [head, tail] = ip.split("::") as [string, string | undefined];
  const h = head ? head.split(":") : [];
  const t = tail !== undefined && tail !== "" ? tail.split(":") : [];
  const missing = 8 - h.length - t.length;
  if (ip.includes("::") ? missing < 0 : h.length !== 8) return undefined;
  const groups = [...h, ...Array<string>(ip.includes("::") ? missing : 0).fill("0"), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || "0", 16)), 0n);
}

/** Whether `ip` is in `cidr` (IPv4 or IPv6). */
export function inCidr(ip: string, cidr: string): boolean {
  const [net, bitsText] = cidr.split("/") as [string, string | undefined];
  const v4 = parseIPv4(ip);
  const n4 = parseIPv4(net);
  if ((v4 === undefined) !== (n4 === undefined)) return false;
  const width = v4 !== undefined ? 32 : 128;
  const a = v4 ?? parseIPv6(ip);
  const b = n4 ?? parseIPv6(net);
  if (a === undefined || b === undefined) return false;
  const bits = bitsText === undefined ? width : Number(bitsText);
  const shift = BigInt(width - bits);
  return a >> shift === b >> shift;
}

function selectorMatches(selector: unknown, labels: Readonly<Record<string, string>>): boolean {
  if (!selector || typeof selector !== "object") return true; // "Selects all if empty."
  const s = selector as { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
  for (const [k, v] of Object.entries(s.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of s.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    switch (e.operator) {
      case "In":
        if (!has || !(e.values ?? []).includes(value!)) return false;
        break;
      case "NotIn":
        if (has && (e.values ?? []).includes(value!)) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** Rust `regex` leftmost-first search, accepted only when it spans the whole text (as the proxy checks). */
function fullRegexMatch(pattern: string, text: string): boolean {
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch {
    return false;
  }
  const m = re.exec(text);
  return m !== null && m.index === 0 && m[0].length === text.length;
}

// ── Authentication ──────────────────────────────────────────────────────────────────────────

/** `IdentityMatch` of the policy controller: exact, `*`, or a `*.`-prefixed suffix. */
export function identityMatches(pattern: string, identity: string): boolean {
  if (pattern === "*") return true;
  if (pattern.startsWith("*.")) return identity.endsWith(pattern.slice(1));
  return pattern === identity;
}

interface Authz {
  readonly name: string;
  /** Undefined: unauthenticated clients too. */
  readonly identities?: readonly string[];
  readonly networks: readonly { cidr: string; except?: readonly string[] }[];
}

function authzMatches(a: Authz, client: Client): boolean {
  if (a.identities) {
    if (client.identity === undefined) return false;
    if (!a.identities.some((p) => identityMatches(p, client.identity!))) return false;
  }
  return a.networks.some((n) => inCidr(client.ip, n.cidr) && !(n.except ?? []).some((e) => inCidr(client.ip, e)));
}

const ALL_NETWORKS = [{ cidr: "0.0.0.0/0" }, { cidr: "::/0" }];

function defaultAuthz(policy: string, clusterNetworks: readonly string[]): Authz[] {
  const cluster = clusterNetworks.map((cidr) => ({ cidr }));
  switch (policy) {
    case "all-unauthenticated":
    case "audit":
      return [{ name: `default:${policy}`, networks: ALL_NETWORKS }];
    case "all-authenticated":
      return [{ name: `default:${policy}`, identities: ["*"], networks: ALL_NETWORKS }];
    case "cluster-authenticated":
      return [{ name: `default:${policy}`, identities: ["*"], networks: cluster }];
    case "cluster-unauthenticated":
      return [{ name: `default:${policy}`, networks: cluster }];
    default:
      return [];
  }
}

class Index {
  constructor(
    readonly cluster: Cluster,
    readonly objects: readonly LinkerdObject[] = cluster.objects,
  ) {}

  saIdentity(serviceAccount: string, namespace: string): string {
    return `${serviceAccount}.${namespace}.serviceaccount.identity.linkerd.${this.cluster.trustDomain ?? "cluster.local"}`;
  }

  find(g: string, kind: string, namespace: string, name: string): LinkerdObject | undefined {
    return this.objects.find((o) => isKind(o, g, kind) && o.metadata.namespace === namespace && o.metadata.name === name);
  }

  /** The authorization an AuthorizationPolicy grants, or undefined when it is void. */
  policyAuthz(policy: LinkerdObject): Authz | undefined {
    const ns = policy.metadata.namespace!;
    let identities: string[] | undefined;
    let networks: { cidr: string; except?: string[] }[] | undefined;
    const refs = (spec(policy).requiredAuthenticationRefs ?? []) as { group?: string; kind: string; name: string; namespace?: string }[];
    for (const ref of refs) {
      const refNs = ref.namespace ?? ns;
      if (ref.kind === "MeshTLSAuthentication" && (ref.group ?? "") === "policy.linkerd.io") {
        const authn = this.find("policy.linkerd.io", "MeshTLSAuthentication", refNs, ref.name);
        if (!authn || identities) return undefined;
        const s = spec(authn) as { identities?: string[]; identityRefs?: { kind: string; name?: string; namespace?: string }[] };
        identities = [
          ...(s.identities ?? []),
          ...(s.identityRefs ?? []).flatMap((r) =>
            r.kind === "ServiceAccount" && r.name ? [this.saIdentity(r.name, r.namespace ?? refNs)] : [],
          ),
        ];
        if (identities.length === 0) return undefined;
      } else if (ref.kind === "NetworkAuthentication" && (ref.group ?? "") === "policy.linkerd.io") {
        const authn = this.find("policy.linkerd.io", "NetworkAuthentication", refNs, ref.name);
        if (!authn || networks) return undefined;
        networks = ((spec(authn).networks ?? []) as { cidr: string; except?: string[] }[]).map((n) => ({ ...n }));
      } else if (ref.kind === "ServiceAccount" && (ref.group ?? "") === "") {
        if (identities) return undefined;
        identities = [this.saIdentity(ref.name, refNs)];
      } else return undefined;
    }
    return { name: policy.metadata.name, ...(identities ? { identities } : {}), networks: networks ?? ALL_NETWORKS };
  }

  policiesTargeting(namespace: string, matches: (ref: { group?: string; kind: string; name: string }) => boolean): Authz[] {
    const out: Authz[] = [];
    for (const o of this.objects) {
      if (!isKind(o, "policy.linkerd.io", "AuthorizationPolicy") || o.metadata.namespace !== namespace) continue;
      const ref = spec(o).targetRef as { group?: string; kind: string; name: string } | undefined;
      if (!ref || !matches(ref)) continue;
      const a = this.policyAuthz(o);
      if (a) out.push(a);
    }
    return out;
  }
}

// ── Routes ──────────────────────────────────────────────────────────────────────────────────

interface Candidate {
  readonly route: LinkerdObject;
  readonly rank: readonly number[];
}

function compareRank(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** `MatchPath::match_length`. */
function pathRank(path: { type?: string; value?: string } | undefined, requestPath: string): number | undefined {
  const type = path?.type ?? "PathPrefix";
  const value = path?.value ?? "/";
  if (type === "Exact") return value === requestPath ? value.length : undefined;
  if (type === "RegularExpression") return fullRegexMatch(value, requestPath) ? requestPath.length : undefined;
  if (value === "/") return 1;
  const prefix = value.replace(/\/+$/, "");
  const trimmed = requestPath.replace(/\/+$/, "");
  if (!trimmed.startsWith(prefix)) return undefined;
  const rest = trimmed.slice(prefix.length);
  return rest === "" || rest.startsWith("/") ? prefix.length : undefined;
}

function headersMatch(matches: readonly { type?: string; name: string; value: string }[], headers: Readonly<Record<string, string>>): boolean {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return matches.every((h) => {
    const v = lower[h.name.toLowerCase()];
    if (v === undefined) return false;
    return (h.type ?? "Exact") === "Exact" ? v === h.value : fullRegexMatch(h.value, v);
  });
}

interface HttpReq {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Best rank of an HTTPRoute for a request (`http::find`), or undefined. */
function httpRouteRank(route: LinkerdObject, req: HttpReq): readonly number[] | undefined {
  const s = spec(route) as { hostnames?: string[]; rules?: { matches?: Dict[] }[] };
  if ((s.hostnames ?? []).length > 0 && !(s.hostnames ?? []).includes(req.headers.host ?? "")) return undefined;
  const rules = s.rules ?? [{ matches: [{ path: { type: "PathPrefix", value: "/" } }] }];
  let best: readonly number[] | undefined;
  for (const rule of rules) {
    const matches = rule.matches ?? [];
    const ranks: (readonly number[])[] =
      matches.length === 0
        ? [[1, 0, 0, 0]]
        : matches.flatMap((m) => {
            const method = m.method as string | undefined;
            if (method !== undefined && method !== req.method) return [];
            const len = pathRank(m.path as { type?: string; value?: string } | undefined, req.path);
            if (len === undefined) return [];
            const headers = (m.headers ?? []) as { type?: string; name: string; value: string }[];
            if (!headersMatch(headers, req.headers)) return [];
            const query = (m.queryParams ?? []) as unknown[];
            if (query.length > 0) return []; // probes carry no query string
            return [[len, method !== undefined ? 1 : 0, headers.length, 0]];
          });
    for (const r of ranks) if (!best || compareRank(r, best) > 0) best = r;
  }
  return best;
}

/** Best rank of a GRPCRoute for a call (`grpc::MatchRoute`), or undefined. */
function grpcRouteRank(route: LinkerdObject, service: string, method: string): readonly number[] | undefined {
  const s = spec(route) as { rules?: { matches?: { method?: { type?: string; service?: string; method?: string }; headers?: unknown[] }[] }[] };
  let best: readonly number[] | undefined;
  for (const rule of s.rules ?? [{}]) {
    const matches = rule.matches ?? [];
    const ranks: (readonly number[])[] =
      matches.length === 0
        ? [[0, 0, 0]]
        : matches.flatMap((m) => {
            if ((m.headers ?? []).length > 0) return [];
            const rpc = m.method ?? {};
            if ((rpc.type ?? "Exact") !== "Exact") {
              const svcOk = rpc.service === undefined || fullRegexMatch(rpc.service, service);
              const mOk = rpc.method === undefined || fullRegexMatch(rpc.method, method);
              return svcOk && mOk ? [[rpc.service ? service.length : 0, rpc.method ? method.length : 0, 0]] : [];
            }
            if (rpc.service !== undefined && rpc.service !== service) return [];
            if (rpc.method !== undefined && rpc.method !== method) return [];
            return [[rpc.service?.length ?? 0, rpc.method?.length ?? 0, 0]];
          });
    for (const r of ranks) if (!best || compareRank(r, best) > 0) best = r;
  }
  return best;
}

function attachedTo(route: LinkerdObject, server: LinkerdObject): boolean {
  const refs = (spec(route).parentRefs ?? []) as { group?: string; kind?: string; name: string; namespace?: string }[];
  return refs.some(
    (p) =>
      p.kind === "Server" &&
      p.group === "policy.linkerd.io" &&
      p.name === server.metadata.name &&
      (p.namespace ?? route.metadata.namespace) === server.metadata.namespace,
  );
}

// ── The decision ────────────────────────────────────────────────────────────────────────────

function serverPort(server: LinkerdObject): number | string | undefined {
  return spec(server).port as number | string | undefined;
}

/** The decision of the proxy of `workload` for `request` from `client` on container port `port`. */
export function authorize(cluster: Cluster, workload: Workload, port: number, client: Client, request: Request): Decision {
  const index = new Index(cluster);
  const networks = cluster.clusterNetworks ?? DEFAULT_CLUSTER_NETWORKS;
  const ns = workload.namespace;

  const servers = cluster.objects.filter((o) => {
    if (o.kind !== "Server" || group(o.apiVersion) !== "policy.linkerd.io" || o.metadata.namespace !== ns) return false;
    if (!selectorMatches(spec(o).podSelector, workload.labels)) return false;
    const p = serverPort(o);
    return typeof p === "number" ? p === port : p !== undefined && workload.namedPorts?.[p] === port;
  });
  if (servers.length > 1) {
    return { allowed: false, ambiguous: true, reason: `Servers ${servers.map((s) => s.metadata.name).join(", ")} overlap on port ${port}` };
  }

  if (servers.length === 0) {
    const nsObject = cluster.objects.find((o) => o.kind === "Namespace" && o.metadata.name === ns);
    const policy =
      workload.annotations?.["config.linkerd.io/default-inbound-policy"] ??
      nsObject?.metadata.annotations?.["config.linkerd.io/default-inbound-policy"] ??
      cluster.defaultPolicy ??
      "all-unauthenticated";
    const allowed = defaultAuthz(policy, networks).some((a) => authzMatches(a, client));
    return { allowed, ambiguous: false, reason: `no Server; default policy ${policy}` };
  }

  const server = servers[0]!;
  const serverName = server.metadata.name;
  const serverAuthz = [
    ...index.policiesTargeting(ns, (r) => (r.kind === "Server" && r.group === "policy.linkerd.io" && r.name === serverName) || (r.kind === "Namespace" && (r.group ?? "") === "" && r.name === ns)),
    ...defaultAuthz((spec(server).accessPolicy as string | undefined) ?? "deny", networks),
  ];
  const protocol = (spec(server).proxyProtocol as string | undefined) ?? "unknown";
  const decide = (authz: readonly Authz[], what: string): Decision => {
    const hit = authz.find((a) => authzMatches(a, client));
    return { allowed: hit !== undefined, ambiguous: false, reason: hit ? `${what}: authorized by ${hit.name}` : `${what}: no authorization matches` };
  };

  if (protocol === "opaque" || protocol === "TLS" || (protocol === "unknown" && request.kind === "tcp")) return decide(serverAuthz, `Server ${serverName} (${protocol})`);
  if (request.kind === "tcp") return { allowed: false, ambiguous: false, reason: `Server ${serverName} speaks ${protocol}; a raw TCP stream is not a request` };

  const grpcServer = protocol === "gRPC";
  const routeKind = grpcServer ? "GRPCRoute" : "HTTPRoute";
  const routes = cluster.objects.filter((o) => o.kind === routeKind && (grpcServer ? group(o.apiVersion) === "gateway.networking.k8s.io" : ["gateway.networking.k8s.io", "policy.linkerd.io"].includes(group(o.apiVersion))) && o.metadata.namespace === ns && attachedTo(o, server));
  if (routes.length === 0) return decide(serverAuthz, `Server ${serverName}, default route`);

  let candidates: Candidate[] = [];
  for (const route of routes) {
    let rank: readonly number[] | undefined;
    if (grpcServer) {
      if (request.kind === "grpc") rank = grpcRouteRank(route, request.service, request.method);
      else {
        const [, service, method] = request.method === "POST" ? request.path.split("/") : [];
        rank = service !== undefined && method !== undefined ? grpcRouteRank(route, service, method) : undefined;
      }
    } else {
      const req: HttpReq =
        request.kind === "grpc"
          ? { method: "POST", path: `/${request.service}/${request.method}`, headers: { "content-type": "application/grpc" } }
          : { method: request.method, path: request.path, headers: request.headers ?? {} };
      rank = httpRouteRank(route, req);
    }
    if (rank) candidates.push({ route, rank });
  }
  if (candidates.length === 0) return { allowed: false, ambiguous: false, reason: `Server ${serverName}: no route matches (404)` };
  candidates.sort((a, b) => compareRank(b.rank, a.rank));
  candidates = candidates.filter((c) => compareRank(c.rank, candidates[0]!.rank) === 0);
  const decisions = candidates.map((c) => {
    const g = group(c.route.apiVersion);
    const routeAuthz = index.policiesTargeting(ns, (r) => r.kind === c.route.kind && (r.group ?? "") === g && r.name === c.route.metadata.name);
    return decide([...routeAuthz, ...serverAuthz], `${c.route.kind} ${c.route.metadata.name}`);
  });
  const ambiguous = decisions.some((d) => d.allowed !== decisions[0]!.allowed);
  return ambiguous ? { ...decisions[0]!, ambiguous: true, reason: `tie between ${candidates.map((c) => c.route.metadata.name).join(", ")}` } : decisions[0]!;
}

// ── The intent oracle's plug-in (test/oracle/evaluator.ts) ───────────────────────────────────

/** Linkerd's name for a SPIFFE identity `spiffe://<td>/ns/<ns>/sa/<sa>`: `<sa>.<ns>.serviceaccount.identity.linkerd.<td>`. */
export function linkerdIdentityOf(spiffeId: string): string {
  const m = /^spiffe:\/\/([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(spiffeId);
  if (!m) throw new Error(`not a Kubernetes SPIFFE id: ${spiffeId}`);
  return `${m[3]}.${m[2]}.serviceaccount.identity.linkerd.${m[1]}`;
}

/** The probe's request as the inbound proxy sees it. */
function requestOf(request: ConcreteRequest): Request {
  if (request.protocol === "tcp") return { kind: "tcp" };
  if (request.grpcMethod !== undefined) {
    const [service, method] = request.grpcMethod.split("/") as [string, string | undefined];
    if (method !== undefined) return { kind: "grpc", service, method };
  }
  return { kind: "http", method: request.method ?? "GET", path: request.path ?? "/", headers: request.headers };
}

/**
 * Decides oracle probes (admission only) over the linkerd target's objects: the destination's
 * pods (one label set per version, in the Service's namespace) on the container port the Service
 * port targets, a caller with a mesh identity as its Linkerd identity, a plaintext client as an
 * unauthenticated pod of the cluster network. Every version's pods must admit the request: the
 * Service may send it to any of them. A tie between routes that would decide differently is a
 * bug in the target (Linkerd would settle it by creation time), so it throws.
 */
export function linkerdOracleEvaluator(objects: readonly LinkerdObject[]): TargetEvaluator {
  const cluster: Cluster = { objects };
  return {
    target: "linkerd",
    decide(_probe: Probe, request: ConcreteRequest): TargetDecision {
      const src = request.source;
      const client: Client = src.kind === "workload" ? { identity: linkerdIdentityOf(src.spiffeId), ip: "10.244.0.10" } : { ip: "10.244.0.11" };
      const d = request.destination;
      const req = requestOf(request);
      const decisions = d.pods.map((labels) => authorize(cluster, { namespace: d.namespace, labels }, d.targetPort, client, req));
      const tie = decisions.find((x) => x.ambiguous);
      if (tie) throw new Error(`Linkerd's decision for ${JSON.stringify(req)} to ${d.host}:${d.port} depends on which route is older: ${tie.reason}`);
      const refused = decisions.find((x) => !x.allowed);
      return refused ? { allowed: false, reason: refused.reason } : { allowed: true, reason: decisions[0]?.reason ?? "no pods" };
    },
  };
}

/** The Linkerd evaluator for the oracle's equivalence suite: the linkerd target's objects only. */
export const oraclePlugin: EvaluatorPlugin = {
  target: "linkerd",
  evaluator: (output) => linkerdOracleEvaluator(output.artifacts.flatMap((a) => ("yaml" in a && a.yaml && typeof a.yaml === "object" ? [a.yaml as LinkerdObject] : []))),
};
