/**
 * Resolves validated declarations into the IR: defaults applied, handles resolved to ids,
 * durations in milliseconds, identities computed, lists sorted, spans attached.
 *
 * Resolution never fails: a reference to something undeclared keeps the id it would have had,
 * and the checks report it with the user's own words.
 */
import { parseDuration } from "../dsl/duration.js";
import {
  compareIds,
  type CallIR,
  type CallerIR,
  type CallTargetIR,
  type CertificatesIR,
  type ExternalIR,
  type FaultIR,
  type GrpcMethodIR,
  type HttpMethod,
  type Identity,
  type IdentityIR,
  type IngressIR,
  type LoadBalancerIR,
  type MeshIR,
  type MirrorIR,
  type MtlsMode,
  type PathMatchIR,
  type Protocol,
  type RetryIR,
  type RetryOn,
  type RouteIR,
  type RouteRuleIR,
  type ServiceIR,
  type Span,
  type TrafficPolicyIR,
  type VersionIR,
  type WorkloadIR,
} from "./ir.js";
import type { SpanRegistry } from "./load/spans.js";
import type {
  CallInput,
  IngressInput,
  MeshSpecInput,
  RawMeshInput,
  RetryPolicyInput,
  RouteRuleInput,
  ServiceInput,
  TrafficPolicyInput,
} from "./schema.js";

export const DEFAULTS = {
  namespace: "default",
  trustDomain: "cluster.local",
  clusterDomain: "cluster.local",
  mtls: "strict" as MtlsMode,
  egress: "registry-only" as const,
  keyAlgorithm: "ecdsa-p256" as const,
  rootLifetime: "3650d",
  intermediateLifetime: "365d",
  leafLifetime: "24h",
  replicas: 1,
  outlier: { consecutiveErrors: 5, interval: "10s", baseEjectionTime: "30s", maxEjectionPercent: 10 },
  retryBudget: { percent: 20, minRetriesPerSecond: 10 },
  httpRetryOn: ["5xx", "connect-failure", "refused-stream", "reset"] as RetryOn[],
  grpcRetryOn: ["cancelled", "connect-failure", "deadline-exceeded", "refused-stream", "reset", "resource-exhausted", "unavailable"] as RetryOn[],
};

const windows = { second: 1000, minute: 60_000, hour: 3_600_000 } as const;

export function identityOf(trustDomain: string, namespace: string, serviceAccount: string): Identity {
  const principal = `${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
  return { namespace, serviceAccount, principal, spiffeId: `spiffe://${principal}` };
}

