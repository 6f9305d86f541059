/**
 * Upstream clusters: where a workload's sidecar sends requests, with the destination's traffic
 * policy (connection pool, circuit breakers, outlier detection, load balancing) and TLS.
 */
import { assertNever, type LoadBalancerIR, type RetryBudgetIR, type Span, type TrafficPolicyIR } from "../../compiler/ir.js";
import { duration, socketAddress, typed, TYPE, type Json } from "./envoy-api.js";
import type { Reporter } from "./model.js";

/** The DSL's documented default connect timeout (Envoy's own is 5s). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** How a cluster speaks to its endpoints. */
export type UpstreamCodec = "http1" | "http2" | "alpn" | "tcp";

export interface ClusterSpec {
  readonly name: string;
  /** STRICT_DNS for headless Services (one host per ready pod), LOGICAL_DNS for external hosts. */
  readonly discovery: "STRICT_DNS" | "LOGICAL_DNS" | "STATIC";
  readonly endpoints: readonly { readonly host: string; readonly port: number }[];
  readonly codec: UpstreamCodec;
  readonly traffic?: TrafficPolicyIR;
  readonly retryBudget?: RetryBudgetIR;
  readonly transportSocket?: Json;
}

export function lbPolicy(lb: LoadBalancerIR): string {
  switch (lb.kind) {
    case "round-robin":
      return "ROUND_ROBIN";
    case "least-request":
      return "LEAST_REQUEST";
    case "random":
      return "RANDOM";
    case "consistent-hash":
      // The hash key is the route's hash_policy (a header), set on every route to the cluster.
      return "RING_HASH";
    default:
      return assertNever(lb, "load balancer");
  }
}

function protocolOptions(codec: UpstreamCodec, traffic: TrafficPolicyIR | undefined): Json | undefined {
  const pool = traffic?.connectionPool;
  const common = {
    ...(pool?.idleTimeoutMs !== undefined ? { idle_timeout: duration(pool.idleTimeoutMs) } : {}),
    ...(pool?.maxRequestsPerConnection !== undefined ? { max_requests_per_connection: pool.maxRequestsPerConnection } : {}),
  };
  let protocol: Json;
  switch (codec) {
    case "http1":
      protocol = { explicit_http_config: { http_protocol_options: {} } };
      break;
    case "http2":
      protocol = { explicit_http_config: { http2_protocol_options: {} } };
      break;
    case "alpn":
      protocol = { auto_config: { http_protocol_options: {}, http2_protocol_options: {} } };
      break;
    case "tcp":
      return undefined;
    default:
      return assertNever(codec, "codec");
  }
  return {
    [TYPE.httpProtocolOptions]: typed(TYPE.httpProtocolOptions, {
      ...(Object.keys(common).length > 0 ? { common_http_protocol_options: common } : {}),
      ...protocol,
    }),
  };
}

function circuitBreakers(traffic: TrafficPolicyIR | undefined, budget: RetryBudgetIR | undefined): Json | undefined {
  const cb = traffic?.circuitBreaker;
  const threshold = {
    ...(cb?.maxConnections !== undefined ? { max_connections: cb.maxConnections } : {}),
    ...(cb?.maxPendingRequests !== undefined ? { max_pending_requests: cb.maxPendingRequests } : {}),
    ...(cb?.maxRequests !== undefined ? { max_requests: cb.maxRequests } : {}),
    ...(cb?.maxRetries !== undefined ? { max_retries: cb.maxRetries } : {}),
    ...(budget ? { retry_budget: { budget_percent: { value: budget.percent }, min_retry_concurrency: budget.minRetriesPerSecond } } : {}),
  };
  return Object.keys(threshold).length > 0 ? { thresholds: [{ priority: "DEFAULT", ...threshold }] } : undefined;
}

export function cluster(spec: ClusterSpec): Json {
  const traffic = spec.traffic;
  const od = traffic?.outlierDetection;
  const options = protocolOptions(spec.codec, traffic);
  const breakers = circuitBreakers(traffic, spec.retryBudget);
  return {
    name: spec.name,
    type: spec.discovery,
    connect_timeout: duration(traffic?.connectionPool?.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS),
    lb_policy: traffic ? lbPolicy(traffic.loadBalancer) : "ROUND_ROBIN",
    ...(spec.discovery === "STATIC" ? {} : { dns_lookup_family: "V4_PREFERRED" }),
    load_assignment: {
      cluster_name: spec.name,
      endpoints: [{ lb_endpoints: spec.endpoints.map((e) => ({ endpoint: { address: socketAddress(e.host, e.port) } })) }],
    },
    ...(breakers ? { circuit_breakers: breakers } : {}),
    ...(od
      ? {
          outlier_detection: {
            consecutive_5xx: od.consecutiveErrors,
            interval: duration(od.intervalMs),
            base_ejection_time: duration(od.baseEjectionTimeMs),
            max_ejection_percent: od.maxEjectionPercent,
            // Envoy also ejects on success rate by default; the mesh asked for consecutive errors only.
            enforcing_success_rate: 0,
          },
        }
      : {}),
    ...(options ? { typed_extension_protocol_options: options } : {}),
    ...(spec.transportSocket ? { transport_socket: spec.transportSocket } : {}),
  };
}

/** Connection-pool fields with no meaning on a TCP upstream are reported, not dropped. */
export function reportTcpPool(traffic: TrafficPolicyIR, reporter: Reporter, what: string, span: Span): void {
  const pool = traffic.connectionPool;
  if (pool?.maxRequestsPerConnection !== undefined) {
    reporter.unsupported(
      "maxRequestsPerConnection on a TCP port",
      `${what} is plain TCP: Envoy sees connections, not requests, so connections are not recycled`,
      pool.fieldSpans.maxRequestsPerConnection ?? pool.span,
    );
  }
  if (traffic.loadBalancer.kind === "consistent-hash") {
    reporter.unsupported(
      "consistent hashing on a header for a TCP port",
      `${what} is plain TCP and has no headers to hash; Envoy's ring hash then picks endpoints at random`,
      span,
    );
  }
}

/** A retry budget approximated by Envoy's, which bounds concurrent retries rather than a rate. */
export function reportBudgetApproximation(budget: RetryBudgetIR | undefined, span: Span, reporter: Reporter): void {
  if (!budget) return;
  reporter.unsupported(
    "a retry budget's minRetriesPerSecond",
    `Envoy's retry_budget keeps ${budget.percent}% of active requests as retries and at least ${budget.minRetriesPerSecond} concurrent retries (min_retry_concurrency), not ${budget.minRetriesPerSecond} retries per second`,
    span,
  );
}
