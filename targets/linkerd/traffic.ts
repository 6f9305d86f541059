/**
 * Client-side traffic policy: timeouts and retries (the `timeout.linkerd.io/*` and
 * `retry.linkerd.io/*` annotations of Linkerd 2.16+), circuit breaking (failure accrual), header
 * and path routing and weighted splits (GAMMA routes attached to the Service, with one Service per
 * version as backends), local rate limits, and what of it Linkerd cannot say.
 *
 * Linkerd configures all of this on the destination: every caller of a Service gets the same
 * timeouts and retries. The mesh's are per call, so when callers disagree the destination's own
 * policy is used and each call that differs is reported.
 */
import {
  assertNever,
  type CallIR,
  type HeaderMatchIR,
  type PathMatchIR,
  type PortIR,
  type RetryIR,
  type RetryOn,
  type RouteIR,
  type RouteRuleIR,
  type ServiceId,
  type ServiceIR,
  type Span,
} from "../../compiler/ir.js";
import { versionServiceName } from "../conventions.js";
import { serviceObject, sortedLabels } from "../kubernetes/workloads.js";
import type { ServerInfo } from "./authorization.js";
import { callsInto, type Context, type KubeObject, meta, routeOfPort } from "./context.js";
import { API, boundedName, escapeRegex, gatewayDuration, linkerdDuration, POLICY_GROUP } from "./names.js";
import { linkerdPathRank, type LinkerdPathMatch } from "./route-plan.js";

/** Client-side policy towards one service port. */
interface Outbound {
  readonly timeoutMs?: number;
  readonly retries?: RetryIR;
}

export interface TrafficResult {
  readonly objects: KubeObject[];
  /** Annotations the Service of each service needs (opaque ports, failure accrual, timeouts, retries). */
  readonly serviceAnnotations: Map<ServiceId, Record<string, string>>;
}

const retryKey = (r: RetryIR | undefined) => (r ? JSON.stringify([r.attempts, r.perTryTimeoutMs ?? null, r.on, r.budget ?? null]) : "none");
const describeTimeout = (ms: number | undefined) => (ms === undefined ? "no timeout" : linkerdDuration(ms));
const describeRetries = (r: RetryIR | undefined) =>
  r ? `${r.attempts} ${r.attempts === 1 ? "retry" : "retries"}${r.perTryTimeoutMs !== undefined ? ` of ${linkerdDuration(r.perTryTimeoutMs)}` : ""} on ${r.on.join(", ")}` : "no retries";

