/**
 * meshc — the typed DSL users import in `mesh.ts`.
 *
 * Declarations are plain data: this module records them and does nothing else (no I/O, no
 * compilation). The compiler loads `mesh.ts`, checks it, and compiles it.
 */
export { defineMesh, policy, services, external, anyService, isMesh } from "./mesh.js";
export type { Mesh, MeshSpec, MeshDefaults, CertificateSpec } from "./mesh.js";
export type {
  ServiceSpec,
  PortSpec,
  Protocol,
  VersionSpec,
  WorkloadSpec,
  Quantities,
  EnvValue,
  ExternalSpec,
  ExternalPortSpec,
  ExternalProtocol,
} from "./service.js";
export type {
  MtlsMode,
  RetryOn,
  RetryPolicy,
  RetryBudget,
  CircuitBreaker,
  OutlierDetection,
  ConnectionPool,
  LoadBalancer,
  RateLimit,
  Fault,
  GrpcStatus,
  TrafficPolicy,
} from "./traffic.js";
export type {
  HttpMethod,
  PathPattern,
  GrpcMethod,
  ServiceHandle,
  PortHandle,
  AnyServiceHandle,
  ServiceHandleOf,
  ExternalHandleOf,
  Handles,
  CallSpec,
  StringMatch,
  RouteMatch,
  MirrorSpec,
  RouteRule,
  WeightedVersion,
  Routes,
  IngressRoute,
  IngressSpec,
  Policy,
  CallList,
  PolicyFn,
  PortsOf,
  VersionsOf,
  ServicesMap,
  ExternalMap,
} from "./policy.js";
export { parseDuration, formatDuration } from "./duration.js";
export type { Duration, LongDuration } from "./duration.js";
