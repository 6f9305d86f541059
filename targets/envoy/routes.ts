/**
 * Route tables of one caller towards one callee port: the callee's route rules (matches, splits,
 * faults, mirrors) in declared order, with the caller's timeouts and retries, and the upstream
 * clusters they need.
 */
import {
  assertNever,
  compareIds,
  type ExternalIR,
  type ExternalPortIR,
  type FaultIR,
  type HttpMethod,
  type PathMatchIR,
  type PortIR,
  type RetryBudgetIR,
  type RetryIR,
  type RouteIR,
  type RouteRuleIR,
  type ServiceIR,
  type Span,
  type TrafficPolicyIR,
} from "../../compiler/ir.js";
import { versionServiceName } from "../conventions.js";
import { cluster, reportBudgetApproximation, type ClusterSpec, type UpstreamCodec } from "./clusters.js";
import { duration, extension, FILTER, fractionalPercent, meshUpstreamTls, stringMatcher, typed, TYPE, type Json } from "./envoy-api.js";
import { type Constraints, type MeshIndex, type Reporter, type RequestPolicy } from "./model.js";
import { dnsName, inboundPort, meshServiceName, outboundClusterName } from "./naming.js";

/** A slice of a caller's traffic to one callee port, with the policy it gets. */
export interface Selector {
  /** Prefixed to route names, so a route says which call or ingress route it serves. */
  readonly label?: string;
  readonly constraints: Constraints;
  readonly policy: RequestPolicy;
}

/** The callee-side view a route needs. */
export interface Destination {
  readonly service: ServiceIR;
  readonly port: PortIR;
}

/** Where a route table sends requests: a mesh service port (with versions), or one external cluster. */
export type RouteTarget =
  | { readonly kind: "service"; readonly dest: Destination }
  | { readonly kind: "external"; readonly cluster: string; readonly host: string; readonly traffic: TrafficPolicyIR };

/** The workload whose sidecar the routes run in. */
export interface Caller {
  /** Outbound sidecars rewrite Host (the app dialled 127.0.0.1); a gateway keeps the client's. */
  readonly rewriteHost: boolean;
}

export function upstreamCodec(protocol: PortIR["protocol"]): UpstreamCodec {
  switch (protocol) {
    case "http":
      return "http1";
    case "http2":
    case "grpc":
      return "http2";
    case "tcp":
      return "tcp";
    default:
      return assertNever(protocol, "protocol");
  }
}

/**
 * The clusters a workload's routes refer to, built once each, and the retry budget each carries
 * (Envoy keeps budgets on the cluster, the mesh declares them on calls and rules).
 */
export class ClusterRegistry {
  private readonly specs = new Map<string, ClusterSpec>();
  private readonly budgets = new Map<string, { budget: RetryBudgetIR; span: Span }>();
  private readonly serviceDestinations = new Map<string, Destination>();
  private readonly externalDestinations = new Map<string, { readonly external: ExternalIR; readonly port: ExternalPortIR }>();

  constructor(
    readonly index: MeshIndex,
    private readonly reporter: Reporter,
  ) {}

  /** The cluster of a callee port, for one version or (undefined) every version. */
  service(dest: Destination, version: string | undefined): string {
    const { service, port } = dest;
    const name = outboundClusterName(service, port, version);
    this.serviceDestinations.set(`${service.id}:${port.name}`, dest);
    if (!this.specs.has(name)) {
      const v = version === undefined ? undefined : service.versions.find((x) => x.name === version);
      const host = dnsName(v ? versionServiceName(service, v) : meshServiceName(service), service.namespace, this.index.ir.clusterDomain);
      this.specs.set(name, {
        name,
        discovery: "STRICT_DNS",
        endpoints: [{ host, port: inboundPort(service, port) }],
        codec: upstreamCodec(port.protocol),
        traffic: service.traffic,
        ...(port.mtls === "disabled" ? {} : { transportSocket: meshUpstreamTls(service.identity.spiffeId) }),
      });
    }
    return name;
  }