export function traffic(ctx: Context, servers: readonly ServerInfo[]): TrafficResult {
  const objects: KubeObject[] = [];
  const serviceAnnotations = new Map<ServiceId, Record<string, string>>();
  const annotate = (id: ServiceId, entries: Record<string, string>) => serviceAnnotations.set(id, { ...(serviceAnnotations.get(id) ?? {}), ...entries });
  const versionsNeeded = new Map<ServiceId, Set<string>>();

  for (const service of ctx.ir.services) {
    const tcp = service.ports.filter((p) => p.protocol === "tcp");
    if (tcp.length > 0) annotate(service.id, { "config.linkerd.io/opaque-ports": [...new Set(tcp.map((p) => p.port))].sort((a, b) => a - b).join(",") });
    annotate(service.id, destinationPolicy(ctx, service));
    reportMtls(ctx, service);

    for (const port of tcp) reportTcpClientPolicy(ctx, service, port);
    const requestPorts = service.ports.filter((p) => p.protocol !== "tcp");
    const outbound = new Map(requestPorts.map((p) => [p.name, outboundFor(ctx, service, p)]));
    const routeOf = (p: PortIR) => routeOfPort(ctx, service.id, p.name);
    const keys = new Set(requestPorts.map((p) => `${describeTimeout(outbound.get(p.name)!.timeoutMs)}|${retryKey(outbound.get(p.name)!.retries)}`));
    // Service annotations reach every port of the Service; retries on gRPC status need a
    // GRPCRoute (the Service's default route is HTTP), routes need their own object anyway.
    const onService =
      requestPorts.length > 0 && keys.size === 1 && requestPorts.every((p) => !routeOf(p) && (p.protocol !== "grpc" || !outbound.get(p.name)!.retries));

    if (onService) {
      annotate(service.id, outboundAnnotations(ctx, outbound.get(requestPorts[0]!.name)!, "http", service));
    } else {
      for (const port of requestPorts) {
        const route = routeOf(port);
        const out = outbound.get(port.name)!;
        if (!route && out.timeoutMs === undefined && !out.retries) continue;
        objects.push(port.protocol === "grpc" ? grpcRoute(ctx, service, port, out, route) : httpRoute(ctx, service, port, out, route));
        if (route) for (const r of route.rules) for (const d of r.destinations) versionsNeeded.set(service.id, (versionsNeeded.get(service.id) ?? new Set()).add(d.version));
      }
    }
    for (const port of tcp) {
      const route = routeOf(port);
      if (!route) continue;
      const tcpRoute = tcpSplit(ctx, service, port, route);
      if (tcpRoute) {
        objects.push(tcpRoute);
        for (const r of route.rules) for (const d of r.destinations) versionsNeeded.set(service.id, (versionsNeeded.get(service.id) ?? new Set()).add(d.version));
      }
    }
  }

  for (const [id, versions] of versionsNeeded) {
    const service = ctx.services.get(id)!;
    for (const v of service.versions) {
      if (!versions.has(v.name)) continue;
      const base = serviceObject(ctx.ir, service);
      if (!base) continue;
      const opaque = serviceAnnotations.get(id)?.["config.linkerd.io/opaque-ports"];
      objects.push({
        ...base,
        metadata: {
          ...base.metadata,
          name: versionServiceName(service, v),
          labels: sortedLabels(base.metadata.labels ?? {}, v.selector),
          ...(opaque ? { annotations: { "config.linkerd.io/opaque-ports": opaque } } : {}),
        },
        spec: { ...base.spec, selector: sortedLabels(v.selector) },
      } as unknown as KubeObject);
    }
  }

  objects.push(...rateLimits(ctx, servers));
  return { objects, serviceAnnotations };
}

// ── Destination-wide policy ─────────────────────────────────────────────────────────────────

/** Failure accrual from outlier detection; what has no Linkerd equivalent is reported. */
function destinationPolicy(ctx: Context, service: ServiceIR): Record<string, string> {
  const t = service.traffic;
  const out: Record<string, string> = {};
  if (t.outlierDetection) {
    const od = t.outlierDetection;
    // Envoy (and so the mesh's other targets) doubles the ejection time with each ejection up to
    // 300s; Linkerd backs off from min-penalty to max-penalty, which must be larger.
    const maxPenalty = od.baseEjectionTimeMs < 300_000 ? 300_000 : od.baseEjectionTimeMs * 2;
    Object.assign(out, {
      "balancer.linkerd.io/failure-accrual": "consecutive",
      "balancer.linkerd.io/failure-accrual-consecutive-max-failures": String(od.consecutiveErrors),
      "balancer.linkerd.io/failure-accrual-consecutive-min-penalty": linkerdDuration(od.baseEjectionTimeMs),
      "balancer.linkerd.io/failure-accrual-consecutive-max-penalty": linkerdDuration(maxPenalty),
    });
    if (od.fieldSpans.maxEjectionPercent) {
      ctx.unsupported(
        "outlier detection's maxEjectionPercent",
        `Linkerd's failure accrual has no cap on the share of "${service.id}" endpoints it marks unavailable`,
        od.fieldSpans.maxEjectionPercent,
      );
    }
  }
  if (t.circuitBreaker) {
    const cb = t.circuitBreaker;
    const fields = (["maxConnections", "maxPendingRequests", "maxRequests", "maxRetries"] as const).filter((f) => cb[f] !== undefined);
    ctx.unsupported("circuit-breaker limits", `Linkerd has no connection or request limits towards a destination (${fields.join(", ")} on "${service.id}")`, cb.span);
  }
  if (t.connectionPool) {
    const cp = t.connectionPool;
    for (const f of ["idleTimeout", "maxRequestsPerConnection"] as const) {
      const value = f === "idleTimeout" ? cp.idleTimeoutMs : cp.maxRequestsPerConnection;
      if (value === undefined) continue;
      ctx.unsupported(`connection pool ${f}`, `Linkerd's proxies manage their connections to "${service.id}" themselves`, cp.fieldSpans[f] ?? cp.span);
    }
  }
  if (t.loadBalancer.declared) {
    ctx.unsupported(
      "load balancer choice",
      `Linkerd always balances requests by latency (EWMA, power of two choices); "${t.loadBalancer.kind}" for "${service.id}" is not configurable`,
      service.fieldSpans.traffic ?? service.span,
    );
  }
  return out;
}

