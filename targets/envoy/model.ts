/**
 * Who may call what, indexed once per mesh so each workload's config is built from its own
 * edges only: a service's config reads the calls into its ports and out of itself, never the
 * whole call list (that is what keeps a config's size independent of the mesh's).
 */
import type { Diagnostic } from "../../compiler/diagnostics.js";
import {
  assertNever,
  compareIds,
  type CallIR,
  type ExternalIR,
  type ExternalPortIR,
  type GrpcMethodIR,
  type HttpMethod,
  type IngressIR,
  type IngressRouteIR,
  type MeshIR,
  type PathMatchIR,
  type PortIR,
  type RetryIR,
  type RouteIR,
  type ServiceId,
  type ServiceIR,
  type Span,
} from "../../compiler/ir.js";
import { unsupported } from "../target.js";
import { TARGET } from "./naming.js";

/** Request conditions of a call or an ingress route; undefined fields match everything. */
export interface Constraints {
  readonly methods?: readonly HttpMethod[];
  readonly paths?: readonly PathMatchIR[];
  readonly grpcMethods?: readonly GrpcMethodIR[];
}

/** Caller-side request policy: per call, per ingress route. */
export interface RequestPolicy {
  readonly timeoutMs?: number;
  readonly retries?: RetryIR;
}

/** A workload that opens connections: a service's pods, an ingress gateway, or any workload of the mesh. */
export type Peer = { readonly kind: "service"; readonly service: ServiceIR } | { readonly kind: "gateway"; readonly ingress: IngressIR } | { readonly kind: "any" };

/** Who is admitted on an inbound port, by which RBAC policy. */
export interface Admission {
  /** The RBAC policy name: `call:<call id>` or `ingress:<name>#<route index>`. */
  readonly name: string;
  readonly peer: Peer;
  readonly constraints: Constraints;
  readonly span: Span;
}

/** The SPIFFE id a peer's certificate carries (undefined: any identity of the trust domain). */
export function peerSpiffeId(peer: Peer): string | undefined {
  switch (peer.kind) {
    case "service":
      return peer.service.identity.spiffeId;
    case "gateway":
      return peer.ingress.gateway.identity.spiffeId;
    case "any":
      return undefined;
    default:
      return assertNever(peer, "peer");
  }
}

export interface MeshIndex {
  readonly ir: MeshIR;
  readonly services: ReadonlyMap<ServiceId, ServiceIR>;
  readonly externals: ReadonlyMap<string, ExternalIR>;
  /** By `<service id>:<port>`. */
  readonly routes: ReadonlyMap<string, RouteIR>;
  /** Calls into a service port, by `<service id>:<port>`. */
  readonly callsInto: ReadonlyMap<string, readonly CallIR[]>;
  /** Calls whose caller is the service, by service id. */
  readonly callsFrom: ReadonlyMap<ServiceId, readonly CallIR[]>;
  /** Calls any workload of the mesh may make. */
  readonly anyCalls: readonly CallIR[];
  /** Route rules that mirror into a service port, by `<service id>:<port>`. */
  readonly mirrorsInto: ReadonlyMap<string, readonly { readonly route: RouteIR; readonly rule: number; readonly span: Span }[]>;
  /** Ingress routes into a service port, by `<service id>:<port>`. */
  readonly ingressInto: ReadonlyMap<string, readonly { readonly ingress: IngressIR; readonly route: IngressRouteIR; readonly index: number }[]>;
}

export const portKey = (service: ServiceId, port: string) => `${service}:${port}`;

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export function indexMesh(ir: MeshIR): MeshIndex {
  const callsInto = new Map<string, CallIR[]>();
  const callsFrom = new Map<ServiceId, CallIR[]>();
  const anyCalls: CallIR[] = [];
  for (const call of ir.calls) {
    const to = call.to;
    switch (to.kind) {
      case "service":
        push(callsInto, portKey(to.service, to.port), call);
        break;
      case "external":
        break;
      default:
        assertNever(to, "call target");
    }
    const from = call.from;
    switch (from.kind) {
      case "service":
        push(callsFrom, from.service, call);
        break;
      case "any":
        anyCalls.push(call);
        break;
      default:
        assertNever(from, "caller");
    }
  }
  const ingressInto = new Map<string, { ingress: IngressIR; route: IngressRouteIR; index: number }[]>();
  for (const ingress of ir.ingresses) {
    ingress.routes.forEach((route, index) => push(ingressInto, portKey(route.to.service, route.to.port), { ingress, route, index }));
  }
  const mirrorsInto = new Map<string, { route: RouteIR; rule: number; span: Span }[]>();
  for (const route of ir.routes) {
    route.rules.forEach((rule, i) => {
      const to = rule.mirror?.to;
      if (rule.mirror && to?.kind === "service" && rule.mirror.percent > 0) push(mirrorsInto, portKey(to.service, to.port), { route, rule: i, span: rule.mirror.span });
    });
  }
  return {
    ir,
    mirrorsInto,
    services: new Map(ir.services.map((s) => [s.id, s])),
    externals: new Map(ir.external.map((x) => [x.id, x])),
    routes: new Map(ir.routes.map((r) => [portKey(r.service, r.port), r])),
    callsInto,
    callsFrom,
    anyCalls,
    ingressInto,
  };
}

