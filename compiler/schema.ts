/**
 * The zod schema of what a mesh program declares: the DSL's types again, as runtime validation,
 * strictly (unknown keys are errors). It catches what the type checker cannot: a mesh built with
 * `any`, JSON, or loops. Numeric ranges are left to the checks, which know the context.
 */
import { z } from "zod";
import { didYouMean } from "./diagnostics.js";

const durationPattern = /^-?\d+(?:\.\d+)?(?:ms|s|m|h)$/;
const longDurationPattern = /^-?\d+(?:\.\d+)?(?:ms|s|m|h|d)$/;

const duration = z.string().refine((s) => durationPattern.test(s), { params: { meshc: "duration" } });
const longDuration = z.string().refine((s) => longDurationPattern.test(s), { params: { meshc: "duration" } });
const int = z.number().int();
const num = z.number();
const labels = z.record(z.string(), z.string());

const mtls = z.enum(["strict", "permissive", "disabled"]);
const retryOn = z.enum([
  "5xx",
  "gateway-error",
  "reset",
  "connect-failure",
  "retriable-4xx",
  "refused-stream",
  "cancelled",
  "deadline-exceeded",
  "internal",
  "resource-exhausted",
  "unavailable",
]);
const httpMethod = z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"]);
const pathPattern = z.string().refine((s) => /^\/[^*]*\*?$/.test(s), { params: { meshc: "path" } });
const grpcMethod = z.string().refine((s) => /^[A-Za-z_][\w.]*\/(\*|[A-Za-z_]\w*)$/.test(s), { params: { meshc: "grpc-method" } });
const grpcStatus = z.enum([
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
]);

export const retryPolicySchema = z.strictObject({
  attempts: int,
  perTryTimeout: duration.optional(),
  on: z.array(retryOn).optional(),
  budget: z.strictObject({ percent: num.optional(), minRetriesPerSecond: int.optional() }).optional(),
});

export const trafficPolicySchema = z.strictObject({
  timeout: duration.optional(),
  retries: retryPolicySchema.optional(),
  circuitBreaker: z
    .strictObject({ maxConnections: int.optional(), maxPendingRequests: int.optional(), maxRequests: int.optional(), maxRetries: int.optional() })
    .optional(),
  outlierDetection: z
    .strictObject({ consecutiveErrors: int.optional(), interval: duration.optional(), baseEjectionTime: duration.optional(), maxEjectionPercent: num.optional() })
    .optional(),
  connectionPool: z
    .strictObject({ connectTimeout: duration.optional(), idleTimeout: duration.optional(), maxRequestsPerConnection: int.optional() })
    .optional(),
  loadBalancer: z
    .union([z.enum(["round-robin", "least-request", "random"]), z.strictObject({ consistentHash: z.strictObject({ header: z.string().min(1) }) })])
    .optional(),
});

const workload = z.strictObject({
  image: z.string().min(1).optional(),
  replicas: int.optional(),
  env: z.record(z.string(), z.string()).optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  resources: z
    .strictObject({
      requests: z.strictObject({ cpu: z.string().optional(), memory: z.string().optional() }).optional(),
      limits: z.strictObject({ cpu: z.string().optional(), memory: z.string().optional() }).optional(),
    })
    .optional(),
});

export const serviceSchema = z.strictObject({
  name: z.string().optional(),
  namespace: z.string().optional(),
  serviceAccount: z.string().optional(),
  ports: z.record(
    z.string(),
    z.strictObject({
      port: int,
      protocol: z.enum(["http", "http2", "grpc", "tcp"]).optional(),
      targetPort: int.optional(),
      mtls: mtls.optional(),
    }),
  ),
  versions: z.record(z.string(), z.strictObject({ labels: labels.optional(), workload: workload.optional() })).optional(),
  workload: workload.optional(),
  labels: labels.optional(),
  mtls: mtls.optional(),
  traffic: trafficPolicySchema.optional(),
  rateLimit: z.strictObject({ requests: int, per: z.enum(["second", "minute", "hour"]).optional(), burst: int.optional() }).optional(),
});

export const externalSchema = z.strictObject({
  host: z.string().min(1),
  ports: z.record(z.string(), z.strictObject({ port: int, protocol: z.enum(["http", "https", "tls", "grpc", "tcp"]).optional() })).optional(),
  traffic: trafficPolicySchema.optional(),
});

export const meshSpecSchema = z.strictObject({
  name: z.string(),
  namespace: z.string().optional(),
  trustDomain: z.string().min(1).optional(),
  clusterDomain: z
    .string()
    .regex(/^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/, {
      message: 'must be a lower-case DNS domain such as "cluster.local"',
    })
    .optional(),
  defaults: z
    .strictObject({ mtls: mtls.optional(), egress: z.enum(["registry-only", "allow-any"]).optional(), traffic: trafficPolicySchema.optional() })
    .optional(),
  certificates: z
    .strictObject({
      keyAlgorithm: z.enum(["ecdsa-p256", "rsa-2048"]).optional(),
      issuer: z.enum(["meshc", "cert-manager"]).optional(),
      rootLifetime: longDuration.optional(),
      intermediateLifetime: longDuration.optional(),
      leafLifetime: longDuration.optional(),
    })
    .optional(),
  services: z.record(z.string(), serviceSchema),
  external: z.record(z.string(), externalSchema).optional(),
});