  /** The cluster of an external host port. */
  external(spec: ClusterSpec, external: ExternalIR, port: ExternalPortIR): string {
    this.externalDestinations.set(`${external.id}:${port.name}`, { external, port });
    if (!this.specs.has(spec.name)) this.specs.set(spec.name, spec);
    return spec.name;
  }

  /** The service ports and external host ports the clusters reach, sorted. */
  get destinations(): { readonly services: readonly Destination[]; readonly externals: readonly { readonly external: ExternalIR; readonly port: ExternalPortIR }[] } {
    const sorted = <T>(m: Map<string, T>) => [...m.entries()].sort(([a], [b]) => compareIds(a, b)).map(([, v]) => v);
    return { services: sorted(this.serviceDestinations), externals: sorted(this.externalDestinations) };
  }

  budget(clusterName: string, retries: RetryIR | undefined): void {
    const budget = retries?.budget;
    if (!budget) return;
    const span = retries.fieldSpans.budget ?? retries.span;
    reportBudgetApproximation(budget, span, this.reporter);
    const first = this.budgets.get(clusterName);
    if (!first) {
      this.budgets.set(clusterName, { budget, span });
    } else if (first.budget.percent !== budget.percent || first.budget.minRetriesPerSecond !== budget.minRetriesPerSecond) {
      this.reporter.unsupported(
        "different retry budgets towards one destination",
        `Envoy keeps one retry budget per upstream cluster; "${clusterName}" keeps ${first.budget.percent}% (min ${first.budget.minRetriesPerSecond}), not ${budget.percent}% (min ${budget.minRetriesPerSecond})`,
        span,
      );
    }
  }

  build(): Json[] {
    return [...this.specs.values()]
      .sort((a, b) => compareIds(a.name, b.name))
      .map((spec) => {
        const budget = this.budgets.get(spec.name)?.budget;
        return cluster(budget ? { ...spec, retryBudget: budget } : spec);
      });
  }
}

function intersectPath(a: PathMatchIR, b: PathMatchIR): PathMatchIR | undefined {
  if (a.kind === "exact" && b.kind === "exact") return a.value === b.value ? a : undefined;
  if (a.kind === "exact") return a.value.startsWith(b.value) ? a : undefined;
  if (b.kind === "exact") return b.value.startsWith(a.value) ? b : undefined;
  return a.value.startsWith(b.value) ? a : b.value.startsWith(a.value) ? b : undefined;
}

/** Paths matching both sets (undefined: every path). */
export function intersectPaths(a: readonly PathMatchIR[] | undefined, b: readonly PathMatchIR[] | undefined): PathMatchIR[] | undefined {
  if (!a) return b ? [...b] : undefined;
  if (!b) return [...a];
  const out: PathMatchIR[] = [];
  for (const x of a) {
    for (const y of b) {
      const z = intersectPath(x, y);
      if (z && !out.some((o) => o.kind === z.kind && o.value === z.value)) out.push(z);
    }
  }
  return out;
}

function intersectMethods(a: readonly HttpMethod[] | undefined, b: readonly HttpMethod[] | undefined): HttpMethod[] | undefined {
  if (!a) return b ? [...b] : undefined;
  if (!b) return [...a];
  return a.filter((m) => b.includes(m));
}

/** The request paths a selector admits: its paths and its gRPC methods (`/pkg.Service/Method`). */
export function constraintPaths(c: Constraints): PathMatchIR[] | undefined {
  const grpc = c.grpcMethods?.map(
    (g): PathMatchIR => (g.method === undefined ? { kind: "prefix", value: `/${g.service}/` } : { kind: "exact", value: `/${g.service}/${g.method}` }),
  );
  return intersectPaths(c.paths, grpc);
}

export function methodHeader(methods: readonly HttpMethod[]): Json {
  // RE2 safe_regex matches the whole value, so an alternation needs no anchors.
  return { name: ":method", string_match: methods.length === 1 ? { exact: methods[0] } : { safe_regex: { regex: methods.join("|") } } };
}