export function callConstraints(call: CallIR): Constraints {
  return {
    ...(call.methods ? { methods: call.methods } : {}),
    ...(call.paths ? { paths: call.paths } : {}),
    ...(call.grpcMethods ? { grpcMethods: call.grpcMethods } : {}),
  };
}

export function hasConstraints(c: Constraints): boolean {
  return c.methods !== undefined || c.paths !== undefined || c.grpcMethods !== undefined;
}

/** The grants declared on a port itself: its calls, then the ingress routes into it. */
function directAdmissions(index: MeshIndex, key: string): Admission[] {
  const out: Admission[] = [];
  for (const call of index.callsInto.get(key) ?? []) {
    const from = call.from;
    let peer: Peer;
    switch (from.kind) {
      case "service": {
        const caller = index.services.get(from.service);
        if (!caller) continue;
        peer = { kind: "service", service: caller };
        break;
      }
      case "any":
        peer = { kind: "any" };
        break;
      default:
        return assertNever(from, "caller");
    }
    out.push({ name: `call:${call.id}`, peer, constraints: callConstraints(call), span: call.span });
  }
  for (const { ingress, route, index: i } of index.ingressInto.get(key) ?? []) {
    out.push({
      name: `ingress:${ingress.name}#${i}`,
      peer: { kind: "gateway", ingress },
      constraints: { ...(route.methods ? { methods: route.methods } : {}), ...(route.paths ? { paths: route.paths } : {}) },
      span: route.span,
    });
  }
  return out;
}

/**
 * Every RBAC admission of one service port: its own grants, and the grants of every port whose
 * route mirrors into it, since the callers' sidecars send the copies with their own identity
 * (what those callers may send to the mirrored port, whatever the mirroring rule matches).
 */
export function admissions(index: MeshIndex, service: ServiceIR, port: PortIR): Admission[] {
  const key = portKey(service.id, port.name);
  const out = directAdmissions(index, key);
  for (const { route, rule, span } of index.mirrorsInto.get(key) ?? []) {
    for (const a of directAdmissions(index, portKey(route.service, route.port))) {
      out.push({ ...a, name: `mirror:${route.id}#${rule}/${a.name}`, span });
    }
  }
  return out;
}

/** One upstream of a workload: a callee port and the calls that reach it. */
export type UpstreamTarget =
  | { readonly kind: "service"; readonly service: ServiceIR; readonly port: PortIR }
  | { readonly kind: "external"; readonly external: ExternalIR; readonly port: ExternalPortIR };
export type Upstream = UpstreamTarget & { readonly calls: readonly CallIR[] };

/**
 * The upstreams of a service: what it calls, plus what every workload may call (`from: any`).
 * Sorted by callee, so the config does not depend on declaration order.
 */
export function upstreamsOf(index: MeshIndex, service: ServiceIR): Upstream[] {
  const groups = new Map<string, { upstream: UpstreamTarget; calls: CallIR[] }>();
  for (const call of [...(index.callsFrom.get(service.id) ?? []), ...index.anyCalls]) {
    const to = call.to;
    let key: string;
    let upstream: UpstreamTarget | undefined;
    switch (to.kind) {
      case "service": {
        const callee = index.services.get(to.service);
        const port = callee?.ports.find((p) => p.name === to.port);
        key = `service:${to.service}:${to.port}`;
        upstream = callee && port ? { kind: "service", service: callee, port } : undefined;
        break;
      }
      case "external": {
        const external = index.externals.get(to.external);
        const port = external?.ports.find((p) => p.name === to.port);
        key = `external:${to.external}:${to.port}`;
        upstream = external && port ? { kind: "external", external, port } : undefined;
        break;
      }
      default:
        return assertNever(to, "call target");
    }
    if (!upstream) continue;
    const group = groups.get(key);
    if (group) group.calls.push(call);
    else groups.set(key, { upstream, calls: [call] });
  }
  return [...groups.entries()]
    .sort(([a], [b]) => compareIds(a, b))
    .map(([, g]): Upstream => ({ ...g.upstream, calls: g.calls.sort((a, b) => compareIds(a.id, b.id)) }));
}

/** Collects MESH200 diagnostics, once per feature, detail and place. */
export class Reporter {
  private readonly seen = new Set<string>();
  readonly diagnostics: Diagnostic[] = [];

  unsupported(feature: string, detail: string, span: Span | undefined): void {
    const key = JSON.stringify([feature, detail, span]);
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.diagnostics.push(unsupported(TARGET, feature, detail, span));
  }
}

export function sameRetries(a: RetryIR | undefined, b: RetryIR | undefined): boolean {
  if (!a || !b) return a === b;
  return (
    a.attempts === b.attempts &&
    a.perTryTimeoutMs === b.perTryTimeoutMs &&
    a.on.join() === b.on.join() &&
    a.budget?.percent === b.budget?.percent &&
    a.budget?.minRetriesPerSecond === b.budget?.minRetriesPerSecond
  );
}
