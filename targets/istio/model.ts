/**
 * What every Istio generator shares: the object shape, names, host names, durations, and the
 * context that collects diagnostics.
 */
import type { Diagnostic } from "../../compiler/diagnostics.js";
import {
  assertNever,
  compareIds,
  type CallIR,
  type ExternalIR,
  type ExternalProtocol,
  type IngressIR,
  type IngressRouteIR,
  type MeshIR,
  type MtlsMode,
  type Protocol,
  type RetryIR,
  type RetryOn,
  type RouteIR,
  type RouteRuleIR,
  type ServiceId,
  type ServiceIR,
  type Span,
} from "../../compiler/ir.js";
import { managedLabels } from "../conventions.js";
import { unsupported } from "../target.js";

export const TARGET = "istio";

/** A namespaced Kubernetes object as meshc writes it. */
export interface IstioObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace: string; readonly labels: Readonly<Record<string, string>> };
  readonly spec: Readonly<Record<string, unknown>>;
}

/** An ingress route and the ingress it belongs to. */
export interface IngressEntry {
  readonly ingress: IngressIR;
  readonly route: IngressRouteIR;
}

/**
 * The mesh's edges indexed by what they point at, built once per run so that each generator
 * reads a service's own calls and routes instead of scanning the whole mesh per service (which
 * made the target quadratic in the number of services). Every list keeps the IR's order.
 */
export interface MeshIndex {
  /** Calls into one service port, by `<service id>:<port>`. */
  callsToPort(service: ServiceId, port: string): readonly CallIR[];
  /** Calls into any port of a service. */
  callsToService(service: ServiceId): readonly CallIR[];
  /** Calls into one external host port. */
  callsToExternalPort(external: string, port: string): readonly CallIR[];
  /** Calls into any port of an external host. */
  callsToExternal(external: string): readonly CallIR[];
  /** Calls a service makes itself (not its `anyService` ones). */
  callsFrom(service: ServiceId): readonly CallIR[];
  /** Calls every workload may make. */
  readonly anyCalls: readonly CallIR[];
  /** The routes of a service's ports. */
  routesOf(service: ServiceId): readonly RouteIR[];
  /** The routes with an id (`<service id>:<port>`): one, unless the mesh has errors. */
  routesWithId(id: string): readonly RouteIR[];
  /** Ingress routes into any port of a service. */
  ingressTo(service: ServiceId): readonly IngressEntry[];
  /** Ingress routes into one service port. */
  ingressToPort(service: ServiceId, port: string): readonly IngressEntry[];
  /** Route rules whose mirror (of some requests) targets a service, in route then rule order. */
  mirrorsInto(service: ServiceId): readonly { readonly route: RouteIR; readonly rule: RouteRuleIR }[];
  /** Services running as an identity, by SPIFFE id. */
  servicesWithIdentity(spiffeId: string): readonly ServiceIR[];
  /** A service's position in `ir.services`, to restore the IR's order after a lookup. */
  position(service: ServiceId): number;
}

