/**
 * VirtualService: how callers' proxies route requests to a service. One per service (and per
 * plain-HTTP external host) that has something to route: route rules, or callers whose calls
 * carry a timeout or retry policy.
 *
 * A route rule applies to every caller; a call's timeout and retries belong to one caller. When
 * callers of a port disagree, each rule is written once per disagreeing caller with
 * `match.sourceLabels` (the caller's pods) before the rule for everyone else. The routes are
 * ordered so that Istio's first-match picks, for every caller and request, the rule the mesh
 * declared first and that caller's own policy.
 */
import {
  assertNever,
  compareIds,
  type CallIR,
  type FaultIR,
  type MirrorIR,
  type PortIR,
  type RetryIR,
  type RouteIR,
  type RouteRuleIR,
  type ServiceIR,
  type Span,
  type WeightedVersionIR,
} from "../../compiler/ir.js";
import { ANY, callPaths, intersect, isAny, renderMatch, requestMatch, ruleMatch, withPort, withSource, type Match } from "./match.js";
import {
  NETWORKING,
  callPolicy,
  declaredOutsideDefaults,
  duration,
  fqdn,
  isRequestProtocol,
  object,
  policyKey,
  renderRetries,
  type Context,
  type IstioObject,
  type RequestPolicy,
} from "./model.js";

/** A set of requests, from some callers, and the timeout and retries they get. */
interface Selector {
  readonly match: Match;
  readonly policy: RequestPolicy;
}

/** A rule's own timeout and retries, which override every caller's. */
type RuleOverride = Pick<RouteRuleIR, "timeoutMs" | "retries">;

function override(policy: RequestPolicy, rule: RuleOverride | undefined): RequestPolicy {
  const timeoutMs = rule?.timeoutMs ?? policy.timeoutMs;
  const retries: RetryIR | undefined = rule?.retries ?? policy.retries;
  return { ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(retries ? { retries } : {}) };
}

/**
 * The per-caller selectors of one port under one rule, and the policy of the route that follows
 * them. A caller's policy comes from the first call that admits its request: its own calls
 * first, then those of services sharing its identity and `anyService` calls, in call order.
 * When those agree, the caller is matched by its pod labels alone (requests none of them admit
 * are refused by authorization anyway); otherwise it is matched call by call. The fallback is
 * what the `anyService` calls say (for callers with no calls of their own), else the most common
 * caller policy (fewest routes), else the callee's default. A caller admitted only through a
 * mirror into this port (for some of its requests) has no call of its own there: those requests
 * get the callee's default.
 */
