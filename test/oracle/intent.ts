/**
 * The intent oracle: what a mesh.ts means, decided from the IR alone, for one probe (a caller
 * sending one request to one port of one service). Every target's evaluator is compared with it.
 *
 * The semantics are the DSL's documented meaning (dsl/policy.ts, dsl/service.ts, dsl/traffic.ts);
 * each rule below cites the doc comment it follows. Where the DSL is silent, the choice is written
 * down here, once, so every target implements the same thing.
 *
 * ## Authorization
 *
 * 1. Default deny. `Policy.calls`: "Allowed calls. The mesh is default-deny: a call not listed
 *    here is refused." A probe is allowed only by a *grant*: a call, an ingress route, or a mirror.
 * 2. Callers are identities. `ServiceSpec.serviceAccount`: "the workload identity that
 *    authorization and certificates use". A call `from: s.a` admits a's identity, so a service that
 *    shares a's service account is admitted too (MESH117 warns about that); the decision then says
 *    `viaSharedIdentity`, for evaluators that tell workloads apart by pod labels instead.
 * 3. A call admits its callers on its port only, with its `methods`, `paths` and `grpcMethods`
 *    ("@default every method / every path"), all of which must hold. Paths: exact, or a plain
 *    string prefix (`"/static/*"` is the prefix `"/static/"`, which matches `/static/` and
 *    `/static/a` but not `/static`; `"/api*"` matches `/apis`), as Envoy's and Istio's `prefix`.
 *    A gRPC method `pkg.Svc/M` is the request path `/pkg.Svc/M` (the gRPC wire format), and
 *    `pkg.Svc/*` every path `/pkg.Svc/<method>`.
 * 4. `from: anyService`: "Any authenticated workload of the mesh" — every identity, including the
 *    ingress gateways and workloads mesh.ts does not declare, but never a plaintext client.
 * 5. Ingress: an entry point's route admits the gateway's identity (`IngressSpec.gateway`: "The
 *    gateway workload's identity") on the route's destination port, with the route's `paths` and
 *    `methods`. Every route grants, whatever its position: the route order decides where the
 *    gateway sends a request, not what the destination admits from the gateway.
 * 6. Mirrors: a route rule that mirrors to another service's port makes the callers' proxies send
 *    copies there, so each grant on the route's own port (call or ingress route) is also a grant
 *    on the mirror's port (the mirror percent must be above 0). The rule's match is not part of
 *    it: the mirror's port admits what the callers may send to the mirrored port.
 * 7. mTLS (`MtlsMode`: "strict: only mTLS is accepted; permissive: mTLS and plaintext are both
 *    accepted; disabled: plaintext only"), per port (`PortSpec.mtls`), decides about *plaintext*
 *    clients, the ones with no mesh identity (no sidecar):
 *    - strict: a plaintext client is refused;
 *    - permissive and disabled: a plaintext client is admitted for every request. It has no
 *      identity, so no identity-based grant can apply to it; the DSL documents such a port as
 *      reachable without a sidecar (`PortSpec.mtls`: "e.g. a metrics port scraped in plaintext"),
 *      and MESH115 warns that the port accepts plaintext.
 *    Callers with an identity are decided by the grants in every mode. With `disabled`, their
 *    connections are plaintext too, so a target that authorizes by identity cannot tell them
 *    apart: it must report that as a MESH2xx (the oracle keeps the declared meaning, the intent).
 *
 * ## Routing (allowed requests of a service or an ingress gateway, on non-TCP ports)
 *
 * 8. A port's route rules are tried in order (`RouteRule`: "Rules are tried in order; a rule
 *    without `match` is the catch-all"); a match needs all its header conditions, one of its paths
 *    and one of its methods. Header regexes are full-string matches (RE2, as Envoy's `safe_regex`).
 * 9. The rule's `to` gives the versions and weights; no `to` means "every version, balanced by the
 *    proxy" (`"all"`). A port without a route, or a request no rule matches, goes to every version:
 *    `Policy.routes` "@default {} (each port goes to all its versions)" — routing never refuses a
 *    request, authorization does.
 * 10. Timeout and retries: the rule's ("for every caller", "@default the call's"), else the
 *    caller's own: the call that admits the request (resolved in the IR: call → callee traffic →
 *    mesh default), or for a gateway the first of its routes that sends the request there. When
 *    several calls of one caller admit the request with different policies, the first by call id
 *    wins and the outcome is marked `ambiguous`.
 *
 * Plaintext clients and undeclared workloads have no configured proxy routes, so the oracle does
 * not say where their requests go.
 */
