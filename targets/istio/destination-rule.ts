/**
 * DestinationRule: what callers' proxies do when they talk to a service after routing: mTLS,
 * one subset per version, connection pool and circuit breaking, outlier detection, load
 * balancing, and the retry budget.
 */
import { assertNever, type ExternalIR, type RetryBudgetIR, type RetryIR, type ServiceIR, type Span, type TrafficPolicyIR } from "../../compiler/ir.js";
import { NETWORKING, duration, fqdn, isRequestProtocol, object, type Context, type IstioObject } from "./model.js";

export function destinationRules(ctx: Context, externalNames: ReadonlyMap<string, string>, externalExports: ReadonlyMap<string, readonly string[]>): IstioObject[] {
  const out: IstioObject[] = [];
  for (const service of ctx.ir.services) {
    if (service.ports.length === 0) continue;
    const requestPorts = service.ports.some((p) => isRequestProtocol(p.protocol));
    const tcpPorts = service.ports.some((p) => !isRequestProtocol(p.protocol));
    const budget = retryBudget(ctx, service);
    const differing = service.ports.filter((p) => (p.mtls === "disabled") !== (service.mtls === "disabled"));
    const trafficPolicy = {
      ...trafficSettings(service.traffic, requestPorts, tcpPorts),
      ...(budget ? { retryBudget: { percent: budget.percent, minRetryConcurrency: budget.minRetriesPerSecond } } : {}),
      tls: { mode: tlsMode(service.mtls === "disabled") },
      ...(differing.length > 0
        ? { portLevelSettings: [...differing].sort((a, b) => a.port - b.port).map((p) => ({ port: { number: p.port }, tls: { mode: tlsMode(p.mtls === "disabled") } })) }
        : {}),
    };
    out.push(
      object(ctx, NETWORKING, "DestinationRule", service.name, service.namespace, {
        host: fqdn(ctx, service),
        trafficPolicy,
        ...(service.versions.length > 0 ? { subsets: service.versions.map((v) => ({ name: v.name, labels: subsetLabels(service, v.selector) })) } : {}),
      }),
    );
  }
  for (const external of ctx.ir.external) {
    const requestPorts = external.ports.some((p) => isRequestProtocol(p.protocol));
    const tcpPorts = external.ports.some((p) => !isRequestProtocol(p.protocol));
    const budget = externalRetryBudget(ctx, external);
    const trafficPolicy = {
      ...trafficSettings(external.traffic, requestPorts, tcpPorts),
      ...(budget ? { retryBudget: { percent: budget.percent, minRetryConcurrency: budget.minRetriesPerSecond } } : {}),
    };
    // The caller's own TLS (https, tls) or plaintext reaches an external host as is: there is
    // no mesh identity on the other side, so no tls mode, and nothing to write without settings.
    if (Object.keys(trafficPolicy).length === 0) continue;
    out.push(
      object(ctx, NETWORKING, "DestinationRule", externalNames.get(external.id) ?? external.id, ctx.ir.namespace, {
        host: external.host,
        trafficPolicy,
        exportTo: [...(externalExports.get(external.id) ?? ["."])],
      }),
    );
  }
  return out;
}

/**
 * Auto-mTLS would pick ISTIO_MUTUAL on its own; writing it keeps the client side explicit and
 * fails loudly (instead of silently downgrading) if a server stops presenting a mesh certificate.
 */
function tlsMode(disabled: boolean): "ISTIO_MUTUAL" | "DISABLE" {
  return disabled ? "DISABLE" : "ISTIO_MUTUAL";
}

/** Subset labels are added to the Service's selector, so only the version's own labels are written. */
function subsetLabels(service: ServiceIR, selector: Readonly<Record<string, string>>): Record<string, string> {
  const own = Object.entries(selector).filter(([k, v]) => service.selector[k] !== v);
  return Object.fromEntries(own.length > 0 ? own : Object.entries(selector));
}