/** Resolves a validated raw mesh. `raw` is the original object graph (spans are keyed on it). */
export function resolveMesh(raw: RawMeshInput, spans: SpanRegistry, meshSpan: Span): MeshIR {
  const spec: MeshSpecInput = raw.spec;
  const sp = (value: unknown, fallback: Span): Span => spans.spanOf(value) ?? fallback;
  const keySpan = (container: unknown, key: string, fallback: Span): Span => spans.fieldSpans(container)[key] ?? fallback;
  const ms = (d: string | undefined) => (d === undefined ? undefined : parseDuration(d)!);

  const namespace = spec.namespace ?? DEFAULTS.namespace;
  const trustDomain = spec.trustDomain ?? DEFAULTS.trustDomain;
  const meshMtls = spec.defaults?.mtls ?? DEFAULTS.mtls;
  const defaultTraffic = spec.defaults?.traffic;
  const defaultTrafficSpan = sp(defaultTraffic, meshSpan);

  const resolveRetries = (r: RetryPolicyInput | undefined, protocol: string | undefined, fallback: Span): RetryIR | undefined => {
    if (!r) return undefined;
    const grpc = protocol === "grpc";
    const budget = r.budget
      ? {
          percent: r.budget.percent ?? DEFAULTS.retryBudget.percent,
          minRetriesPerSecond: r.budget.minRetriesPerSecond ?? DEFAULTS.retryBudget.minRetriesPerSecond,
        }
      : undefined;
    return {
      attempts: r.attempts,
      ...(r.perTryTimeout !== undefined ? { perTryTimeoutMs: ms(r.perTryTimeout)! } : {}),
      on: sortUnique((r.on ?? (grpc ? DEFAULTS.grpcRetryOn : DEFAULTS.httpRetryOn)) as RetryOn[]),
      ...(budget ? { budget } : {}),
      span: sp(r, fallback),
      fieldSpans: spans.fieldSpans(r),
    };
  };

  const resolveTraffic = (own: TrafficPolicyInput | undefined, ownSpan: Span, protocol: string | undefined): TrafficPolicyIR => {
    // Each field is taken whole from the most specific level that declares it.
    const pick = <K extends keyof TrafficPolicyInput>(k: K): [TrafficPolicyInput[K], Span] | undefined =>
      own?.[k] !== undefined ? [own[k], sp(own[k], keySpan(own, k, ownSpan))] : defaultTraffic?.[k] !== undefined ? [defaultTraffic[k], sp(defaultTraffic[k], keySpan(defaultTraffic, k, defaultTrafficSpan))] : undefined;
    const timeout = pick("timeout");
    const retries = pick("retries");
    const cb = pick("circuitBreaker");
    const od = pick("outlierDetection");
    const cp = pick("connectionPool");
    const lb = pick("loadBalancer");
    const loadBalancer: LoadBalancerIR = !lb
      ? { kind: "round-robin" }
      : typeof lb[0] === "string"
        ? { kind: lb[0] }
        : { kind: "consistent-hash", header: lb[0]!.consistentHash.header.toLowerCase() };
    return {
      ...(timeout ? { timeoutMs: ms(timeout[0])!, timeoutSpan: timeout[1] } : {}),
      ...(retries ? { retries: resolveRetries(retries[0], protocol, retries[1])! } : {}),
      ...(cb ? { circuitBreaker: { ...cb[0]!, span: cb[1] } } : {}),
      ...(od
        ? {
            outlierDetection: {
              consecutiveErrors: od[0]!.consecutiveErrors ?? DEFAULTS.outlier.consecutiveErrors,
              intervalMs: ms(od[0]!.interval ?? DEFAULTS.outlier.interval)!,
              baseEjectionTimeMs: ms(od[0]!.baseEjectionTime ?? DEFAULTS.outlier.baseEjectionTime)!,
              maxEjectionPercent: od[0]!.maxEjectionPercent ?? DEFAULTS.outlier.maxEjectionPercent,
              span: od[1],
              fieldSpans: spans.fieldSpans(od[0]),
            },
          }
        : {}),
      ...(cp
        ? {
            connectionPool: {
              ...(cp[0]!.connectTimeout !== undefined ? { connectTimeoutMs: ms(cp[0]!.connectTimeout)! } : {}),
              ...(cp[0]!.idleTimeout !== undefined ? { idleTimeoutMs: ms(cp[0]!.idleTimeout)! } : {}),
              ...(cp[0]!.maxRequestsPerConnection !== undefined ? { maxRequestsPerConnection: cp[0]!.maxRequestsPerConnection } : {}),
              span: cp[1],
              fieldSpans: spans.fieldSpans(cp[0]),
            },
          }
        : {}),
      loadBalancer: { ...loadBalancer, declared: lb !== undefined },
    };
  };

  // ── services ──
  const servicesSpan = keySpan(spec, "services", meshSpan);
  const byKey = new Map<string, ServiceIR>();
  const services: ServiceIR[] = [];
  for (const [key, svc] of Object.entries(spec.services)) {
    const span = keySpan(spec.services, key, sp(svc, servicesSpan));
    const resolved = resolveService(key, svc, span);
    byKey.set(key, resolved);
    services.push(resolved);
  }

  function resolveService(key: string, svc: ServiceInput, span: Span): ServiceIR {
    const name = svc.name ?? key;
    const ns = svc.namespace ?? namespace;
    const sa = svc.serviceAccount ?? name;
    const serviceMtls = svc.mtls ?? meshMtls;
    const ports = Object.entries(svc.ports)
      .map(([portName, p]) => ({
        name: portName,
        port: p.port,
        targetPort: p.targetPort ?? p.port,
        protocol: (p.protocol ?? "http") as Protocol,
        mtls: p.mtls ?? serviceMtls,
        span: keySpan(svc.ports, portName, sp(p, span)),
        fieldSpans: spans.fieldSpans(p),
      }))
      .sort((a, b) => compareIds(a.name, b.name));
    // The retry conditions a service's callers get by default depend on what it serves.
    const mainProtocol = ports.every((p) => p.protocol === "grpc") && ports.length > 0 ? "grpc" : "http";
    const versions: VersionIR[] = Object.entries(svc.versions ?? {})
      .map(([vName, v]) => {
        const workload = mergeWorkload(svc.workload, v.workload);
        return {
          name: vName,
          selector: sortKeys({ app: name, ...(v.labels ?? { version: vName }) }),
          ...(workload ? { workload } : {}),
          span: keySpan(svc.versions, vName, sp(v, span)),
          fieldSpans: spans.fieldSpans(v),
        };
      })
      .sort((a, b) => compareIds(a.name, b.name));
    const workload = versions.length === 0 ? mergeWorkload(svc.workload, undefined) : undefined;
    return {
      id: `${ns}/${name}`,
      key,
      name,
      namespace: ns,
      serviceAccount: sa,
      identity: identityOf(trustDomain, ns, sa),
      labels: sortKeys(svc.labels ?? {}),
      selector: { app: name },
      ports,
      versions,
      ...(workload ? { workload } : {}),
      mtls: serviceMtls,
      traffic: resolveTraffic(svc.traffic, keySpan(svc, "traffic", span), mainProtocol),
      ...(svc.rateLimit
        ? {
            rateLimit: {
              requests: svc.rateLimit.requests,
              per: svc.rateLimit.per ?? "second",
              windowMs: windows[svc.rateLimit.per ?? "second"],
              burst: svc.rateLimit.burst ?? 0,
              span: keySpan(svc, "rateLimit", span),
            },
          }
        : {}),
      span,
      fieldSpans: spans.fieldSpans(svc),
    };
  }

  // ── external hosts ──
  const externalSpec = spec.external ?? {};
  const externalKeys = new Set(Object.keys(externalSpec));
  const external: ExternalIR[] = Object.entries(externalSpec).map(([key, x]) => {
    const span = keySpan(externalSpec, key, sp(x, meshSpan));
    const ports = Object.entries(x.ports ?? { https: { port: 443, protocol: "https" as const } })
      .map(([pName, p]) => ({
        name: pName,
        port: p.port,
        protocol: p.protocol ?? (p.port === 443 ? "https" : "tcp"),
        span: keySpan(x.ports, pName, sp(p, span)),
      }))
      .sort((a, b) => compareIds(a.name, b.name));
    return {
      id: key,
      host: x.host,
      ports,
      traffic: resolveTraffic(x.traffic, keySpan(x, "traffic", span), undefined),
      span,
      fieldSpans: spans.fieldSpans(x),
    };
  });
  const externalById = new Map(external.map((x) => [x.id, x]));

  const serviceIdOf = (key: string) => byKey.get(key)?.id ?? `${namespace}/${key}`;
  const portProtocol = (key: string, port: string): Protocol | undefined => byKey.get(key)?.ports.find((p) => p.name === port)?.protocol;

  // ── calls ──
  const calls: Omit<CallIR, "id">[] = [];
  const routes: RouteIR[] = [];
  const ingresses: IngressIR[] = [];
  raw.policies.forEach((policy) => {
    const policySpan = sp(policy, meshSpan);
    for (const call of policy.calls ?? []) calls.push(...resolveCall(call, sp(call, keySpan(policy, "calls", policySpan))));
    for (const [key, ports] of Object.entries(policy.routes ?? {})) {
      for (const [port, rules] of Object.entries(ports)) {
        const span = keySpan(ports, port, keySpan(policy.routes, key, policySpan));
        routes.push(resolveRoute(key, port, rules, span));
      }
    }
    for (const ing of policy.ingress ?? []) ingresses.push(resolveIngress(ing, sp(ing, keySpan(policy, "ingress", policySpan))));
  });

  function resolveCall(call: CallInput, span: Span): Omit<CallIR, "id">[] {
    const callers: CallerIR[] = Array.isArray(call.from)
      ? call.from.map((h) => ({ kind: "service" as const, service: serviceIdOf(h.name) }))
      : call.from.kind === "any"
        ? [{ kind: "any" }]
        : [{ kind: "service", service: serviceIdOf(call.from.name) }];
    const isExternal = externalKeys.has(call.to.service) && !byKey.has(call.to.service);
    const to: CallTargetIR = isExternal
      ? { kind: "external", external: call.to.service, port: call.to.port }
      : { kind: "service", service: serviceIdOf(call.to.service), port: call.to.port };
    const protocol = isExternal
      ? externalById.get(call.to.service)?.ports.find((p) => p.name === call.to.port)?.protocol
      : portProtocol(call.to.service, call.to.port);
    const calleeTraffic = isExternal ? externalById.get(call.to.service)?.traffic : byKey.get(call.to.service)?.traffic;
    const fieldSpans = spans.fieldSpans(call);
    const timeoutMs = call.timeout !== undefined ? ms(call.timeout) : calleeTraffic?.timeoutMs;
    const timeoutSpan = call.timeout !== undefined ? (fieldSpans.timeout ?? span) : calleeTraffic?.timeoutSpan;
    const retries = call.retries ? resolveRetries(call.retries, protocol, fieldSpans.retries ?? span) : calleeTraffic?.retries;
    return callers.map((from) => ({
      from,
      to,
      ...(protocol ? { protocol } : {}),
      ...(call.methods ? { methods: sortUnique(call.methods as HttpMethod[]) } : {}),
      ...(call.paths ? { paths: paths(call.paths) } : {}),
      ...(call.grpcMethods ? { grpcMethods: grpcMethods(call.grpcMethods) } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs, ...(timeoutSpan ? { timeoutSpan } : {}) } : {}),
      ...(retries ? { retries } : {}),
      span,
      fieldSpans,
    }));
  }

  function resolveRoute(key: string, port: string, rules: readonly RouteRuleInput[], span: Span): RouteIR {
    const service = serviceIdOf(key);
    const protocol = portProtocol(key, port);
    return {
      id: `${service}:${port}`,
      service,
      port,
      span,
      rules: rules.map((rule, i): RouteRuleIR => {
        const ruleSpan = sp(rule, spans.of(rules)?.items?.[i] ?? span);
        const fieldSpans = spans.fieldSpans(rule);
        const to = rule.to;
        const destinations =
          to === undefined
            ? []
            : typeof to === "string"
              ? [{ version: to, weight: 100, span: fieldSpans.to ?? ruleSpan }]
              : to.map((d, j) => ({ version: d.version, weight: d.weight, span: sp(d, spans.of(to)?.items?.[j] ?? ruleSpan) }));
        return {
          ...(rule.match
            ? {
                match: {
                  headers: Object.entries(rule.match.headers ?? {})
                    .map(([name, m]) => ({
                      name: name.toLowerCase(),
                      match: "exact" in m ? { kind: "exact" as const, value: m.exact } : "prefix" in m ? { kind: "prefix" as const, value: m.prefix } : { kind: "regex" as const, value: m.regex },
                    }))
                    .sort((a, b) => compareIds(a.name, b.name)),
                  ...(rule.match.paths ? { paths: paths(rule.match.paths) } : {}),
                  ...(rule.match.methods ? { methods: sortUnique(rule.match.methods as HttpMethod[]) } : {}),
                },
              }
            : {}),
          destinations,
          ...(rule.timeout !== undefined ? { timeoutMs: ms(rule.timeout)! } : {}),
          ...(rule.retries ? { retries: resolveRetries(rule.retries, protocol, fieldSpans.retries ?? ruleSpan)! } : {}),
          ...(rule.fault ? { fault: resolveFault(rule.fault, fieldSpans.fault ?? ruleSpan) } : {}),
          ...(rule.mirror ? { mirror: resolveMirror(rule.mirror, fieldSpans.mirror ?? ruleSpan) } : {}),
          span: ruleSpan,
          fieldSpans,
        };
      }),
    };
  }

  function resolveFault(f: NonNullable<RouteRuleInput["fault"]>, span: Span): FaultIR {
    return {
      ...(f.delay ? { delay: { fixedMs: ms(f.delay.fixed)!, percent: f.delay.percent } } : {}),
      ...(f.abort ? { abort: "httpStatus" in f.abort ? { httpStatus: f.abort.httpStatus, percent: f.abort.percent } : { grpcStatus: f.abort.grpcStatus, percent: f.abort.percent } } : {}),
      span,
    };
  }

  function resolveMirror(m: NonNullable<RouteRuleInput["mirror"]>, span: Span): MirrorIR {
    return {
      to: "version" in m ? { kind: "version", version: m.version } : { kind: "service", service: serviceIdOf(m.to.service), port: m.to.port },
      percent: m.percent ?? 100,
      span,
    };
  }

  function resolveIngress(ing: IngressInput, span: Span): IngressIR {
    const gatewayNs = ing.gateway?.namespace ?? namespace;
    const gatewaySa = ing.gateway?.serviceAccount ?? `${ing.name}-gateway`;
    const port = ing.port ?? (ing.tls ? 443 : 80);
    return {
      name: ing.name,
      port,
      targetPort: ing.gateway?.targetPort ?? port,
      protocol: ing.tls ? "https" : "http",
      hosts: sortUnique(ing.hosts ?? ["*"]),
      ...(ing.tls ? { tls: { secretName: ing.tls.secretName } } : {}),
      gateway: {
        namespace: gatewayNs,
        serviceAccount: gatewaySa,
        identity: identityOf(trustDomain, gatewayNs, gatewaySa),
        selector: sortKeys(ing.gateway?.labels ?? { app: `${ing.name}-gateway` }),
      },
      routes: ing.routes.map((r, i) => {
        const rSpan = sp(r, spans.of(ing.routes)?.items?.[i] ?? span);
        const callee = byKey.get(r.to.service);
        const protocol = portProtocol(r.to.service, r.to.port);
        const fieldSpans = spans.fieldSpans(r);
        const timeoutMs = r.timeout !== undefined ? ms(r.timeout) : callee?.traffic.timeoutMs;
        const timeoutSpan = r.timeout !== undefined ? (fieldSpans.timeout ?? rSpan) : callee?.traffic.timeoutSpan;
        const retries = r.retries ? resolveRetries(r.retries, protocol, fieldSpans.retries ?? rSpan) : callee?.traffic.retries;
        return {
          ...(r.paths ? { paths: paths(r.paths) } : {}),
          ...(r.methods ? { methods: sortUnique(r.methods as HttpMethod[]) } : {}),
          to: { service: serviceIdOf(r.to.service), port: r.to.port },
          ...(timeoutMs !== undefined ? { timeoutMs, ...(timeoutSpan ? { timeoutSpan } : {}) } : {}),
          ...(retries ? { retries } : {}),
          span: rSpan,
          fieldSpans,
        };
      }),
      span,
      fieldSpans: spans.fieldSpans(ing),
    };
  }

  // ── identities, namespaces, certificates ──
  const identityMap = new Map<string, { identity: Identity; services: string[] }>();
  for (const s of services) {
    const entry = identityMap.get(s.identity.spiffeId) ?? { identity: s.identity, services: [] };
    if (!entry.services.includes(s.id)) entry.services.push(s.id);
    identityMap.set(s.identity.spiffeId, entry);
  }
  const identities: IdentityIR[] = [...identityMap.values()]
    .map(({ identity, services: ids }) => ({ ...identity, services: ids.sort(compareIds) }))
    .sort((a, b) => compareIds(a.spiffeId, b.spiffeId));

  const certSpec = spec.certificates;
  const certificates: CertificatesIR = {
    keyAlgorithm: certSpec?.keyAlgorithm ?? DEFAULTS.keyAlgorithm,
    issuer: certSpec?.issuer ?? "meshc",
    rootLifetimeMs: parseDuration(certSpec?.rootLifetime ?? DEFAULTS.rootLifetime)!,
    intermediateLifetimeMs: parseDuration(certSpec?.intermediateLifetime ?? DEFAULTS.intermediateLifetime)!,
    leafLifetimeMs: parseDuration(certSpec?.leafLifetime ?? DEFAULTS.leafLifetime)!,
    span: keySpan(spec, "certificates", meshSpan),
  };

  const namespaces = sortUnique([namespace, ...services.map((s) => s.namespace)]);

  return {
    name: spec.name,
    trustDomain,
    clusterDomain: spec.clusterDomain ?? DEFAULTS.clusterDomain,
    namespace,
    namespaces,
    mtls: meshMtls,
    egress: spec.defaults?.egress ?? DEFAULTS.egress,
    certificates,
    services: services.sort((a, b) => compareIds(a.id, b.id) || compareIds(a.key, b.key)),
    external: external.sort((a, b) => compareIds(a.id, b.id)),
    identities,
    calls: assignCallIds(calls),
    routes: routes.sort((a, b) => compareIds(a.id, b.id)),
    ingresses: ingresses.sort((a, b) => compareIds(a.name, b.name)),
    span: meshSpan,
    fieldSpans: spans.fieldSpans(spec),
  };
}