function reportMtls(ctx: Context, service: ServiceIR): void {
  for (const port of service.ports) {
    const span = port.fieldSpans.mtls ?? service.fieldSpans.mtls ?? port.span;
    switch (port.mtls) {
      case "strict":
        break;
      case "permissive":
        // An AuthorizationPolicy requires an identity (MeshTLSAuthentication) or an address
        // (NetworkAuthentication); none admits "a client without an identity" only.
        ctx.unsupported(
          'plaintext clients on a port with mTLS "permissive"',
          `Linkerd authorizes a client by its identity or by its address, never by having no identity: admitting plaintext clients on "${service.id}" port "${port.name}" would admit every meshed workload too, so only the declared callers are admitted, over mTLS`,
          span,
        );
        break;
      case "disabled":
        ctx.unsupported(
          'mTLS mode "disabled"',
          `Linkerd always uses mTLS between meshed pods; turning it off for "${service.id}" port "${port.name}" means skipping the proxy, and with it authorization, so the port keeps mTLS`,
          span,
        );
        break;
      default:
        assertNever(port.mtls, "mTLS mode");
    }
  }
}

/**
 * The namespace-wide outbound connect timeout: Linkerd sets it per client proxy, so it can carry
 * the mesh's per-destination value only when every destination called asks for the same one.
 */
export function connectTimeout(ctx: Context): number | undefined {
  const destinations: { value: number | undefined; span: Span | undefined; name: string }[] = [];
  const called = new Set(ctx.ir.calls.map((c) => (c.to.kind === "service" ? `s:${c.to.service}` : `x:${c.to.external}`)));
  for (const ingress of ctx.ir.ingresses) for (const r of ingress.routes) called.add(`s:${r.to.service}`);
  for (const s of ctx.ir.services) {
    if (called.has(`s:${s.id}`)) destinations.push({ value: s.traffic.connectionPool?.connectTimeoutMs, span: s.traffic.connectionPool?.fieldSpans.connectTimeout, name: s.id });
  }
  for (const x of ctx.ir.external) {
    if (called.has(`x:${x.id}`)) destinations.push({ value: x.traffic.connectionPool?.connectTimeoutMs, span: x.traffic.connectionPool?.fieldSpans.connectTimeout, name: x.id });
  }
  const values = new Set(destinations.map((d) => d.value));
  if (values.size === 1) return destinations[0]?.value;
  for (const d of destinations) {
    if (d.value === undefined) continue;
    ctx.unsupported(
      "per-destination connect timeouts",
      `Linkerd sets the connect timeout per client proxy, not per destination, and the destinations called here ask for different ones (${linkerdDuration(d.value)} for "${d.name}")`,
      d.span,
    );
  }
  return undefined;
}

// ── Timeouts and retries ────────────────────────────────────────────────────────────────────

function callsTo(ctx: Context, service: ServiceIR, port: PortIR): CallIR[] {
  return callsInto(ctx, service.id, [port.name]);
}

/** The one timeout and retry policy every caller of the port gets. */
function outboundFor(ctx: Context, service: ServiceIR, port: PortIR): Outbound {
  const calls = callsTo(ctx, service, port);
  const own: Outbound = { ...(service.traffic.timeoutMs !== undefined ? { timeoutMs: service.traffic.timeoutMs } : {}), ...(service.traffic.retries ? { retries: service.traffic.retries } : {}) };
  if (calls.length === 0) return own;
  let timeoutMs = calls[0]!.timeoutMs;
  if (new Set(calls.map((c) => c.timeoutMs)).size > 1) {
    timeoutMs = own.timeoutMs;
    for (const c of calls) {
      if (c.timeoutMs === timeoutMs) continue;
      ctx.unsupported(
        "per-caller timeouts",
        `callers of "${service.id}" port "${port.name}" ask for different timeouts; Linkerd sets them on the destination for every caller, so this call gets ${describeTimeout(timeoutMs)} instead of ${describeTimeout(c.timeoutMs)}`,
        c.timeoutSpan ?? c.span,
      );
    }
  }
  let retries = calls[0]!.retries;
  if (new Set(calls.map((c) => retryKey(c.retries))).size > 1) {
    retries = own.retries;
    for (const c of calls) {
      if (retryKey(c.retries) === retryKey(retries)) continue;
      ctx.unsupported(
        "per-caller retries",
        `callers of "${service.id}" port "${port.name}" ask for different retries; Linkerd sets them on the destination for every caller, so this call gets ${describeRetries(retries)} instead of ${describeRetries(c.retries)}`,
        c.retries?.span ?? c.span,
      );
    }
  }
  return { ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(retries ? { retries } : {}) };
}