function callerSelectors(
  ctx: Context,
  calls: readonly CallIR[],
  mirrorAdmitted: ReadonlySet<string>,
  rule: RuleOverride | undefined,
  calleeDefault: RequestPolicy,
): { selectors: Selector[]; fallback: RequestPolicy } {
  const eff = (c: CallIR) => override(callPolicy(c), rule);
  const distinct = (list: readonly CallIR[]) => new Set(list.map((c) => policyKey(eff(c)))).size;
  const identityOf = (id: string) => ctx.services.get(id)?.identity.spiffeId;
  const anyCalls = calls.filter((c) => c.from.kind === "any");
  const callerIdentities = new Set(calls.flatMap((c) => (c.from.kind === "service" ? [identityOf(c.from.service)] : [])));
  // Every service a call names, every service sharing the identity of one, and the mirrors'
  // callers, in the IR's order.
  const named = new Set<string>(mirrorAdmitted);
  for (const identity of callerIdentities) if (identity !== undefined) for (const s of ctx.index.servicesWithIdentity(identity)) named.add(s.id);
  const callers = [...named].filter((id) => ctx.services.has(id)).sort((a, b) => ctx.index.position(a) - ctx.index.position(b));
  const ownDefault = override(calleeDefault, rule);
  const admitting = (id: string) => {
    const own = calls.filter((c) => c.from.kind === "service" && c.from.service === id);
    const others = calls.filter((c) => !own.includes(c) && (c.from.kind === "any" || identityOf(c.from.service) === identityOf(id)));
    return [...own, ...others];
  };
  const anyMixed = distinct(anyCalls) > 1;
  // The one policy of a caller whose every admitted request gets the same, else undefined.
  const single = (id: string): RequestPolicy | undefined => {
    const list = admitting(id);
    if (list.length === 0) return ownDefault;
    if (distinct(list) !== 1) return undefined;
    const p = eff(list[0]!);
    return !mirrorAdmitted.has(id) || policyKey(p) === policyKey(ownDefault) ? p : undefined;
  };
  const collapsed = callers.filter((id) => single(id) !== undefined);
  const isCollapsed = new Set(collapsed);

  let fallback: RequestPolicy;
  const firstAny = anyCalls[0];
  if (firstAny) fallback = eff(firstAny);
  else if (collapsed.length > 0) {
    // The most common policy needs no selector: fewest routes, same meaning.
    const counts = new Map<string, { n: number; policy: RequestPolicy }>();
    for (const id of collapsed) {
      const p = single(id)!;
      const entry = counts.get(policyKey(p)) ?? { n: 0, policy: p };
      entry.n += 1;
      counts.set(policyKey(p), entry);
    }
    fallback = [...counts.values()].reduce((best, e) => (e.n > best.n ? e : best)).policy;
  } else fallback = ownDefault;

  const source = (id: string) => {
    const caller = ctx.services.get(id)!;
    return { labels: caller.selector, ...(ctx.multiNamespace ? { namespace: caller.namespace } : {}) };
  };
  const grouped = new Map<string, { policy: RequestPolicy; match: Match }>();
  const perCall: Selector[] = [];
  for (const id of callers) {
    const list = admitting(id);
    if (isCollapsed.has(id)) {
      const p = single(id)!;
      // Skipping a caller is only safe when nothing conditional follows that could catch it.
      if (!anyMixed && policyKey(p) === policyKey(fallback)) continue;
      const g = grouped.get(policyKey(p)) ?? { policy: p, match: [] };
      grouped.set(policyKey(p), { policy: p, match: [...g.match, ...withSource(ANY, source(id))] });
    } else {
      for (const call of list) perCall.push({ match: withSource(requestMatch(callPaths(call), call.methods), source(id)), policy: eff(call) });
      if (mirrorAdmitted.has(id)) perCall.push({ match: withSource(ANY, source(id)), policy: ownDefault });
    }
  }
  const selectors: Selector[] = [...grouped.values(), ...perCall];
  if (anyMixed) for (const call of anyCalls) selectors.push({ match: requestMatch(callPaths(call), call.methods), policy: eff(call) });
  return { selectors, fallback };
}

/** Rules in declared order, ending in a catch-all: without one Istio answers 404 where the mesh means "any version". */
export function withCatchAll(rules: readonly RouteRuleIR[], span: Span): RouteRuleIR[] {
  const last = rules[rules.length - 1];
  if (last && !last.match) return [...rules];
  return [...rules, { destinations: [], span, fieldSpans: {} }];
}

/** Integer weights summing to 100 (largest remainder), since Istio's weights are int32. */
function integerWeights(ctx: Context, dests: readonly WeightedVersionIR[]): number[] {
  if (dests.every((d) => Number.isInteger(d.weight))) return dests.map((d) => d.weight);
  ctx.report("a fractional split weight", `Istio's route weights are whole percentages; ${dests.map((d) => `${d.version}: ${d.weight}`).join(", ")} is rounded to sum to 100`, dests[0]?.span);
  const floors = dests.map((d) => Math.floor(d.weight));
  let left = 100 - floors.reduce((a, b) => a + b, 0);
  const order = dests.map((d, i) => ({ i, frac: d.weight - Math.floor(d.weight) })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    floors[i]! += 1;
    left -= 1;
  }
  return floors;
}