const portHandle = z.strictObject({ kind: z.literal("port"), service: z.string(), port: z.string() }, { error: () => ({ message: "handle", params: { meshc: "port-handle" } }) });
const serviceHandle = z.strictObject({ kind: z.literal("service"), name: z.string(), ports: z.record(z.string(), z.unknown()) });
const anyHandle = z.strictObject({ kind: z.literal("any") });
const caller = z.union([serviceHandle, anyHandle, z.array(serviceHandle).min(1)], {
  error: () => ({ message: "handle", params: { meshc: "caller-handle" } }),
});

const stringMatch = z.union([z.strictObject({ exact: z.string() }), z.strictObject({ prefix: z.string() }), z.strictObject({ regex: z.string() })], {
  error: () => ({ message: "one of { exact }, { prefix } or { regex }", params: { meshc: "value" } }),
});

export const callSchema = z.strictObject({
  from: caller,
  to: portHandle,
  methods: z.array(httpMethod).optional(),
  paths: z.array(pathPattern).optional(),
  grpcMethods: z.array(grpcMethod).optional(),
  timeout: duration.optional(),
  retries: retryPolicySchema.optional(),
});

const fault = z.strictObject({
  delay: z.strictObject({ fixed: duration, percent: num }).optional(),
  abort: z
    .union([z.strictObject({ httpStatus: int, percent: num }), z.strictObject({ grpcStatus: grpcStatus, percent: num })], {
      error: () => ({ message: "{ httpStatus, percent } or { grpcStatus, percent }", params: { meshc: "value" } }),
    })
    .optional(),
});

export const routeRuleSchema = z.strictObject({
  match: z
    .strictObject({
      headers: z.record(z.string(), stringMatch).optional(),
      paths: z.array(pathPattern).optional(),
      methods: z.array(httpMethod).optional(),
    })
    .optional(),
  to: z.union([z.string(), z.array(z.strictObject({ version: z.string(), weight: num }))], {
    error: () => ({ message: 'a version name or a list of { version, weight }', params: { meshc: "value" } }),
  }).optional(),
  timeout: duration.optional(),
  retries: retryPolicySchema.optional(),
  fault: fault.optional(),
  mirror: z
    .union([z.strictObject({ version: z.string(), percent: num.optional() }), z.strictObject({ to: portHandle, percent: num.optional() })], {
      error: () => ({ message: "{ version, percent } or { to: <port handle>, percent }", params: { meshc: "value" } }),
    })
    .optional(),
});

export const ingressSchema = z.strictObject({
  name: z.string(),
  port: int.optional(),
  hosts: z.array(z.string().min(1)).optional(),
  tls: z.strictObject({ secretName: z.string().min(1) }).optional(),
  gateway: z
    .strictObject({ namespace: z.string().optional(), serviceAccount: z.string().optional(), labels: labels.optional(), targetPort: int.optional() })
    .optional(),
  routes: z.array(
    z.strictObject({
      paths: z.array(pathPattern).optional(),
      methods: z.array(httpMethod).optional(),
      to: portHandle,
      timeout: duration.optional(),
      retries: retryPolicySchema.optional(),
    }),
  ),
});

export const policySchema = z.strictObject({
  calls: z.array(callSchema).optional(),
  routes: z.record(z.string(), z.record(z.string(), z.array(routeRuleSchema))).optional(),
  ingress: z.array(ingressSchema).optional(),
});

export const rawMeshSchema = z.strictObject({
  spec: meshSpecSchema,
  policies: z.array(policySchema),
});

export type MeshSpecInput = z.infer<typeof meshSpecSchema>;
export type ServiceInput = z.infer<typeof serviceSchema>;
export type ExternalInput = z.infer<typeof externalSchema>;
export type TrafficPolicyInput = z.infer<typeof trafficPolicySchema>;
export type RetryPolicyInput = z.infer<typeof retryPolicySchema>;
export type CallInput = z.infer<typeof callSchema>;
export type RouteRuleInput = z.infer<typeof routeRuleSchema>;
export type IngressInput = z.infer<typeof ingressSchema>;
export type PolicyInput = z.infer<typeof policySchema>;
export type RawMeshInput = z.infer<typeof rawMeshSchema>;

/** The known keys at a path of the raw mesh, for did-you-mean on unknown fields. */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: unknown = schema;
  for (const step of path) {
    current = unwrap(current);
    const def = (current as { def?: { type?: string; shape?: Record<string, unknown>; element?: unknown; valueType?: unknown; options?: unknown[] } }).def;
    if (!def) return [];
    if (def.type === "object" && def.shape) current = def.shape[String(step)];
    else if (def.type === "array") current = def.element;
    else if (def.type === "record") current = def.valueType;
    else return [];
  }
  current = unwrap(current);
  const def = (current as { def?: { type?: string; shape?: Record<string, unknown>; options?: unknown[] } }).def;
  if (def?.type === "object" && def.shape) return Object.keys(def.shape);
  if (def?.type === "union" && def.options) {
    return def.options.flatMap((o) => {
      const d = (unwrap(o) as { def?: { type?: string; shape?: Record<string, unknown> } }).def;
      return d?.type === "object" && d.shape ? Object.keys(d.shape) : [];
    });
  }
  return [];
}

function unwrap(schema: unknown): unknown {
  let s = schema as { def?: { type?: string; innerType?: unknown; in?: unknown } } | undefined;
  while (s?.def && (s.def.type === "optional" || s.def.type === "nullable" || s.def.type === "default" || s.def.type === "pipe")) {
    s = (s.def.type === "pipe" ? s.def.in : s.def.innerType) as typeof s;
  }
  return s;
}

export { didYouMean };