function reportTcpClientPolicy(ctx: Context, service: ServiceIR, port: PortIR): void {
  for (const c of callsTo(ctx, service, port)) {
    if (c.timeoutMs !== undefined) {
      ctx.unsupported("request timeouts on a TCP port", `Linkerd times out HTTP and gRPC requests only; "${service.id}" port "${port.name}" is opaque TCP`, c.timeoutSpan ?? c.span);
    }
    if (c.retries) ctx.unsupported("retries on a TCP port", `Linkerd retries HTTP and gRPC requests only; "${service.id}" port "${port.name}" is opaque TCP`, c.retries.span);
  }
}

const HTTP_RETRY: Partial<Record<RetryOn, string>> = { "5xx": "5xx", "gateway-error": "gateway-error", "retriable-4xx": "409" };
const GRPC_RETRY: Partial<Record<RetryOn, string>> = {
  cancelled: "cancelled",
  "deadline-exceeded": "deadline-exceeded",
  internal: "internal",
  "resource-exhausted": "resource-exhausted",
  unavailable: "unavailable",
};

/**
 * `retry.linkerd.io/*` for a retry policy. Linkerd retries on response status (HTTP status on
 * HTTPRoutes and Services, gRPC status on GRPCRoutes), and always retries refused streams and
 * per-try timeouts; it does not retry connection resets or connect failures.
 */
function retryAnnotations(ctx: Context, retry: RetryIR, kind: "http" | "grpc", service: ServiceIR): Record<string, string> {
  const table = kind === "grpc" ? GRPC_RETRY : HTTP_RETRY;
  const conditions: string[] = [];
  const lost: RetryOn[] = [];
  for (const on of retry.on) {
    const c = table[on];
    if (c !== undefined) conditions.push(c);
    else if (on !== "refused-stream") lost.push(on);
  }
  const at = retry.fieldSpans.on ?? retry.span;
  if (lost.length > 0) {
    ctx.unsupported(
      `retries on ${lost.join(", ")}`,
      `Linkerd retries ${kind === "grpc" ? "gRPC" : "HTTP"} requests to "${service.id}" on ${kind === "grpc" ? "gRPC" : "HTTP"} status codes, refused streams and per-try timeouts only`,
      at,
    );
  }
  if (retry.budget) {
    ctx.unsupported("retry budgets", `Linkerd's route retries have a limit per request but no budget; the retries to "${service.id}" are not capped by load`, retry.fieldSpans.budget ?? retry.span);
  }
  if (conditions.length === 0) return {};
  return {
    [`retry.linkerd.io/${kind}`]: [...new Set(conditions)].join(","),
    "retry.linkerd.io/limit": String(retry.attempts),
    ...(retry.perTryTimeoutMs !== undefined ? { "retry.linkerd.io/timeout": linkerdDuration(retry.perTryTimeoutMs) } : {}),
  };
}

function outboundAnnotations(ctx: Context, out: Outbound, kind: "http" | "grpc", service: ServiceIR, withTimeout = true): Record<string, string> {
  return {
    ...(withTimeout && out.timeoutMs !== undefined ? { "timeout.linkerd.io/request": linkerdDuration(out.timeoutMs) } : {}),
    ...(out.retries ? retryAnnotations(ctx, out.retries, kind, service) : {}),
  };
}

// ── GAMMA routes ────────────────────────────────────────────────────────────────────────────

const outboundRouteName = (service: ServiceIR, port: PortIR) => boundedName(`${service.name}-${port.name}-outbound`);
const serviceParent = (service: ServiceIR, port: PortIR) => ({ group: "", kind: "Service", name: service.name, port: port.port });