function portSelector(service: ServiceIR, port: PortIR): Record<string, unknown> {
  // Istio needs the port only when the Service has several.
  return service.ports.length > 1 ? { port: { number: port.port } } : {};
}

export function renderDestinations(ctx: Context, service: ServiceIR, port: PortIR, dests: readonly WeightedVersionIR[]): Record<string, unknown>[] {
  const host = fqdn(ctx, service);
  if (dests.length === 0) return [{ destination: { host, ...portSelector(service, port) } }];
  const weights = integerWeights(ctx, dests);
  if (dests.length === 1) return [{ destination: { host, subset: dests[0]!.version, ...portSelector(service, port) } }];
  return dests.map((d, i) => ({ destination: { host, subset: d.version, ...portSelector(service, port) }, weight: weights[i] }));
}

function renderFault(f: FaultIR): Record<string, unknown> {
  return {
    ...(f.delay ? { delay: { fixedDelay: duration(f.delay.fixedMs), percentage: { value: f.delay.percent } } } : {}),
    ...(f.abort
      ? { abort: { ...("httpStatus" in f.abort ? { httpStatus: f.abort.httpStatus } : { grpcStatus: f.abort.grpcStatus }), percentage: { value: f.abort.percent } } }
      : {}),
  };
}

function renderMirror(ctx: Context, service: ServiceIR, port: PortIR, m: MirrorIR): Record<string, unknown> {
  let mirror: Record<string, unknown>;
  switch (m.to.kind) {
    case "version":
      mirror = { host: fqdn(ctx, service), subset: m.to.version, ...(service.ports.length > 1 ? { port: { number: port.port } } : {}) };
      break;
    case "service": {
      const to = m.to;
      const target = ctx.services.get(to.service);
      const targetPort = target?.ports.find((p) => p.name === to.port);
      mirror = target ? { host: fqdn(ctx, target), ...(targetPort && target.ports.length > 1 ? { port: { number: targetPort.port } } : {}) } : { host: to.service };
      break;
    }
    default:
      return assertNever(m.to, "mirror target");
  }
  // Without mirrorPercentage Istio mirrors every request.
  return { mirror, ...(m.percent < 100 ? { mirrorPercentage: { value: m.percent } } : {}) };
}

/** One `HTTPRoute`: where a rule sends the requests `match` selects, and with which policy. */
export function renderHttpRoute(ctx: Context, service: ServiceIR, port: PortIR, rule: RouteRuleIR, match: Match, policy: RequestPolicy): Record<string, unknown> {
  const rendered = renderMatch(match);
  return {
    ...(rendered ? { match: rendered } : {}),
    route: renderDestinations(ctx, service, port, rule.destinations),
    ...(policy.timeoutMs !== undefined ? { timeout: duration(policy.timeoutMs) } : {}),
    retries: renderRetries(policy.retries),
    ...(rule.fault ? { fault: renderFault(rule.fault) } : {}),
    // A mirror of no requests is no mirror.
    ...(rule.mirror && rule.mirror.percent > 0 ? renderMirror(ctx, service, port, rule.mirror) : {}),
  };
}

function callsTo(ctx: Context, service: ServiceIR, port: PortIR): readonly CallIR[] {
  return ctx.index.callsToPort(service.id, port.name);
}

function calleeDefault(service: Pick<ServiceIR, "traffic">): RequestPolicy {
  const t = service.traffic;
  return { ...(t.timeoutMs !== undefined ? { timeoutMs: t.timeoutMs } : {}), ...(t.retries ? { retries: t.retries } : {}) };
}

