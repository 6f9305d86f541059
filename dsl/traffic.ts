import type { Duration } from "./duration.js";

/**
 * Mutual TLS between sidecars.
 * - `strict`: only mTLS is accepted (what a zero-trust mesh wants).
 * - `permissive`: mTLS and plaintext are both accepted (for migrations).
 * - `disabled`: plaintext only.
 */
export type MtlsMode = "strict" | "permissive" | "disabled";

/**
 * Conditions under which a failed request is retried. HTTP conditions follow Envoy's
 * `x-envoy-retry-on`; gRPC conditions follow `x-envoy-retry-grpc-on`.
 */
export type RetryOn =
  | "5xx"
  | "gateway-error"
  | "reset"
  | "connect-failure"
  | "retriable-4xx"
  | "refused-stream"
  | "cancelled"
  | "deadline-exceeded"
  | "internal"
  | "resource-exhausted"
  | "unavailable";

/** Retries for a call or a route. */
export interface RetryPolicy {
  /**
   * How many times a failed request is retried (not counting the first try).
   * @default 2 (when `retries` is given without `attempts`: see the mesh defaults)
   * @example 3
   */
  readonly attempts: number;
  /**
   * Timeout of each try, so one slow try does not use the whole call timeout.
   * @default the call's timeout
   * @example "500ms"
   */
  readonly perTryTimeout?: Duration;
  /**
   * Which failures are retried.
   * @default ["5xx", "reset", "connect-failure", "refused-stream"] (HTTP), plus
   * ["unavailable", "cancelled", "deadline-exceeded", "resource-exhausted"] on gRPC ports
   * @example ["5xx", "reset"]
   */
  readonly on?: readonly RetryOn[];
  /**
   * A retry budget: retries allowed as a percentage of active requests, so retries cannot
   * multiply load on a struggling service.
   * @default no budget (only `attempts` limits retries)
   * @example { percent: 20, minRetriesPerSecond: 10 }
   */
  readonly budget?: RetryBudget;
}

/** A retry budget (Envoy `retry_budget`, Linkerd `retryRatio`). */
export interface RetryBudget {
  /**
   * Retries in flight as a percentage of requests in flight.
   * @default 20
   * @example 25
   */
  readonly percent?: number;
  /**
   * Retries always allowed per second, whatever the percentage says.
   * @default 10
   * @example 5
   */
  readonly minRetriesPerSecond?: number;
}

/** Circuit-breaking thresholds towards one destination (Envoy `circuit_breakers`). */
export interface CircuitBreaker {
  /**
   * Maximum TCP connections to the destination.
   * @default 1024 (Envoy's default)
   * @example 100
   */
  readonly maxConnections?: number;
  /**
   * Maximum requests waiting for a connection.
   * @default 1024 (Envoy's default)
   * @example 50
   */
  readonly maxPendingRequests?: number;
  /**
   * Maximum concurrent requests (HTTP/2 and gRPC).
   * @default 1024 (Envoy's default)
   * @example 200
   */
  readonly maxRequests?: number;
  /**
   * Maximum concurrent retries.
   * @default 3 (Envoy's default)
   * @example 10
   */
  readonly maxRetries?: number;
}

/** Outlier detection: eject endpoints that keep failing (Istio `outlierDetection`). */
export interface OutlierDetection {
  /**
   * Consecutive 5xx / gateway errors before an endpoint is ejected.
   * @default 5
   * @example 3
   */
  readonly consecutiveErrors?: number;
  /**
   * How often endpoints are evaluated.
   * @default "10s"
   * @example "5s"
   */
  readonly interval?: Duration;
  /**
   * Minimum ejection time; grows with each ejection.
   * @default "30s"
   * @example "1m"
   */
  readonly baseEjectionTime?: Duration;
  /**
   * Maximum percentage of endpoints ejected at once.
   * @default 10
   * @example 50
   */
  readonly maxEjectionPercent?: number;
}

/** Connection settings towards one destination. */
export interface ConnectionPool {
  /**
   * TCP connect timeout.
   * @default "10s"
   * @example "1s"
   */
  readonly connectTimeout?: Duration;
  /**
   * Close connections idle for this long.
   * @default "1h"
   * @example "5m"
   */
  readonly idleTimeout?: Duration;
  /**
   * Requests per connection before it is recycled (1 disables keep-alive).
   * @default unlimited
   * @example 100
   */
  readonly maxRequestsPerConnection?: number;
}