function backends(service: ServiceIR, port: PortIR, rule: RouteRuleIR | undefined): Record<string, unknown>[] {
  if (!rule || rule.destinations.length === 0) return [{ name: service.name, port: port.port }];
  const versions = new Map(service.versions.map((v) => [v.name, v]));
  return rule.destinations.map((d) => ({
    name: versionServiceName(service, versions.get(d.version)!),
    port: port.port,
    ...(rule.destinations.length > 1 ? { weight: d.weight } : {}),
  }));
}

function reportRuleFeatures(ctx: Context, service: ServiceIR, rule: RouteRuleIR): void {
  if (rule.fault) {
    const kinds = [rule.fault.delay ? "delays" : undefined, rule.fault.abort ? "aborts" : undefined].filter(Boolean).join(" and ");
    ctx.unsupported("fault injection", `Linkerd's routes cannot inject ${kinds}; the rule on "${service.id}" routes without them`, rule.fault.span);
  }
  if (rule.mirror) {
    ctx.unsupported("request mirroring", `Linkerd does not implement the Gateway API RequestMirror filter; the rule on "${service.id}" routes without mirroring`, rule.mirror.span);
  }
}

function headerMatch(h: HeaderMatchIR): Record<string, string> {
  switch (h.match.kind) {
    case "exact":
      return { name: h.name, type: "Exact", value: h.match.value };
    case "prefix":
      return { name: h.name, type: "RegularExpression", value: `${escapeRegex(h.match.value)}.*` };
    case "regex": {
      // Linkerd accepts a header regex only if it spans the whole value; anchoring keeps an
      // alternation from stopping at its first branch.
      const re = h.match.value;
      return { name: h.name, type: "RegularExpression", value: re.startsWith("^") && re.endsWith("$") ? re : `^(?:${re})$` };
    }
    default:
      throw new Error(`unknown header match ${JSON.stringify(h.match satisfies never)}`);
  }
}

/** A mesh path as a Gateway API path match; non-segment prefixes become regexes. */
function gatewayPath(p: PathMatchIR): LinkerdPathMatch {
  if (p.kind === "exact") return { type: "Exact", value: p.value };
  return p.value.endsWith("/") ? { type: "PathPrefix", value: p.value } : { type: "RegularExpression", value: `${escapeRegex(p.value)}.*` };
}

interface HttpRuleMatch {
  readonly path?: LinkerdPathMatch;
  readonly method?: string;
  readonly headers: readonly Record<string, string>[];
}

function ruleMatches(rule: RouteRuleIR): HttpRuleMatch[] | undefined {
  if (!rule.match) return undefined;
  const headers = rule.match.headers.map(headerMatch);
  const paths: (LinkerdPathMatch | undefined)[] = rule.match.paths?.map(gatewayPath) ?? [undefined];
  const methods: (string | undefined)[] = rule.match.methods ? [...rule.match.methods] : [undefined];
  return paths.flatMap((path) => methods.map((method) => ({ ...(path ? { path } : {}), ...(method ? { method } : {}), headers })));
}

const renderMatch = (m: HttpRuleMatch) => ({
  ...(m.path ? { path: { type: m.path.type, value: m.path.value } } : {}),
  ...(m.headers.length > 0 ? { headers: m.headers.map((h) => ({ ...h })) } : {}),
  ...(m.method ? { method: m.method } : {}),
});

/**
 * Linkerd serves a request by its best match (path match length, then method, then header
 * count) and the mesh by its first matching rule: report a later rule that would win over an
 * earlier one for some request both match.
 */