function trafficSettings(traffic: TrafficPolicyIR, requestPorts: boolean, tcpPorts: boolean): Record<string, unknown> {
  const cb = traffic.circuitBreaker;
  const cp = traffic.connectionPool;
  const tcp = {
    ...(cb?.maxConnections !== undefined ? { maxConnections: cb.maxConnections } : {}),
    ...(cp?.connectTimeoutMs !== undefined ? { connectTimeout: duration(cp.connectTimeoutMs) } : {}),
    // Envoy's HTTP idle timeout closes pooled upstream connections; a TCP port's connection is
    // the caller's own, closed by the TCP proxy's idle timeout.
    ...(cp?.idleTimeoutMs !== undefined && tcpPorts ? { idleTimeout: duration(cp.idleTimeoutMs) } : {}),
  };
  const http = {
    ...(cb?.maxPendingRequests !== undefined ? { http1MaxPendingRequests: cb.maxPendingRequests } : {}),
    ...(cb?.maxRequests !== undefined ? { http2MaxRequests: cb.maxRequests } : {}),
    ...(cp?.maxRequestsPerConnection !== undefined ? { maxRequestsPerConnection: cp.maxRequestsPerConnection } : {}),
    ...(cp?.idleTimeoutMs !== undefined && requestPorts ? { idleTimeout: duration(cp.idleTimeoutMs) } : {}),
    ...(cb?.maxRetries !== undefined ? { maxRetries: cb.maxRetries } : {}),
  };
  const od = traffic.outlierDetection;
  const lb = traffic.loadBalancer;
  return {
    ...(lb.declared ? { loadBalancer: loadBalancer(lb) } : {}),
    ...(Object.keys(tcp).length + Object.keys(http).length > 0
      ? { connectionPool: { ...(Object.keys(tcp).length > 0 ? { tcp } : {}), ...(Object.keys(http).length > 0 ? { http } : {}) } }
      : {}),
    ...(od
      ? {
          outlierDetection: {
            // Istio counts 5xx responses here, and connect failures on opaque TCP: the IR's
            // "consecutive 5xx / gateway errors" (a gateway error is a 502, 503 or 504).
            consecutive5xxErrors: od.consecutiveErrors,
            interval: duration(od.intervalMs),
            baseEjectionTime: duration(od.baseEjectionTimeMs),
            maxEjectionPercent: od.maxEjectionPercent,
          },
        }
      : {}),
  };
}

/**
 * Only a declared algorithm is written. Undeclared, the IR says round-robin, but that only means
 * "the proxy's choice": Istio's default is LEAST_REQUEST, which every Istio operator expects.
 */
function loadBalancer(lb: TrafficPolicyIR["loadBalancer"]): Record<string, unknown> {
  switch (lb.kind) {
    case "round-robin":
      return { simple: "ROUND_ROBIN" };
    case "least-request":
      return { simple: "LEAST_REQUEST" };
    case "random":
      return { simple: "RANDOM" };
    case "consistent-hash":
      return { consistentHash: { httpHeaderName: lb.header } };
    default:
      return assertNever(lb, "load balancer");
  }
}

interface BudgetSource {
  readonly budget: RetryBudgetIR;
  readonly span: Span;
}

function budgetOf(r: RetryIR | undefined): BudgetSource | undefined {
  return r?.budget ? { budget: r.budget, span: r.fieldSpans.budget ?? r.span } : undefined;
}

/**
 * Istio keeps the retry budget in the DestinationRule: one budget per destination, shared by
 * every caller and route. The callee's own (or else the first declared) wins; a different one
 * declared on a call, route or ingress route cannot be expressed and is reported there.
 *
 * `minRetriesPerSecond` becomes `minRetryConcurrency`, the floor Envoy's budget has: a number of
 * retries in flight rather than a rate.
 */
function retryBudget(ctx: Context, service: ServiceIR): RetryBudgetIR | undefined {
  const sources: BudgetSource[] = [];
  const push = (s: BudgetSource | undefined) => s && sources.push(s);
  push(budgetOf(service.traffic.retries));
  for (const call of ctx.index.callsToService(service.id)) push(budgetOf(call.retries));
  for (const route of ctx.index.routesOf(service.id)) for (const rule of route.rules) push(budgetOf(rule.retries));
  for (const { route } of ctx.index.ingressTo(service.id)) push(budgetOf(route.retries));
  return chooseBudget(ctx, sources, service.key);
}

function externalRetryBudget(ctx: Context, external: ExternalIR): RetryBudgetIR | undefined {
  const sources: BudgetSource[] = [];
  const push = (s: BudgetSource | undefined) => s && sources.push(s);
  push(budgetOf(external.traffic.retries));
  for (const call of ctx.index.callsToExternal(external.id)) push(budgetOf(call.retries));
  return chooseBudget(ctx, sources, external.id);
}

function chooseBudget(ctx: Context, sources: readonly BudgetSource[], name: string): RetryBudgetIR | undefined {
  const chosen = sources[0];
  if (!chosen) return undefined;
  const key = (b: RetryBudgetIR) => `${b.percent}/${b.minRetriesPerSecond}`;
  for (const s of sources) {
    if (key(s.budget) === key(chosen.budget)) continue;
    ctx.report(
      "a per-caller retry budget",
      `Istio's retry budget is a DestinationRule setting shared by every caller of "${name}"; it uses ${chosen.budget.percent}% (min ${chosen.budget.minRetriesPerSecond}), not ${s.budget.percent}% (min ${s.budget.minRetriesPerSecond})`,
      s.span,
    );
  }
  return chosen.budget;
}