function retryPolicy(retries: RetryIR): Json {
  return {
    retry_on: retries.on.join(","),
    num_retries: retries.attempts,
    ...(retries.perTryTimeoutMs !== undefined ? { per_try_timeout: duration(retries.perTryTimeoutMs) } : {}),
    // A retry goes to another endpoint when there is one, as Istio's and Linkerd's do.
    retry_host_predicate: [extension("envoy.retry_host_predicates.previous_hosts", TYPE.previousHosts)],
    host_selection_retry_max_attempts: 5,
  };
}

const GRPC_CODES: Readonly<Record<string, number>> = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
};

export function faultConfig(fault: FaultIR, reporter: Reporter): Json {
  const abort = fault.abort;
  let abortJson: Json | undefined;
  if (abort) {
    if ("httpStatus" in abort) abortJson = { http_status: abort.httpStatus, percentage: fractionalPercent(abort.percent) };
    else {
      const code = GRPC_CODES[abort.grpcStatus];
      if (code === undefined) reporter.unsupported("a gRPC fault status", `"${abort.grpcStatus}" is not a gRPC status name`, fault.span);
      else abortJson = { grpc_status: code, percentage: fractionalPercent(abort.percent) };
    }
  }
  return typed(TYPE.fault, {
    ...(fault.delay ? { delay: { fixed_delay: duration(fault.delay.fixedMs), percentage: fractionalPercent(fault.delay.percent) } } : {}),
    ...(abortJson ? { abort: abortJson } : {}),
  });
}

export interface RouteTable {
  readonly routes: Json[];
  /** Whether a route carries a fault, so the listener needs the fault filter. */
  readonly usesFault: boolean;
}

/** What a request no rule matches gets: every version (the DSL: routing never refuses a request). */
const EVERY_VERSION = { destinations: [] } as const;

type Rule = Pick<RouteRuleIR, "match" | "destinations" | "timeoutMs" | "retries" | "fault" | "mirror">;

/**
 * The routes of one caller towards one HTTP callee port: for each selector in order, the callee's
 * rules in declared order (first match wins, as in Envoy's route table), then, when the rules end
 * without a catch-all, one to every version: `Policy.routes` says each port goes to all its
 * versions by default, so a request no rule matches is not refused here (authorization decides).
 */
export function httpRoutes(
  registry: ClusterRegistry,
  reporter: Reporter,
  caller: Caller,
  target: RouteTarget,
  route: RouteIR | undefined,
  selectors: readonly Selector[],
): RouteTable {
  const routes: Json[] = [];
  let usesFault = false;
  const declared: readonly Rule[] = route?.rules ?? [];
  const rules: readonly Rule[] = declared.length > 0 && declared[declared.length - 1]!.match === undefined ? declared : [...declared, EVERY_VERSION];
  for (const selector of selectors) {
    const selectorPaths = constraintPaths(selector.constraints);
    rules.forEach((rule, ri) => {
      const methods = intersectMethods(selector.constraints.methods, rule.match?.methods);
      const paths = intersectPaths(selectorPaths, rule.match?.paths);
      if (methods?.length === 0 || paths?.length === 0) return;
      const headers = [...(rule.match?.headers ?? []).map((h) => ({ name: h.name, string_match: stringMatcher(h.match) })), ...(methods ? [methodHeader(methods)] : [])];
      const action = routeAction(registry, reporter, caller, target, rule, selector.policy);
      if (rule.fault) usesFault = true;
      for (const path of paths ?? [undefined]) {
        routes.push({
          name: `${selector.label ? `${selector.label}/` : ""}${ri < declared.length ? `rule-${ri}` : "default"}`,
          match: { ...(path ? pathMatch(path) : { prefix: "/" }), ...(headers.length > 0 ? { headers } : {}) },
          ...action,
        });
      }
    });
  }
  return { routes, usesFault };
}