function checkRuleOrder(ctx: Context, service: ServiceIR, route: RouteIR, matches: readonly (HttpRuleMatch[] | undefined)[]): void {
  const rank = (m: HttpRuleMatch, path: string): [number, number, number] | undefined => {
    const len = m.path ? linkerdPathRank(m.path, path) : 1;
    return len === undefined ? undefined : [len, m.method ? 1 : 0, m.headers.length];
  };
  const disjointHeaders = (a: HttpRuleMatch, b: HttpRuleMatch) =>
    a.headers.some((h) => b.headers.some((k) => k.name === h.name && h.type === "Exact" && k.type === "Exact" && k.value !== h.value));
  for (let j = 1; j < matches.length; j++) {
    const later = matches[j];
    if (!later) continue;
    found: for (let i = 0; i < j; i++) {
      for (const a of matches[i] ?? [{ headers: [] }]) {
        for (const b of later) {
          if (a.method && b.method && a.method !== b.method) continue;
          if (disjointHeaders(a, b)) continue;
          const values = [a.path?.value, b.path?.value].filter((v): v is string => v !== undefined && !v.includes("\\"));
          const candidates = values.length === 0 ? ["/"] : values.flatMap((v) => [v, `${v}x`, `${v.replace(/\/+$/, "")}/x`]);
          for (const path of candidates) {
            const ra = rank(a, path);
            const rb = rank(b, path);
            if (!ra || !rb) continue;
            if (rb[0] > ra[0] || (rb[0] === ra[0] && (rb[1] > ra[1] || (rb[1] === ra[1] && rb[2] > ra[2])))) {
              ctx.unsupported(
                "first-match rule order",
                `Linkerd serves a request by its most specific route match, not by rule order: on "${service.id}" port "${route.port}", ${path} matches rule ${j + 1} ahead of rule ${i + 1}`,
                route.rules[j]!.span,
              );
              break found;
            }
          }
        }
      }
    }
  }
}

/** Effective per-rule retries must agree: Linkerd's retry annotations cover the whole route. */
function routeRetries(ctx: Context, service: ServiceIR, route: RouteIR | undefined, out: Outbound): RetryIR | undefined {
  if (!route || !route.rules.some((r) => r.retries)) return out.retries;
  const effective = route.rules.map((r) => r.retries ?? out.retries);
  if (new Set(effective.map(retryKey)).size === 1) return effective[0];
  for (const r of route.rules) {
    if (r.retries && retryKey(r.retries) !== retryKey(out.retries)) {
      ctx.unsupported(
        "per-rule retries",
        `Linkerd's retry annotations apply to a whole route; the rules of "${service.id}" port "${route.port}" ask for different retries, so all get ${describeRetries(out.retries)}`,
        r.retries.span,
      );
    }
  }
  return out.retries;
}

function httpRoute(ctx: Context, service: ServiceIR, port: PortIR, out: Outbound, route: RouteIR | undefined): KubeObject {
  const perRuleTimeouts = route?.rules.some((r) => r.timeoutMs !== undefined) ?? false;
  const retries = routeRetries(ctx, service, route, out);
  const annotations = outboundAnnotations(ctx, { ...(out.timeoutMs !== undefined ? { timeoutMs: out.timeoutMs } : {}), ...(retries ? { retries } : {}) }, "http", service, !perRuleTimeouts);
  const rules: Record<string, unknown>[] = [];
  if (!route) rules.push({ backendRefs: backends(service, port, undefined) });
  else {
    const all = route.rules.map(ruleMatches);
    checkRuleOrder(ctx, service, route, all);
    route.rules.forEach((rule, i) => {
      reportRuleFeatures(ctx, service, rule);
      const timeout = rule.timeoutMs ?? out.timeoutMs;
      const common = {
        backendRefs: backends(service, port, rule),
        ...(perRuleTimeouts && timeout !== undefined ? { timeouts: { request: gatewayDuration(timeout) } } : {}),
      };
      const ms = all[i];
      if (!ms) rules.push(common);
      else for (let k = 0; k < ms.length; k += 8) rules.push({ matches: ms.slice(k, k + 8).map(renderMatch), ...common });
    });
  }
  if (rules.length > 16) {
    ctx.unsupported("more than 16 route rules", `a Gateway API HTTPRoute holds at most 16 rules; "${service.id}" port "${port.name}" needs ${rules.length}, the rest are dropped`, route?.span);
  }
  return {
    apiVersion: API.httpRoute,
    kind: "HTTPRoute",
    metadata: meta(ctx, outboundRouteName(service, port), service.namespace, annotations),
    spec: { parentRefs: [serviceParent(service, port)], rules: rules.slice(0, 16) },
  };
}

