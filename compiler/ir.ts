/**
 * The intermediate representation: the one contract between the compiler and the targets.
 *
 * Plain readonly data, fully resolved: defaults applied, references resolved to ids, durations
 * in milliseconds, identities computed, every list sorted, and every node carrying the span of
 * the declaration it came from in `mesh.ts`. No target looks at the DSL; no target ever needs to
 * recover a location.
 *
 * References may point at things that do not exist (a mesh with type errors bypassed, say): the
 * checks in `compiler/checks/` report them, and targets run only on a mesh without errors.
 */

/** A location in a mesh source file. Lines and columns are 1-based. */
export interface Span {
  /** Path relative to the mesh's root directory (the entry file's folder), `/`-separated. */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
}

/** Spans of the fields of a declaration, by field name, for diagnostics about one field. */
export type FieldSpans = Readonly<Record<string, Span>>;

/** `"<namespace>/<name>"` of a service. */
export type ServiceId = string;
/** `"<name>"` of an external host. */
export type ExternalId = string;

export type Protocol = "http" | "http2" | "grpc" | "tcp";
export type ExternalProtocol = "http" | "https" | "tls" | "grpc" | "tcp";
export type MtlsMode = "strict" | "permissive" | "disabled";
export type HttpMethod = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" | "CONNECT" | "TRACE";
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

/** A workload identity: one Kubernetes service account. */
export interface Identity {
  readonly namespace: string;
  readonly serviceAccount: string;
  /** `spiffe://<trust-domain>/ns/<namespace>/sa/<serviceAccount>` */
  readonly spiffeId: string;
  /** `<trust-domain>/ns/<namespace>/sa/<serviceAccount>`: Istio's `principals` form. */
  readonly principal: string;
}

/** An identity and the services that run as it (several services sharing one is a smell). */
export interface IdentityIR extends Identity {
  /** Sorted. */
  readonly services: readonly ServiceId[];
}

export interface PortIR {
  /** The port's key in the DSL; also the Kubernetes port name. */
  readonly name: string;
  readonly port: number;
  /** Container port; equals `port` unless declared. */
  readonly targetPort: number;
  readonly protocol: Protocol;
  /** Resolved: port → service → mesh default. */
  readonly mtls: MtlsMode;
  readonly span: Span;
  readonly fieldSpans: FieldSpans;
}

export interface WorkloadIR {
  readonly image?: string;
  readonly replicas: number;
  /** Sorted by name. */
  readonly env: readonly { readonly name: string; readonly value: string }[];
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly resources?: {
    readonly requests?: { readonly cpu?: string; readonly memory?: string };
    readonly limits?: { readonly cpu?: string; readonly memory?: string };
  };
}

export interface VersionIR {
  readonly name: string;
  /** The full pod selector of this version: `app: <service>` plus the version's labels. Sorted keys. */
  readonly selector: Readonly<Record<string, string>>;
  /** The version's workload (service workload merged with the version's), if the mesh declares one. */
  readonly workload?: WorkloadIR;
  readonly span: Span;
  readonly fieldSpans: FieldSpans;
}

export interface RetryBudgetIR {
  readonly percent: number;
  readonly minRetriesPerSecond: number;
}

export interface RetryIR {
  readonly attempts: number;
  readonly perTryTimeoutMs?: number;
  /** Defaulted by protocol when not declared. Sorted. */
  readonly on: readonly RetryOn[];
  readonly budget?: RetryBudgetIR;
  readonly span: Span;
  readonly fieldSpans: FieldSpans;
}

export interface CircuitBreakerIR {
  readonly maxConnections?: number;
  readonly maxPendingRequests?: number;
  readonly maxRequests?: number;
  readonly maxRetries?: number;
  readonly span: Span;
}

export interface OutlierDetectionIR {
  readonly consecutiveErrors: number;
  readonly intervalMs: number;
  readonly baseEjectionTimeMs: number;
  readonly maxEjectionPercent: number;
  readonly span: Span;
  readonly fieldSpans: FieldSpans;
}

export interface ConnectionPoolIR {
  readonly connectTimeoutMs?: number;
  readonly idleTimeoutMs?: number;
  readonly maxRequestsPerConnection?: number;
  readonly span: Span;
  readonly fieldSpans: FieldSpans;
}

export type LoadBalancerIR =
  | { readonly kind: "round-robin" | "least-request" | "random" }
  | { readonly kind: "consistent-hash"; readonly header: string };