function pathMatch(p: PathMatchIR): Json {
  switch (p.kind) {
    case "exact":
      return { path: p.value };
    case "prefix":
      return { prefix: p.value };
    default:
      return assertNever(p, "path match");
  }
}

function destinationClusters(registry: ClusterRegistry, target: RouteTarget, rule: Rule): { name: string; weight: number }[] {
  switch (target.kind) {
    case "external":
      return [{ name: target.cluster, weight: 100 }];
    case "service":
      if (rule.destinations.length === 0) return [{ name: registry.service(target.dest, undefined), weight: 100 }];
      return rule.destinations.map((d) => ({ name: registry.service(target.dest, d.version), weight: d.weight }));
    default:
      return assertNever(target, "route target");
  }
}

function hostRewrite(registry: ClusterRegistry, caller: Caller, target: RouteTarget): string | undefined {
  switch (target.kind) {
    case "external":
      // The app dialled 127.0.0.1; the host expects its own name.
      return target.host;
    case "service":
      return caller.rewriteHost ? `${dnsName(target.dest.service.name, target.dest.service.namespace, registry.index.ir.clusterDomain)}:${target.dest.port.port}` : undefined;
    default:
      return assertNever(target, "route target");
  }
}

function routeAction(registry: ClusterRegistry, reporter: Reporter, caller: Caller, target: RouteTarget, rule: Rule, policy: RequestPolicy): Json {
  const clusters = destinationClusters(registry, target, rule);
  const timeoutMs = rule.timeoutMs ?? policy.timeoutMs;
  const retries = rule.retries ?? policy.retries;
  for (const c of clusters) registry.budget(c.name, retries);
  const lb = target.kind === "service" ? target.dest.service.traffic.loadBalancer : target.traffic.loadBalancer;
  const mirror = rule.mirror && target.kind === "service" ? mirrorPolicy(registry, reporter, target.dest, rule.mirror) : undefined;
  const host = hostRewrite(registry, caller, target);
  return {
    route: {
      ...(clusters.length === 1 ? { cluster: clusters[0]!.name } : { weighted_clusters: { clusters: clusters.map((c) => ({ name: c.name, weight: c.weight })) } }),
      ...(host ? { host_rewrite_literal: host } : {}),
      // No declared timeout means none: Envoy's implicit 15s would be a policy nobody wrote.
      timeout: duration(timeoutMs ?? 0),
      ...(retries ? { retry_policy: retryPolicy(retries) } : {}),
      ...(mirror ? { request_mirror_policies: [mirror] } : {}),
      ...(lb.kind === "consistent-hash" ? { hash_policy: [{ header: { header_name: lb.header } }] } : {}),
    },
    ...(rule.fault ? { typed_per_filter_config: { [FILTER.fault]: faultConfig(rule.fault, reporter) } } : {}),
  };
}

function mirrorPolicy(registry: ClusterRegistry, reporter: Reporter, dest: Destination, mirror: NonNullable<RouteRuleIR["mirror"]>): Json | undefined {
  if (mirror.percent <= 0) return undefined;
  const to = mirror.to;
  let clusterName: string;
  switch (to.kind) {
    case "version":
      clusterName = registry.service(dest, to.version);
      break;
    case "service": {
      const service = registry.index.services.get(to.service);
      const port = service?.ports.find((p) => p.name === to.port);
      if (!service || !port) return undefined;
      if (port.protocol === "tcp") {
        reporter.unsupported("mirroring to a TCP port", `${to.service}:${to.port} is plain TCP; requests cannot be copied to it`, mirror.span);
        return undefined;
      }
      clusterName = registry.service({ service, port }, undefined);
      break;
    }
    default:
      return assertNever(to, "mirror target");
  }
  return { cluster: clusterName, runtime_fraction: { default_value: fractionalPercent(mirror.percent) } };
}

/** The HCM http_filters of an outbound or gateway listener. */
export function outboundHttpFilters(usesFault: boolean): Json[] {
  return [...(usesFault ? [extension(FILTER.fault, TYPE.fault)] : []), extension(FILTER.router, TYPE.router)];
}