function grpcRoute(ctx: Context, service: ServiceIR, port: PortIR, out: Outbound, route: RouteIR | undefined): KubeObject {
  let timeoutMs = out.timeoutMs;
  if (route?.rules.some((r) => r.timeoutMs !== undefined)) {
    const effective = route.rules.map((r) => r.timeoutMs ?? out.timeoutMs);
    if (new Set(effective).size === 1) timeoutMs = effective[0];
    else {
      for (const r of route.rules) {
        if (r.timeoutMs !== undefined && r.timeoutMs !== out.timeoutMs) {
          ctx.unsupported(
            "per-rule timeouts on a gRPC route",
            `GRPCRoute has no per-rule timeouts and Linkerd's timeout annotations cover the whole route, so every rule of "${service.id}" port "${port.name}" gets ${describeTimeout(out.timeoutMs)}`,
            r.fieldSpans.timeout ?? r.span,
          );
        }
      }
    }
  }
  const retries = routeRetries(ctx, service, route, out);
  const annotations = outboundAnnotations(ctx, { ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(retries ? { retries } : {}) }, "grpc", service);
  const rules: Record<string, unknown>[] = [];
  if (!route) rules.push({ backendRefs: backends(service, port, undefined) });
  else {
    for (const rule of route.rules) {
      reportRuleFeatures(ctx, service, rule);
      if (rule.match && (rule.match.paths || rule.match.methods)) {
        ctx.unsupported(
          "path and method matches on a gRPC route",
          `a GRPCRoute matches gRPC services, methods and headers; the rule on "${service.id}" port "${port.name}" is left out`,
          rule.fieldSpans.match ?? rule.span,
        );
        continue;
      }
      const headers = rule.match?.headers.map(headerMatch) ?? [];
      rules.push({ ...(rule.match ? { matches: [{ headers }] } : {}), backendRefs: backends(service, port, rule) });
    }
  }
  return {
    apiVersion: API.grpcRoute,
    kind: "GRPCRoute",
    metadata: meta(ctx, outboundRouteName(service, port), service.namespace, annotations),
    spec: { parentRefs: [serviceParent(service, port)], rules },
  };
}

/** A weighted split of a TCP port: a TCPRoute; TCP has nothing else to match on. */
function tcpSplit(ctx: Context, service: ServiceIR, port: PortIR, route: RouteIR): KubeObject | undefined {
  let chosen: RouteRuleIR | undefined;
  for (const rule of route.rules) {
    reportRuleFeatures(ctx, service, rule);
    if (rule.match) {
      ctx.unsupported("request matches on a TCP port", `"${service.id}" port "${port.name}" is opaque TCP: there are no requests to match, so the rule is left out`, rule.fieldSpans.match ?? rule.span);
    } else chosen ??= rule;
  }
  if (!chosen || chosen.destinations.length === 0) return undefined;
  return {
    apiVersion: API.tcpRoute,
    kind: "TCPRoute",
    metadata: meta(ctx, outboundRouteName(service, port), service.namespace),
    spec: { parentRefs: [serviceParent(service, port)], rules: [{ backendRefs: backends(service, port, chosen) }] },
  };
}

// ── Rate limits ─────────────────────────────────────────────────────────────────────────────

const PER = { second: 1, minute: 60, hour: 3600 } as const;

/** One HTTPLocalRateLimitPolicy per HTTP Server of a rate-limited service. */
function rateLimits(ctx: Context, servers: readonly ServerInfo[]): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const service of ctx.ir.services) {
    const rl = service.rateLimit;
    if (!rl) continue;
    const at = service.fieldSpans.rateLimit ?? rl.span;
    const rps = Math.max(1, Math.round(rl.requests / PER[rl.per]));
    if (rl.per !== "second") {
      ctx.unsupported(
        `a rate limit per ${rl.per}`,
        `Linkerd limits requests per second; ${rl.requests} per ${rl.per} on "${service.id}" becomes ${rps} per second, which also caps bursts at ${rps}`,
        at,
      );
    }
    if (rl.burst > 0) {
      ctx.unsupported("rate-limit bursts", `Linkerd's local rate limit allows bursts of exactly its per-second rate; the extra ${rl.burst} for "${service.id}" cannot be set`, at);
    }
    for (const server of servers) {
      if (server.service.id !== service.id) continue;
      if (server.proxyProtocol === "opaque") {
        ctx.unsupported("a rate limit on a TCP port", `Linkerd rate-limits HTTP requests; "${service.id}" port ${server.ports[0]!.targetPort} is opaque TCP`, at);
        continue;
      }
      objects.push({
        apiVersion: API.rateLimitPolicy,
        kind: "HTTPLocalRateLimitPolicy",
        metadata: meta(ctx, server.name, service.namespace),
        spec: { targetRef: { group: POLICY_GROUP, kind: "Server", name: server.name }, total: { requestsPerSecond: rps } },
      });
    }
  }
  return objects;
}