function push<V>(map: Map<string, V[]>, key: string, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

const NONE: readonly never[] = [];

function indexMesh(ir: MeshIR): MeshIndex {
  const toPort = new Map<string, CallIR[]>();
  const toService = new Map<string, CallIR[]>();
  const toExternalPort = new Map<string, CallIR[]>();
  const toExternal = new Map<string, CallIR[]>();
  const from = new Map<string, CallIR[]>();
  const anyCalls: CallIR[] = [];
  for (const call of ir.calls) {
    const to = call.to;
    switch (to.kind) {
      case "service":
        push(toPort, `${to.service}\0${to.port}`, call);
        push(toService, to.service, call);
        break;
      case "external":
        push(toExternalPort, `${to.external}\0${to.port}`, call);
        push(toExternal, to.external, call);
        break;
      default:
        assertNever(to, "call target");
    }
    if (call.from.kind === "service") push(from, call.from.service, call);
    else anyCalls.push(call);
  }
  const routesOf = new Map<string, RouteIR[]>();
  const routeById = new Map<string, RouteIR[]>();
  const mirrors = new Map<string, { route: RouteIR; rule: RouteRuleIR }[]>();
  for (const route of ir.routes) {
    push(routesOf, route.service, route);
    push(routeById, route.id, route);
    for (const rule of route.rules) if (rule.mirror?.to.kind === "service") push(mirrors, rule.mirror.to.service, { route, rule });
  }
  const ingressTo = new Map<string, IngressEntry[]>();
  const ingressToPort = new Map<string, IngressEntry[]>();
  for (const ingress of ir.ingresses) {
    for (const route of ingress.routes) {
      push(ingressTo, route.to.service, { ingress, route });
      push(ingressToPort, `${route.to.service}\0${route.to.port}`, { ingress, route });
    }
  }
  const byIdentity = new Map<string, ServiceIR[]>();
  const positions = new Map<string, number>();
  ir.services.forEach((s, i) => {
    push(byIdentity, s.identity.spiffeId, s);
    if (!positions.has(s.id)) positions.set(s.id, i);
  });
  return {
    callsToPort: (service, port) => toPort.get(`${service}\0${port}`) ?? NONE,
    callsToService: (service) => toService.get(service) ?? NONE,
    callsToExternalPort: (external, port) => toExternalPort.get(`${external}\0${port}`) ?? NONE,
    callsToExternal: (external) => toExternal.get(external) ?? NONE,
    callsFrom: (service) => from.get(service) ?? NONE,
    anyCalls,
    routesOf: (service) => routesOf.get(service) ?? NONE,
    routesWithId: (id) => routeById.get(id) ?? NONE,
    ingressTo: (service) => ingressTo.get(service) ?? NONE,
    ingressToPort: (service, port) => ingressToPort.get(`${service}\0${port}`) ?? NONE,
    mirrorsInto: (service) => mirrors.get(service) ?? NONE,
    servicesWithIdentity: (spiffeId) => byIdentity.get(spiffeId) ?? NONE,
    position: (service) => positions.get(service) ?? -1,
  };
}

/** Lookups and the diagnostic sink shared by the generators of one run. */
export interface Context {
  readonly ir: MeshIR;
  readonly services: ReadonlyMap<ServiceId, ServiceIR>;
  readonly external: ReadonlyMap<string, ExternalIR>;
  readonly index: MeshIndex;
  /** Whether the mesh's services span several namespaces (then caller matches name the namespace too). */
  readonly multiNamespace: boolean;
  report(feature: string, detail: string, span: Span | undefined): void;
}

export function createContext(ir: MeshIR, diagnostics: Diagnostic[]): Context {
  const seen = new Set<string>();
  return {
    ir,
    services: new Map(ir.services.map((s) => [s.id, s])),
    external: new Map(ir.external.map((x) => [x.id, x])),
    index: indexMesh(ir),
    multiNamespace: new Set(ir.services.map((s) => s.namespace)).size > 1,
    report(feature, detail, span) {
      // One declaration can reach a generator several times (a call per caller, a rule per port).
      const key = `${feature}\0${detail}\0${span ? `${span.file}:${span.line}:${span.column}` : ""}`;
      if (seen.has(key)) return;
      seen.add(key);
      diagnostics.push(unsupported(TARGET, feature, detail, span));
    },
  };
}

export function object(ctx: Context, apiVersion: string, kind: string, name: string, namespace: string, spec: Record<string, unknown>): IstioObject {
  return { apiVersion, kind, metadata: { name, namespace, labels: managedLabels(ctx.ir) }, spec };
}

export const NETWORKING = "networking.istio.io/v1";
export const SECURITY = "security.istio.io/v1";
/** EnvoyFilter has no v1: v1alpha3 is its only (and storage) version. */
export const NETWORKING_ALPHA = "networking.istio.io/v1alpha3";

/** `<name>.<namespace>.svc.<cluster domain>`: the host Istio knows a Kubernetes Service by. */
export function fqdn(ctx: Pick<Context, "ir">, service: Pick<ServiceIR, "name" | "namespace">): string {
  return `${service.name}.${service.namespace}.svc.${ctx.ir.clusterDomain}`;
}

/** HTTP, HTTP/2 and gRPC ports carry requests; Istio routes and authorizes them at L7. */
export function isRequestProtocol(protocol: Protocol | ExternalProtocol | undefined): boolean {
  switch (protocol) {
    case "http":
    case "http2":
    case "grpc":
      return true;
    case "tcp":
    case "https":
    case "tls":
    case undefined:
      return false;
    default:
      return assertNever(protocol, "protocol");
  }
}

/** A duration as Istio writes it (`15s`, `500ms`, `1m`, `1h`); Go duration syntax, which the CRDs' CEL `duration()` parses. */
export function duration(ms: number): string {
  if (ms > 0 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms > 0 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

export function peerMode(mode: MtlsMode): "STRICT" | "PERMISSIVE" | "DISABLE" {
  switch (mode) {
    case "strict":
      return "STRICT";
    case "permissive":
      return "PERMISSIVE";
    case "disabled":
      return "DISABLE";
    default:
      return assertNever(mode, "mTLS mode");
  }
}

/**
 * IR retry conditions as Envoy names them. Istio's `retryOn` takes `x-envoy-retry-on` and
 * `x-envoy-retry-grpc-on` values in one list and sorts them out itself.
 */
const RETRY_ON: Readonly<Record<RetryOn, string>> = {
  "5xx": "5xx",
  "gateway-error": "gateway-error",
  reset: "reset",
  "connect-failure": "connect-failure",
  "retriable-4xx": "retriable-4xx",
  "refused-stream": "refused-stream",
  cancelled: "cancelled",
  "deadline-exceeded": "deadline-exceeded",
  internal: "internal",
  "resource-exhausted": "resource-exhausted",
  unavailable: "unavailable",
};

/** What a caller's proxy applies to one request: the resolved timeout and retries. */
export interface RequestPolicy {
  readonly timeoutMs?: number;
  readonly retries?: RetryIR;
}

export function policyKey(p: RequestPolicy): string {
  const r = p.retries;
  return JSON.stringify([p.timeoutMs ?? null, r ? [r.attempts, r.perTryTimeoutMs ?? null, r.on] : null]);
}

export function callPolicy(call: CallIR): RequestPolicy {
  return { ...(call.timeoutMs !== undefined ? { timeoutMs: call.timeoutMs } : {}), ...(call.retries ? { retries: call.retries } : {}) };
}

/**
 * Istio's `HTTPRetry`. No retries declared renders as `attempts: 0`: without a retry policy Istio
 * retries twice on connect-failure, refused-stream, unavailable, cancelled and 503, which is not
 * what the mesh said (and retries non-idempotent requests that got a 503).
 */
export function renderRetries(r: RetryIR | undefined): Record<string, unknown> {
  if (!r || r.attempts === 0) return { attempts: 0 };
  return {
    attempts: r.attempts,
    ...(r.perTryTimeoutMs !== undefined ? { perTryTimeout: duration(r.perTryTimeoutMs) } : {}),
    ...(r.on.length > 0 ? { retryOn: r.on.map((o) => RETRY_ON[o]).join(",") } : {}),
  };
}

/** Whether `inner` lies within `outer` (same file). */
export function spanWithin(inner: Span | undefined, outer: Span | undefined): boolean {
  if (!inner || !outer || inner.file !== outer.file) return false;
  const starts = inner.line > outer.line || (inner.line === outer.line && inner.column >= outer.column);
  const ends = inner.endLine < outer.endLine || (inner.endLine === outer.endLine && inner.endColumn <= outer.endColumn);
  return starts && ends;
}

/**
 * Whether a resolved timeout or retry policy was written for this call or its callee rather than
 * inherited from the mesh-wide `defaults`. Defaults are written for request traffic; they say
 * nothing about an opaque TCP or TLS port, so only a policy written for one is worth a MESH200.
 */
export function declaredOutsideDefaults(ir: MeshIR, span: Span | undefined): boolean {
  return span !== undefined && !spanWithin(span, ir.fieldSpans.defaults);
}

export function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort(compareIds);
}

/** Sidecar/ServiceEntry `exportTo` and egress host form: `.` for the object's own namespace. */
export function namespaceRef(from: string, to: string): string {
  return from === to ? "." : to;
}