import type {
  CallIR,
  FaultIR,
  HttpMethod,
  IngressIR,
  IngressRouteIR,
  MeshIR,
  PathMatchIR,
  PortIR,
  Protocol,
  RetryIR,
  RetryOn,
  RouteIR,
  RouteMatchIR,
  ServiceId,
  ServiceIR,
  Span,
  StringMatchIR,
} from "../../compiler/ir.js";

/** Who sends the probe. */
export type ProbeCaller =
  /** A declared service's workload, over mTLS with its identity. */
  | { readonly kind: "service"; readonly service: ServiceId }
  /** An ingress entry point's gateway workload, over mTLS with the gateway identity. */
  | { readonly kind: "ingress"; readonly ingress: string }
  /** A workload mesh.ts does not declare, over mTLS with this SPIFFE id. */
  | { readonly kind: "identity"; readonly spiffeId: string }
  /** A client with no mesh identity (no sidecar). */
  | { readonly kind: "plaintext" };

/** One request (or, on a TCP port, one connection) to one port of one service. */
export interface Probe {
  readonly caller: ProbeCaller;
  readonly callee: ServiceId;
  /** The port's name. */
  readonly port: string;
  /** The port's protocol. */
  readonly protocol: Protocol;
  readonly method?: HttpMethod;
  readonly path?: string;
  /** `package.Service/Method`: a gRPC request, i.e. `POST /package.Service/Method`. */
  readonly grpcMethod?: string;
  /** Request headers, lower-case names. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A declaration that admits a probe. */
export type Grant =
  | { readonly kind: "call"; readonly call: CallIR }
  | { readonly kind: "ingress"; readonly ingress: IngressIR; readonly route: IngressRouteIR; readonly index: number }
  | { readonly kind: "mirror"; readonly route: RouteIR; readonly rule: number; readonly of: Grant };

export interface RetryOutcome {
  readonly attempts: number;
  readonly perTryTimeoutMs?: number;
  readonly on: readonly RetryOn[];
}

/** Where an allowed request goes, and with which timeout and retries. */
export interface RouteOutcome {
  /** The route's id (`<service>:<port>`), when the port has one. */
  readonly route?: string;
  /** Index of the rule that matched; undefined when the port has no route or no rule matched. */
  readonly rule?: number;
  /** The versions and their weights, or every version (the Service's own balancing). */
  readonly destinations: readonly { readonly version: string; readonly weight: number }[] | "all";
  readonly timeoutMs?: number;
  readonly timeoutFrom: PolicySource;
  readonly retries?: RetryOutcome;
  readonly retriesFrom: PolicySource;
  readonly fault?: Omit<FaultIR, "span">;
  readonly mirror?:
    | { readonly kind: "version"; readonly version: string; readonly percent: number }
    | { readonly kind: "service"; readonly service: ServiceId; readonly port: string; readonly percent: number };
  /** Several calls of this caller admit the request with different timeouts or retries. */
  readonly ambiguous?: true;
}

export type PolicySource = "rule" | "call" | "ingress" | "service" | "none";

export interface Decision {
  readonly allowed: boolean;
  /** One sentence: why. */
  readonly reason: string;
  /** What admitted the probe (empty when denied, or when admitted as plaintext). */
  readonly grants: readonly Grant[];
  /** Allowed only through grants that name another service with the same identity. */
  readonly viaSharedIdentity: boolean;
  /** For allowed requests of services and gateways on non-TCP ports. */
  readonly route?: RouteOutcome;
}

/** The request as a proxy sees it. */
interface RequestView {
  readonly method?: HttpMethod;
  readonly path?: string;
  /** The gRPC method the path names, when it has the form `/package.Service/Method`. */
  readonly grpc?: { readonly service: string; readonly method: string };
  readonly headers: Readonly<Record<string, string>>;
}

const GRPC_PATH = /^\/([A-Za-z_][\w.]*)\/([A-Za-z_]\w*)$/;

function requestOf(probe: Probe): RequestView {
  const headers = probe.headers ?? {};
  if (probe.grpcMethod !== undefined) {
    const path = `/${probe.grpcMethod}`;
    const m = GRPC_PATH.exec(path);
    return { method: "POST", path, ...(m ? { grpc: { service: m[1]!, method: m[2]! } } : {}), headers };
  }
  if (probe.protocol === "tcp") return { headers };
  const m = probe.path !== undefined ? GRPC_PATH.exec(probe.path) : null;
  return {
    ...(probe.method !== undefined ? { method: probe.method } : {}),
    ...(probe.path !== undefined ? { path: probe.path } : {}),
    ...(m ? { grpc: { service: m[1]!, method: m[2]! } } : {}),
    headers,
  };
}

export function pathMatches(p: PathMatchIR, path: string | undefined): boolean {
  if (path === undefined) return false;
  return p.kind === "exact" ? path === p.value : path.startsWith(p.value);
}

export function stringMatches(m: StringMatchIR, value: string | undefined): boolean {
  if (value === undefined) return false;
  switch (m.kind) {
    case "exact":
      return value === m.value;
    case "prefix":
      return value.startsWith(m.value);
    case "regex":
      try {
        return new RegExp(`^(?:${m.value})$`).test(value);
      } catch {
        return false;
      }
  }
}

/** Why a grant's request conditions refuse the request, or undefined when they admit it. */
function refusal(
  conditions: { readonly methods?: readonly HttpMethod[]; readonly paths?: readonly PathMatchIR[]; readonly grpcMethods?: CallIR["grpcMethods"] },
  req: RequestView,
): string | undefined {
  if (conditions.methods && (req.method === undefined || !conditions.methods.includes(req.method))) {
    return `method ${req.method ?? "(none)"} is not one of ${conditions.methods.join(", ")}`;
  }
  if (conditions.paths && !conditions.paths.some((p) => pathMatches(p, req.path))) {
    return `path ${req.path ?? "(none)"} matches none of ${conditions.paths.map(showPath).join(", ")}`;
  }
  if (conditions.grpcMethods) {
    const g = req.grpc;
    if (!g || !conditions.grpcMethods.some((m) => m.service === g.service && (m.method === undefined || m.method === g.method))) {
      return `gRPC method ${g ? `${g.service}/${g.method}` : "(none)"} is not one of ${conditions.grpcMethods.map((m) => `${m.service}/${m.method ?? "*"}`).join(", ")}`;
    }
  }
  return undefined;
}

const showPath = (p: PathMatchIR) => (p.kind === "prefix" ? `${p.value}*` : p.value);

/** Lookups the oracle needs, built once per mesh. */
export interface OracleIndex {
  readonly ir: MeshIR;
  readonly services: ReadonlyMap<ServiceId, ServiceIR>;
  readonly ingresses: ReadonlyMap<string, IngressIR>;
  /** Calls, ingress routes and mirrors by `<service>:<port>` of their destination. */
  readonly grantsTo: ReadonlyMap<string, readonly Grant[]>;
  readonly routes: ReadonlyMap<string, RouteIR>;
}

const portKey = (service: ServiceId, port: string) => `${service}:${port}`;

export function indexMesh(ir: MeshIR): OracleIndex {
  const grantsTo = new Map<string, Grant[]>();
  const add = (key: string, g: Grant) => {
    const list = grantsTo.get(key) ?? [];
    list.push(g);
    grantsTo.set(key, list);
  };
  for (const call of ir.calls) if (call.to.kind === "service") add(portKey(call.to.service, call.to.port), { kind: "call", call });
  for (const ingress of ir.ingresses) {
    ingress.routes.forEach((route, index) => add(portKey(route.to.service, route.to.port), { kind: "ingress", ingress, route, index }));
  }
  // Mirrors copy the grants of the mirrored port (one level: mirrored copies are not mirrored again).
  const direct = new Map([...grantsTo].map(([k, v]) => [k, [...v]]));
  for (const route of ir.routes) {
    route.rules.forEach((rule, i) => {
      const m = rule.mirror;
      if (!m || m.to.kind !== "service" || !(m.percent > 0)) return;
      for (const of of direct.get(portKey(route.service, route.port)) ?? []) add(portKey(m.to.service, m.to.port), { kind: "mirror", route, rule: i, of });
    });
  }
  return {
    ir,
    services: new Map(ir.services.map((s) => [s.id, s])),
    ingresses: new Map(ir.ingresses.map((i) => [i.name, i])),
    grantsTo,
    routes: new Map(ir.routes.map((r) => [r.id, r])),
  };
}

/** The SPIFFE id a caller presents, or undefined for plaintext (or an unknown service/ingress). */
export function callerIdentity(index: OracleIndex, caller: Probe["caller"]): string | undefined {
  switch (caller.kind) {
    case "service":
      return index.services.get(caller.service)?.identity.spiffeId;
    case "ingress":
      return index.ingresses.get(caller.ingress)?.gateway.identity.spiffeId;
    case "identity":
      return caller.spiffeId;
    case "plaintext":
      return undefined;
  }
}

/** Whether a grant's caller side admits `identity`; `direct` when it names the probing service itself. */
function admitsIdentity(index: OracleIndex, g: Grant, identity: string, caller: Probe["caller"]): { admits: boolean; direct: boolean } {
  switch (g.kind) {
    case "call": {
      const from = g.call.from;
      if (from.kind === "any") return { admits: true, direct: true };
      const s = index.services.get(from.service);
      if (!s || s.identity.spiffeId !== identity) return { admits: false, direct: false };
      return { admits: true, direct: caller.kind !== "service" || caller.service === from.service };
    }
    case "ingress":
      return g.ingress.gateway.identity.spiffeId === identity ? { admits: true, direct: true } : { admits: false, direct: false };
    case "mirror":
      return admitsIdentity(index, g.of, identity, caller);
  }
}

function grantConditions(g: Grant): Parameters<typeof refusal>[0] {
  switch (g.kind) {
    case "call":
      return g.call;
    case "ingress":
      return g.route;
    case "mirror":
      return grantConditions(g.of);
  }
}

export function describeGrant(g: Grant): string {
  switch (g.kind) {
    case "call":
      return `call ${g.call.id}`;
    case "ingress":
      return `route ${g.index + 1} of ingress "${g.ingress.name}"`;
    case "mirror":
      return `the mirror of rule ${g.rule + 1} of route ${g.route.id} (copying ${describeGrant(g.of)})`;
  }
}

/** The oracle: decides one probe. */
export function decide(index: OracleIndex, probe: Probe): Decision {
  const service = index.services.get(probe.callee);
  const port = service?.ports.find((p) => p.name === probe.port);
  if (!service || !port) return deny(`${probe.callee} has no port "${probe.port}"`);
  const req = requestOf({ ...probe, protocol: port.protocol });
  const identity = callerIdentity(index, probe.caller);
  if (identity === undefined) {
    if (probe.caller.kind !== "plaintext") return deny(`the ${probe.caller.kind} ${JSON.stringify(probe.caller)} is not declared`);
    const mode = port.mtls;
    if (mode === "strict") return deny(`port ${portKey(service.id, port.name)} is mTLS strict: plaintext is refused`);
    return {
      allowed: true,
      reason: `port ${portKey(service.id, port.name)} is mTLS ${mode}: a plaintext client has no identity for grants to name, and the port accepts plaintext`,
      grants: [],
      viaSharedIdentity: false,
    };
  }
  const candidates = index.grantsTo.get(portKey(service.id, port.name)) ?? [];
  const forCaller = candidates.map((g) => ({ g, ...admitsIdentity(index, g, identity, probe.caller) })).filter((x) => x.admits);
  if (forCaller.length === 0) return deny(`no call, ingress route or mirror admits ${identity} on ${portKey(service.id, port.name)}`);
  const admitting = forCaller.filter((x) => refusal(grantConditions(x.g), req) === undefined);
  if (admitting.length === 0) {
    const why = forCaller.map((x) => `${describeGrant(x.g)}: ${refusal(grantConditions(x.g), req)}`).join("; ");
    return deny(`the request matches no grant for ${identity}: ${why}`);
  }
  const viaSharedIdentity = !admitting.some((x) => x.direct);
  const grants = admitting.map((x) => x.g);
  const route = probe.caller.kind === "service" || probe.caller.kind === "ingress" ? routeOf(index, probe, service, port, req, grants) : undefined;
  return {
    allowed: true,
    reason: `allowed by ${describeGrant(grants[0]!)}${grants.length > 1 ? ` (and ${grants.length - 1} more)` : ""}${viaSharedIdentity ? ", through an identity shared with another service" : ""}`,
    grants,
    viaSharedIdentity,
    ...(route ? { route } : {}),
  };
}

function deny(reason: string): Decision {
  return { allowed: false, reason, grants: [], viaSharedIdentity: false };
}

/**
 * The connection-level decision, for evaluators that see only L3/L4 (NetworkPolicy): whether the
 * caller may open a connection to the port at all, i.e. some request of it would be allowed.
 */
export function decideConnection(index: OracleIndex, caller: Probe["caller"], callee: ServiceId, portName: string): Decision {
  const service = index.services.get(callee);
  const port = service?.ports.find((p) => p.name === portName);
  if (!service || !port) return deny(`${callee} has no port "${portName}"`);
  const identity = callerIdentity(index, caller);
  if (identity === undefined) {
    if (caller.kind === "plaintext" && port.mtls !== "strict") {
      return { allowed: true, reason: `port ${portKey(callee, portName)} is mTLS ${port.mtls}: plaintext is accepted`, grants: [], viaSharedIdentity: false };
    }
    return deny(caller.kind === "plaintext" ? `port ${portKey(callee, portName)} is mTLS strict: plaintext is refused` : `the caller is not declared`);
  }
  const admitting = (index.grantsTo.get(portKey(callee, portName)) ?? []).map((g) => ({ g, ...admitsIdentity(index, g, identity, caller) })).filter((x) => x.admits);
  if (admitting.length === 0) return deny(`no call, ingress route or mirror admits ${identity} on ${portKey(callee, portName)}`);
  const viaSharedIdentity = !admitting.some((x) => x.direct);
  return { allowed: true, reason: `connections allowed by ${describeGrant(admitting[0]!.g)}`, grants: admitting.map((x) => x.g), viaSharedIdentity };
}

export function routeMatches(match: RouteMatchIR | undefined, req: RequestView): boolean {
  if (!match) return true;
  if (!match.headers.every((h) => stringMatches(h.match, req.headers[h.name]))) return false;
  if (match.paths && !match.paths.some((p) => pathMatches(p, req.path))) return false;
  if (match.methods && (req.method === undefined || !match.methods.includes(req.method))) return false;
  return true;
}

const retryOutcome = (r: RetryIR | undefined): RetryOutcome | undefined =>
  r ? { attempts: r.attempts, ...(r.perTryTimeoutMs !== undefined ? { perTryTimeoutMs: r.perTryTimeoutMs } : {}), on: r.on } : undefined;

const sameRetries = (a: RetryOutcome | undefined, b: RetryOutcome | undefined) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

function routeOf(index: OracleIndex, probe: Probe, service: ServiceIR, port: PortIR, req: RequestView, grants: readonly Grant[]): RouteOutcome {
  // The caller's own policy: its ingress route, else the first call that admits the request
  // (one naming the caller itself before `anyService` and shared-identity calls), else the
  // callee's traffic policy (a caller admitted only through a mirror has no call of its own).
  const caller = probe.caller;
  let policy: { timeoutMs?: number; retries?: RetryOutcome; from: PolicySource } = {
    ...(service.traffic.timeoutMs !== undefined ? { timeoutMs: service.traffic.timeoutMs } : {}),
    ...(service.traffic.retries ? { retries: retryOutcome(service.traffic.retries)! } : {}),
    from: "service",
  };
  let ambiguous = false;
  const ingressRoute = caller.kind === "ingress" ? grants.find((g): g is Extract<Grant, { kind: "ingress" }> => g.kind === "ingress" && g.ingress.name === caller.ingress) : undefined;
  const calls = grants.filter((g): g is Extract<Grant, { kind: "call" }> => g.kind === "call").map((g) => g.call);
  const own = caller.kind === "service" ? calls.filter((c) => c.from.kind === "service" && c.from.service === caller.service) : [];
  const ordered = [...own, ...calls.filter((c) => !own.includes(c))];
  if (ingressRoute) {
    const r = ingressRoute.route;
    policy = { ...(r.timeoutMs !== undefined ? { timeoutMs: r.timeoutMs } : {}), ...(r.retries ? { retries: retryOutcome(r.retries)! } : {}), from: "ingress" };
  } else if (ordered.length > 0) {
    const first = ordered[0]!;
    policy = { ...(first.timeoutMs !== undefined ? { timeoutMs: first.timeoutMs } : {}), ...(first.retries ? { retries: retryOutcome(first.retries)! } : {}), from: "call" };
    ambiguous = ordered.some((c) => c.timeoutMs !== first.timeoutMs || !sameRetries(retryOutcome(c.retries), policy.retries));
  }

  const route = index.routes.get(portKey(service.id, port.name));
  // TCP ports carry no requests to match: only a rule without a match applies.
  const ruleIndex = route ? route.rules.findIndex((r) => (port.protocol === "tcp" ? !r.match : routeMatches(r.match, req))) : -1;
  const rule = route && ruleIndex >= 0 ? route.rules[ruleIndex] : undefined;
  const timeoutMs = rule?.timeoutMs ?? policy.timeoutMs;
  const retries = rule?.retries ? retryOutcome(rule.retries) : policy.retries;
  const mirror = rule?.mirror;
  return {
    ...(route ? { route: route.id } : {}),
    ...(rule ? { rule: ruleIndex } : {}),
    destinations: rule && rule.destinations.length > 0 ? rule.destinations.map((d) => ({ version: d.version, weight: d.weight })) : "all",
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    timeoutFrom: rule?.timeoutMs !== undefined ? "rule" : policy.timeoutMs !== undefined ? policy.from : "none",
    ...(retries ? { retries } : {}),
    retriesFrom: rule?.retries ? "rule" : policy.retries ? policy.from : "none",
    ...(rule?.fault ? { fault: stripSpan(rule.fault) } : {}),
    ...(mirror
      ? {
          mirror:
            mirror.to.kind === "version"
              ? { kind: "version" as const, version: mirror.to.version, percent: mirror.percent }
              : { kind: "service" as const, service: mirror.to.service, port: mirror.to.port, percent: mirror.percent },
        }
      : {}),
    // A rule's own timeout and retries make the callers' disagreement moot.
    ...(ambiguous && (rule?.timeoutMs === undefined || !rule?.retries) ? { ambiguous: true as const } : {}),
  };
}

function stripSpan(f: FaultIR): Omit<FaultIR, "span"> {
  const { span: _span, ...rest } = f;
  return rest;
}

/** Convenience: decide a probe against a mesh (builds the index each time; use `indexMesh` for many). */
export function decideProbe(ir: MeshIR, probe: Probe): Decision {
  return decide(indexMesh(ir), probe);
}

/**
 * The spans of the declarations that decide a probe, for excusing a MESH2xx: the grants on its
 * port (calls, ingress routes, mirrors), the port, where its mTLS mode is declared, the service
 * accounts of the caller's identity; for routing, the port's route and rules, the grants (their
 * timeouts and retries), the callee's traffic policy and the mesh defaults.
 */
export function spansAtStake(index: OracleIndex, probe: Probe, aspect: "allowed" | "route"): Span[] {
  const service = index.services.get(probe.callee);
  const port = service?.ports.find((p) => p.name === probe.port);
  const out: Span[] = [];
  if (!service || !port) return out;
  const grants = index.grantsTo.get(portKey(probe.callee, probe.port)) ?? [];
  const grantSpans = (g: Grant): Span[] => {
    switch (g.kind) {
      case "call":
        return [g.call.span];
      case "ingress":
        return [g.route.span, g.ingress.span];
      case "mirror":
        return [g.route.rules[g.rule]!.mirror!.span, g.route.rules[g.rule]!.span, ...grantSpans(g.of)];
    }
  };
  out.push(...grants.flatMap(grantSpans));
  if (aspect === "allowed") {
    out.push(port.span);
    // The mode is declared on the port (inside its span), else on the service, else in the mesh defaults.
    if (!port.fieldSpans.mtls && service.fieldSpans.mtls) out.push(service.fieldSpans.mtls);
    if (!port.fieldSpans.mtls && !service.fieldSpans.mtls && port.mtls !== "strict" && index.ir.fieldSpans.defaults) out.push(index.ir.fieldSpans.defaults);
    // A target that cannot tell apart services sharing an identity reports it at their service accounts.
    const identity = callerIdentity(index, probe.caller);
    for (const s of index.ir.services) if (identity !== undefined && s.identity.spiffeId === identity && s.fieldSpans.serviceAccount) out.push(s.fieldSpans.serviceAccount);
  } else {
    const route = index.routes.get(portKey(probe.callee, probe.port));
    if (route) out.push(route.span, ...route.rules.map((r) => r.span));
    if (service.fieldSpans.traffic) out.push(service.fieldSpans.traffic);
    if (index.ir.fieldSpans.defaults) out.push(index.ir.fieldSpans.defaults);
  }
  return out;
}
