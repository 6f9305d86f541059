/**
 * What the Linkerd generators share during one run: lookups, the object shape, and the sink that
 * turns "Linkerd cannot say this" into one MESH200 per feature and place.
 */
import type { KubeObject } from "../../compiler/artifact.js";
import type { Diagnostic } from "../../compiler/diagnostics.js";
import { compareIds, indexServices, type CallIR, type IngressIR, type IngressRouteIR, type MeshIR, type RouteIR, type ServiceId, type ServiceIR, type Span } from "../../compiler/ir.js";
import { managedLabels } from "../conventions.js";
import { unsupported } from "../target.js";
import { TARGET } from "./names.js";

export type { KubeObject };

export interface Context {
  readonly ir: MeshIR;
  readonly services: ReadonlyMap<ServiceId, ServiceIR>;
  /** Reports a feature Linkerd cannot express, once per feature, place and detail. */
  readonly unsupported: (feature: string, detail: string, span: Span | undefined) => void;
  readonly diagnostics: () => Diagnostic[];
}

export function createContext(ir: MeshIR): Context {
  const diagnostics: Diagnostic[] = [];
  const seen = new Set<string>();
  return {
    ir,
    services: indexServices(ir),
    unsupported(feature, detail, span) {
      const key = `${feature}|${detail}|${span ? `${span.file}:${span.line}:${span.column}` : ""}`;
      if (seen.has(key)) return;
      seen.add(key);
      diagnostics.push(unsupported(TARGET, feature, detail, span));
    },
    diagnostics: () => diagnostics,
  };
}

/** Metadata of a namespaced object meshc generates: the managed-by labels, sorted annotations. */
export function meta(ctx: Context, name: string, namespace: string, annotations?: Readonly<Record<string, string>>): KubeObject["metadata"] {
  const sorted = annotations && Object.keys(annotations).length > 0 ? sortKeys(annotations) : undefined;
  return { name, namespace, labels: sortKeys(managedLabels(ctx.ir)), ...(sorted ? { annotations: sorted } : {}) };
}

export function sortKeys<T>(record: Readonly<Record<string, T>>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => compareIds(a, b)));
}

/** `"a", "b" and "c"`: names in a diagnostic. */
export function listNames(names: readonly string[]): string {
  const quoted = names.map((n) => `"${n}"`);
  return quoted.length <= 1 ? (quoted[0] ?? "") : `${quoted.slice(0, -1).join(", ")} and ${quoted[quoted.length - 1]}`;
}

/**
 * Calls, routes, ingress routes and services indexed by what they point at, built once per mesh:
 * each Server and port reads its own edges instead of scanning the whole mesh (which made the
 * target quadratic in the number of services). Every list keeps the IR's order.
 */
interface MeshIndex {
  readonly callsToPort: ReadonlyMap<string, readonly CallIR[]>;
  readonly callPosition: ReadonlyMap<CallIR, number>;
  readonly ingressToService: ReadonlyMap<ServiceId, readonly { readonly ingress: IngressIR; readonly route: IngressRouteIR }[]>;
  readonly routeOfPort: ReadonlyMap<string, RouteIR>;
  readonly servicesIn: ReadonlyMap<string, readonly ServiceIR[]>;
}

const indexes = new WeakMap<MeshIR, MeshIndex>();

function meshIndex(ir: MeshIR): MeshIndex {
  const cached = indexes.get(ir);
  if (cached) return cached;
  const add = <K, V>(map: Map<K, V[]>, key: K, value: V) => {
    const list = map.get(key);
    if (list) list.push(value);
    else map.set(key, [value]);
  };
  const callsToPort = new Map<string, CallIR[]>();
  const callPosition = new Map<CallIR, number>();
  ir.calls.forEach((call, i) => {
    callPosition.set(call, i);
    if (call.to.kind === "service") add(callsToPort, `${call.to.service}\0${call.to.port}`, call);
  });
  const ingressToService = new Map<ServiceId, { ingress: IngressIR; route: IngressRouteIR }[]>();
  for (const ingress of ir.ingresses) for (const route of ingress.routes) add(ingressToService, route.to.service, { ingress, route });
  const routeOfPort = new Map<string, RouteIR>();
  // The first route of a port, as a search of the list would find it.
  for (const route of ir.routes) if (!routeOfPort.has(`${route.service}\0${route.port}`)) routeOfPort.set(`${route.service}\0${route.port}`, route);
  const servicesIn = new Map<string, ServiceIR[]>();
  for (const s of ir.services) add(servicesIn, s.namespace, s);
  const index = { callsToPort, callPosition, ingressToService, routeOfPort, servicesIn };
  indexes.set(ir, index);
  return index;
}

/** The calls into some ports of a service, in call order. */
export function callsInto(ctx: Context, service: ServiceId, ports: Iterable<string>): CallIR[] {
  const index = meshIndex(ctx.ir);
  const lists: (readonly CallIR[])[] = [];
  for (const port of new Set(ports)) {
    const list = index.callsToPort.get(`${service}\0${port}`);
    if (list) lists.push(list);
  }
  if (lists.length <= 1) return [...(lists[0] ?? [])];
  return lists.flat().sort((a, b) => index.callPosition.get(a)! - index.callPosition.get(b)!);
}

/** The ingress routes into any port of a service, in ingress then route order. */
export function ingressRoutesInto(ctx: Context, service: ServiceId): readonly { readonly ingress: IngressIR; readonly route: IngressRouteIR }[] {
  return meshIndex(ctx.ir).ingressToService.get(service) ?? [];
}

/** The route of a service port, if the mesh declares one. */
export function routeOfPort(ctx: Context, service: ServiceId, port: string): RouteIR | undefined {
  return meshIndex(ctx.ir).routeOfPort.get(`${service}\0${port}`);
}

/** The services of a namespace, in the IR's order. */
export function servicesIn(ctx: Context, namespace: string): readonly ServiceIR[] {
  return meshIndex(ctx.ir).servicesIn.get(namespace) ?? [];
}