/**
 * Edge ids are content-derived, so reordering declarations does not change any output: calls are
 * sorted by their edge, then by their content, and the second call of an edge is `<edge>#2`.
 */
function assignCallIds(calls: Omit<CallIR, "id">[]): CallIR[] {
  const base = (c: Omit<CallIR, "id">) =>
    `${c.from.kind === "any" ? "*" : c.from.service}->${c.to.kind === "service" ? c.to.service : `external/${c.to.external}`}:${c.to.port}`;
  const content = (c: Omit<CallIR, "id">) =>
    JSON.stringify([c.methods ?? null, c.paths ?? null, c.grpcMethods ?? null, c.timeoutMs ?? null, c.retries ? [c.retries.attempts, c.retries.perTryTimeoutMs ?? null, c.retries.on] : null]);
  // Content is only compared between calls of one edge, which are rare: it is serialised for those
  // alone (for every call, it was most of this function's time in watch mode's re-checks).
  const keyed = calls.map((c) => ({ c, b: base(c) })).sort((x, y) => compareIds(x.b, y.b));
  const out: CallIR[] = [];
  for (let i = 0; i < keyed.length; ) {
    let j = i + 1;
    while (j < keyed.length && keyed[j]!.b === keyed[i]!.b) j++;
    // A stable sort, as the sort by edge was: calls alike in content keep their order.
    const group = j - i === 1 ? keyed.slice(i, j) : keyed.slice(i, j).map((x) => ({ ...x, k: content(x.c) })).sort((x, y) => compareIds(x.k, y.k));
    group.forEach(({ c, b }, n) => out.push({ id: n === 0 ? b : `${b}#${n + 1}`, ...c }));
    i = j;
  }
  return out;
}