/** Destination-side policy, resolved over the mesh defaults. */
export interface TrafficPolicyIR {
  readonly timeoutMs?: number;
  readonly timeoutSpan?: Span;
  readonly retries?: RetryIR;
  readonly circuitBreaker?: CircuitBreakerIR;
  readonly outlierDetection?: OutlierDetectionIR;
  readonly connectionPool?: ConnectionPoolIR;
  /** `round-robin` unless declared; `declared` says whether the mesh asked for it. */
  readonly loadBalancer: LoadBalancerIR & { readonly declared: boolean };
}

export interface RateLimitIR {
  readonly requests: number;
  readonly per: "second" | "minute" | "hour";
  /** Window length in milliseconds (derived from `per`). */
  readonly windowMs: number;
  readonly burst: number;
  readonly span: Span;
}

export interface ServiceIR {
  /** `"<namespace>/<name>"` */
  readonly id: ServiceId;
  /** The key the service is declared under: what handles and route keys use. */
  readonly key: string;
  /** Kubernetes Service name. */
  readonly name: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly identity: Identity;
  /** Extra labels declared on the service. Sorted keys. */
  readonly labels: Readonly<Record<string, string>>;
  /** The Service's pod selector: `{ app: <name> }`. */
  readonly selector: Readonly<Record<string, string>>;
  /** Sorted by name. */
  readonly ports: readonly PortIR[];
  /** Sorted by name. Empty when the service declares no versions. */
  readonly versions: readonly VersionIR[];
  /** The workload when the service declares one and has no versions. */
  readonly workload?: WorkloadIR;
  readonly mtls: MtlsMode;
  readonly traffic: TrafficPolicyIR;
  readonly rateLimit?: RateLimitIR;
  readonly span: Span;
  readonly fieldSpans: FieldSpans;
}

export interface ExternalPortIR {
  readonly name: string;
  readonly port: number;
  readonly protocol: ExternalProtocol;
  readonly span: Span;
}

export interface ExternalIR {
  /** The key it is declared under. */
  readonly id: ExternalId;
  readonly host: string;
  /** Sorted by name. */
  readonly ports: readonly ExternalPortIR[];
  readonly traffic: TrafficPolicyIR;
  readonly span: Span;
  readonly fieldSpans: FieldSpans;
}

/** An exact path or a prefix (`"/static/*"` in the DSL is the prefix `"/static/"`). */
export type PathMatchIR = { readonly kind: "exact"; readonly value: string } | { readonly kind: "prefix"; readonly value: string };

/** `package.Service/Method`; `method` undefined means every method of the service. */
export interface GrpcMethodIR {
  readonly service: string;
  readonly method?: string;
}

export type CallerIR = { readonly kind: "service"; readonly service: ServiceId } | { readonly kind: "any" };

export type CallTargetIR =
  | { readonly kind: "service"; readonly service: ServiceId; readonly port: string }
  | { readonly kind: "external"; readonly external: ExternalId; readonly port: string };

/** One allowed edge: a caller, a port, the requests allowed on it, and the caller-side policy. */
export interface CallIR {
  /** `"<caller>-><target>:<port>"`, suffixed `#n` when several rules share an edge. Unique, sorted. */
  readonly id: string;
  readonly from: CallerIR;
  readonly to: CallTargetIR;
  /** The target port's protocol (undefined when the target does not resolve). */
  readonly protocol?: Protocol | ExternalProtocol;
  /** Undefined: every method. Sorted. */
  readonly methods?: readonly HttpMethod[];
  /** Undefined: every path. Sorted. */
  readonly paths?: readonly PathMatchIR[];
  /** Undefined: every gRPC method. Sorted. */
  readonly grpcMethods?: readonly GrpcMethodIR[];
  /** Resolved: call → callee `traffic.timeout` → mesh default. */
  readonly timeoutMs?: number;
  readonly timeoutSpan?: Span;
  /** Resolved like the timeout. */
  readonly retries?: RetryIR;
  readonly span: Span;
  readonly fieldSpans: FieldSpans;
}

export type StringMatchIR =
  | { readonly kind: "exact"; readonly value: string }
  | { readonly kind: "prefix"; readonly value: string }
  | { readonly kind: "regex"; readonly value: string };

export interface HeaderMatchIR {
  /** Lower-cased header name. */
  readonly name: string;
  readonly match: StringMatchIR;
}

export interface RouteMatchIR {
  /** Sorted by name. */
  readonly headers: readonly HeaderMatchIR[];
  readonly paths?: readonly PathMatchIR[];
  readonly methods?: readonly HttpMethod[];
}

export interface WeightedVersionIR {
  readonly version: string;
  readonly weight: number;
  readonly span: Span;
}