/** The services whose proxies mirror requests into a port: the callers of the mirrored ports (by identity). */
function mirrorAdmitted(ctx: Context, service: ServiceIR, port: PortIR): Set<string> {
  const out = new Set<string>();
  const mirrored = new Set<RouteIR>();
  for (const { route, rule } of ctx.index.mirrorsInto(service.id)) {
    if (rule.mirror?.to.kind === "service" && rule.mirror.to.port === port.name && rule.mirror.percent > 0) mirrored.add(route);
  }
  for (const route of mirrored) {
    for (const call of ctx.index.callsToPort(route.service, route.port)) {
      const from = call.from;
      if (from.kind === "any") {
        for (const s of ctx.ir.services) out.add(s.id);
        continue;
      }
      const identity = ctx.services.get(from.service)?.identity.spiffeId;
      for (const s of identity === undefined ? [] : ctx.index.servicesWithIdentity(identity)) out.add(s.id);
    }
  }
  return out;
}

/** The mesh-side HTTP routes of one service port. */
function httpRoutes(ctx: Context, service: ServiceIR, port: PortIR, route: RouteIR | undefined, calls: readonly CallIR[], portMatch: number | undefined): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const admitted = mirrorAdmitted(ctx, service, port);
  for (const rule of withCatchAll(route?.rules ?? [], route?.span ?? service.span)) {
    const base = withPort(ruleMatch(rule.match), portMatch);
    const { selectors, fallback } = callerSelectors(ctx, calls, admitted, rule, calleeDefault(service));
    for (const s of selectors) {
      const m = intersect(base, s.match);
      if (m.length > 0) out.push(renderHttpRoute(ctx, service, port, rule, m, s.policy));
    }
    out.push(renderHttpRoute(ctx, service, port, rule, base, fallback));
  }
  return out;
}

/** A TCP port routes connections: only the catch-all's version split can be expressed. */
function tcpRoutes(ctx: Context, service: ServiceIR, port: PortIR, route: RouteIR): Record<string, unknown>[] {
  const where = `route rule of "${service.key}:${port.name}" (a TCP port, which Istio routes by connection, not by request)`;
  let catchAll: RouteRuleIR | undefined;
  for (const rule of route.rules) {
    if (rule.match) {
      ctx.report("request matches on a TCP port", `the ${where} is dropped: a connection has no headers, paths or methods`, rule.fieldSpans.match ?? rule.span);
      continue;
    }
    catchAll ??= rule;
    if (rule.timeoutMs !== undefined) ctx.report("a request timeout on a TCP port", `the ${where} has no requests to time out`, rule.fieldSpans.timeout ?? rule.span);
    if (rule.retries) ctx.report("retries on a TCP port", `the ${where} has no requests to retry`, rule.fieldSpans.retries ?? rule.span);
    if (rule.fault) ctx.report("fault injection on a TCP port", `the ${where} cannot delay or abort requests`, rule.fieldSpans.fault ?? rule.span);
    if (rule.mirror) ctx.report("mirroring on a TCP port", `the ${where} cannot mirror requests`, rule.fieldSpans.mirror ?? rule.span);
  }
  if (!catchAll || catchAll.destinations.length === 0) return [];
  return [{ ...(service.ports.length > 1 ? { match: [{ port: port.port }] } : {}), route: renderDestinations(ctx, service, port, catchAll.destinations) }];
}

/** Timeouts and retries written for a call on an opaque port have nothing to act on. */
function reportOpaqueCallPolicy(ctx: Context, call: CallIR, calleeHasRequestPorts: boolean, what: string): void {
  const own = (field: string) => call.fieldSpans[field] !== undefined;
  if (call.timeoutMs !== undefined && (own("timeout") || (!calleeHasRequestPorts && declaredOutsideDefaults(ctx.ir, call.timeoutSpan)))) {
    ctx.report("a request timeout on a TCP or TLS port", `the call to ${what} carries opaque bytes, with no requests to time out`, call.fieldSpans.timeout ?? call.timeoutSpan ?? call.span);
  }
  if (call.retries && (own("retries") || (!calleeHasRequestPorts && declaredOutsideDefaults(ctx.ir, call.retries.span)))) {
    ctx.report("retries on a TCP or TLS port", `the call to ${what} carries opaque bytes, with no requests to retry`, call.fieldSpans.retries ?? call.retries.span);
  }
}