/** Load-balancing algorithm between the endpoints of a destination. */
export type LoadBalancer =
  | "round-robin"
  | "least-request"
  | "random"
  | {
      /**
       * Consistent hashing on a request header (session affinity).
       * @example { header: "x-user-id" }
       */
      readonly consistentHash: {
        /**
         * The request header whose value picks the endpoint.
         * @example "x-user-id"
         */
        readonly header: string;
      };
    };

/** A local rate limit on a service's inbound traffic, enforced by each replica's proxy. */
export interface RateLimit {
  /**
   * Requests allowed per `per`.
   * @example 100
   */
  readonly requests: number;
  /**
   * The window.
   * @default "second"
   * @example "minute"
   */
  readonly per?: "second" | "minute" | "hour";
  /**
   * Extra requests allowed in a burst above the steady rate.
   * @default 0
   * @example 20
   */
  readonly burst?: number;
}

/** Fault injection on a route, for resilience testing. */
export interface Fault {
  /**
   * Delay a percentage of requests.
   * @default no delay
   * @example { fixed: "5s", percent: 10 }
   */
  readonly delay?: {
    /**
     * How long requests are held.
     * @example "5s"
     */
    readonly fixed: Duration;
    /**
     * Percentage of requests delayed.
     * @example 10
     */
    readonly percent: number;
  };
  /**
   * Fail a percentage of requests with an HTTP status (or a gRPC status on gRPC ports).
   * @default no abort
   * @example { httpStatus: 503, percent: 5 }
   */
  readonly abort?:
    | {
        /**
         * The HTTP status returned.
         * @example 503
         */
        readonly httpStatus: number;
        /**
         * Percentage of requests failed.
         * @example 5
         */
        readonly percent: number;
      }
    | {
        /**
         * The gRPC status returned.
         * @example "UNAVAILABLE"
         */
        readonly grpcStatus: GrpcStatus;
        /**
         * Percentage of requests failed.
         * @example 5
         */
        readonly percent: number;
      };
}

/** gRPC status names accepted for gRPC fault injection. */
export type GrpcStatus =
  | "CANCELLED"
  | "UNKNOWN"
  | "INVALID_ARGUMENT"
  | "DEADLINE_EXCEEDED"
  | "NOT_FOUND"
  | "ALREADY_EXISTS"
  | "PERMISSION_DENIED"
  | "RESOURCE_EXHAUSTED"
  | "FAILED_PRECONDITION"
  | "ABORTED"
  | "OUT_OF_RANGE"
  | "UNIMPLEMENTED"
  | "INTERNAL"
  | "UNAVAILABLE"
  | "DATA_LOSS"
  | "UNAUTHENTICATED";

/** Destination-side traffic policy of a service: how its callers' proxies talk to it. */
export interface TrafficPolicy {
  /**
   * Default request timeout for every call to this service (a call can override it).
   * @default the mesh default (`defaults.timeout`), else no timeout beyond the proxy's own
   * @example "3s"
   */
  readonly timeout?: Duration;
  /**
   * Default retries for every call to this service (a call can override them).
   * @default the mesh default (`defaults.retries`), else no retries
   * @example { attempts: 2, perTryTimeout: "1s", on: ["5xx", "reset"] }
   */
  readonly retries?: RetryPolicy;
  /**
   * Circuit-breaking thresholds.
   * @default the proxy's defaults
   * @example { maxConnections: 100, maxPendingRequests: 10 }
   */
  readonly circuitBreaker?: CircuitBreaker;
  /**
   * Outlier detection.
   * @default off
   * @example { consecutiveErrors: 5, interval: "10s", baseEjectionTime: "30s" }
   */
  readonly outlierDetection?: OutlierDetection;
  /**
   * Connection settings.
   * @default the proxy's defaults
   * @example { connectTimeout: "1s" }
   */
  readonly connectionPool?: ConnectionPool;
  /**
   * Load-balancing algorithm.
   * @default "round-robin" (Linkerd always uses EWMA and reports this as unsupported)
   * @example "least-request"
   */
  readonly loadBalancer?: LoadBalancer;
}