export interface FaultIR {
  readonly delay?: { readonly fixedMs: number; readonly percent: number };
  readonly abort?: { readonly httpStatus: number; readonly percent: number } | { readonly grpcStatus: string; readonly percent: number };
  readonly span: Span;
}

export interface MirrorIR {
  /** The mirror's destination: a version of the route's own service, or another service's port. */
  readonly to:
    | { readonly kind: "version"; readonly version: string }
    | { readonly kind: "service"; readonly service: ServiceId; readonly port: string };
  readonly percent: number;
  readonly span: Span;
}

export interface RouteRuleIR {
  /** Undefined for the catch-all. */
  readonly match?: RouteMatchIR;
  /** Empty: every version (the Service's own load balancing). */
  readonly destinations: readonly WeightedVersionIR[];
  readonly timeoutMs?: number;
  readonly retries?: RetryIR;
  readonly fault?: FaultIR;
  readonly mirror?: MirrorIR;
  readonly span: Span;
  readonly fieldSpans: FieldSpans;
}

/** The routing of one service port. Rules keep their declared order. */
export interface RouteIR {
  /** `"<service>:<port>"` */
  readonly id: string;
  readonly service: ServiceId;
  readonly port: string;
  readonly rules: readonly RouteRuleIR[];
  readonly span: Span;
}

export interface IngressRouteIR {
  readonly paths?: readonly PathMatchIR[];
  readonly methods?: readonly HttpMethod[];
  readonly to: { readonly service: ServiceId; readonly port: string };
  readonly timeoutMs?: number;
  /** Where the timeout was declared: the route, or the destination's traffic policy. */
  readonly timeoutSpan?: Span;
  readonly retries?: RetryIR;
  readonly span: Span;
  readonly fieldSpans: FieldSpans;
}

export interface IngressIR {
  readonly name: string;
  /** The port the gateway's Service exposes. */
  readonly port: number;
  /** The gateway pods' container port behind `port`. */
  readonly targetPort: number;
  readonly protocol: "http" | "https";
  /** Sorted. */
  readonly hosts: readonly string[];
  readonly tls?: { readonly secretName: string };
  /** The gateway workload: its identity and pod labels (selector). */
  readonly gateway: {
    readonly namespace: string;
    readonly serviceAccount: string;
    readonly identity: Identity;
    readonly selector: Readonly<Record<string, string>>;
  };
  /** Declared order (first match wins). */
  readonly routes: readonly IngressRouteIR[];
  readonly span: Span;
  readonly fieldSpans: FieldSpans;
}

export interface CertificatesIR {
  readonly keyAlgorithm: "ecdsa-p256" | "rsa-2048";
  /** Who issues workload certificates. */
  readonly issuer: "meshc" | "cert-manager";
  readonly rootLifetimeMs: number;
  readonly intermediateLifetimeMs: number;
  readonly leafLifetimeMs: number;
  readonly span: Span;
}

export interface MeshIR {
  readonly name: string;
  readonly trustDomain: string;
  /** The cluster's DNS domain: a service's host is `<name>.<namespace>.svc.<clusterDomain>`. */
  readonly clusterDomain: string;
  /** The default namespace. */
  readonly namespace: string;
  /**
   * The namespaces the mesh owns: its default namespace and every service's. A namespace that only
   * hosts a gateway (e.g. `istio-system`) is shared with others and not listed. Sorted.
   */
  readonly namespaces: readonly string[];
  readonly mtls: MtlsMode;
  readonly egress: "registry-only" | "allow-any";
  readonly certificates: CertificatesIR;
  /** Sorted by id. */
  readonly services: readonly ServiceIR[];
  /** Sorted by id. */
  readonly external: readonly ExternalIR[];
  /** Sorted by spiffeId. */
  readonly identities: readonly IdentityIR[];
  /** Sorted by id. */
  readonly calls: readonly CallIR[];
  /** Sorted by id. */
  readonly routes: readonly RouteIR[];
  /** Sorted by name. */
  readonly ingresses: readonly IngressIR[];
  readonly span: Span;
  readonly fieldSpans: FieldSpans;
}

/** Compares strings by UTF-16 code units: the same order on every machine and locale. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Looks services up by id (built once per mesh by callers that need it). */
export function indexServices(ir: MeshIR): ReadonlyMap<ServiceId, ServiceIR> {
  return new Map(ir.services.map((s) => [s.id, s]));
}

/** Throws on an impossible value; used in exhaustive switches so a new IR kind breaks the build. */
export function assertNever(value: never, what = "value"): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