function paths(list: readonly string[]): PathMatchIR[] {
  const out = list.map((p): PathMatchIR => (p.endsWith("*") ? { kind: "prefix", value: p.slice(0, -1) } : { kind: "exact", value: p }));
  const seen = new Set<string>();
  return out
    .filter((p) => {
      const k = `${p.kind}:${p.value}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .sort((a, b) => compareIds(a.value, b.value) || compareIds(a.kind, b.kind));
}

function grpcMethods(list: readonly string[]): GrpcMethodIR[] {
  const seen = new Set<string>();
  return list
    .filter((m) => (seen.has(m) ? false : (seen.add(m), true)))
    .map((m) => {
      const [service, method] = m.split("/") as [string, string];
      return method === "*" ? { service } : { service, method };
    })
    .sort((a, b) => compareIds(a.service, b.service) || compareIds(a.method ?? "", b.method ?? ""));
}

function mergeWorkload(base: ServiceInput["workload"], over: ServiceInput["workload"]): WorkloadIR | undefined {
  if (!base && !over) return undefined;
  const env = { ...(base?.env ?? {}), ...(over?.env ?? {}) };
  const image = over?.image ?? base?.image;
  const command = over?.command ?? base?.command;
  const args = over?.args ?? base?.args;
  const resources = over?.resources ?? base?.resources;
  return {
    ...(image !== undefined ? { image } : {}),
    replicas: over?.replicas ?? base?.replicas ?? DEFAULTS.replicas,
    env: Object.entries(env)
      .map(([name, value]) => ({ name, value }))
      .sort((a, b) => compareIds(a.name, b.name)),
    ...(command ? { command } : {}),
    ...(args ? { args } : {}),
    ...(resources ? { resources } : {}),
  };
}

function sortKeys(obj: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(obj).sort(([a], [b]) => compareIds(a, b)));
}

function sortUnique<T extends string>(list: readonly T[]): T[] {
  return [...new Set(list)].sort(compareIds);
}