export function virtualServices(ctx: Context, externalNames: ReadonlyMap<string, string>, externalExports: ReadonlyMap<string, readonly string[]>): IstioObject[] {
  const out: IstioObject[] = [];
  const routes = new Map(ctx.ir.routes.map((r) => [r.id, r]));
  // A mirror target admits the mirrored port's callers, who then have a route to it like any caller.
  const mirrorTargets = new Set(
    ctx.ir.routes.flatMap((r) => r.rules.flatMap((rule) => (rule.mirror?.to.kind === "service" && rule.mirror.percent > 0 ? [`${rule.mirror.to.service}:${rule.mirror.to.port}`] : []))),
  );
  for (const service of ctx.ir.services) {
    const requestPorts = service.ports.filter((p) => isRequestProtocol(p.protocol));
    const http: Record<string, unknown>[] = [];
    const tcp: Record<string, unknown>[] = [];
    for (const port of service.ports) {
      const route = routes.get(`${service.id}:${port.name}`);
      const calls = callsTo(ctx, service, port);
      if (isRequestProtocol(port.protocol)) {
        if (!route && calls.length === 0 && !mirrorTargets.has(`${service.id}:${port.name}`)) continue;
        http.push(...httpRoutes(ctx, service, port, route, calls, requestPorts.length > 1 ? port.port : undefined));
      } else {
        for (const call of calls) reportOpaqueCallPolicy(ctx, call, requestPorts.length > 0, `"${service.key}:${port.name}"`);
        if (route) tcp.push(...tcpRoutes(ctx, service, port, route));
      }
    }
    if (http.length + tcp.length === 0) continue;
    out.push(
      object(ctx, NETWORKING, "VirtualService", service.name, service.namespace, {
        hosts: [fqdn(ctx, service)],
        ...(http.length > 0 ? { http } : {}),
        ...(tcp.length > 0 ? { tcp } : {}),
      }),
    );
  }

  for (const external of ctx.ir.external) {
    const requestPorts = external.ports.filter((p) => isRequestProtocol(p.protocol));
    const http: Record<string, unknown>[] = [];
    for (const port of external.ports) {
      const calls = ctx.index.callsToExternalPort(external.id, port.name);
      if (!isRequestProtocol(port.protocol)) {
        for (const call of calls) reportOpaqueCallPolicy(ctx, call, requestPorts.length > 0, `"${external.id}:${port.name}" (${port.protocol})`);
        continue;
      }
      if (calls.length === 0) continue;
      const portMatch = requestPorts.length > 1 ? port.port : undefined;
      const base = withPort(ANY, portMatch);
      const destination = { host: external.host, ...(external.ports.length > 1 ? { port: { number: port.port } } : {}) };
      const render = (match: Match, policy: RequestPolicy) => {
        const rendered = isAny(match) ? undefined : renderMatch(match);
        return {
          ...(rendered ? { match: rendered } : {}),
          route: [{ destination: { ...destination } }],
          ...(policy.timeoutMs !== undefined ? { timeout: duration(policy.timeoutMs) } : {}),
          retries: renderRetries(policy.retries),
        };
      };
      const { selectors, fallback } = callerSelectors(ctx, calls, new Set(), undefined, calleeDefault(external));
      for (const s of selectors) {
        const m = intersect(base, s.match);
        if (m.length > 0) http.push(render(m, s.policy));
      }
      http.push(render(base, fallback));
    }
    if (http.length === 0) continue;
    out.push(
      object(ctx, NETWORKING, "VirtualService", externalNames.get(external.id) ?? external.id, ctx.ir.namespace, {
        hosts: [external.host],
        exportTo: [...(externalExports.get(external.id) ?? ["."])],
        http,
      }),
    );
  }
  return out;
}
