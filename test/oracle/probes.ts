/**
 * The probe enumerator: for a mesh, the requests worth asking every target about. Every caller
 * (each service, each ingress gateway, one workload mesh.ts does not declare, one plaintext
 * client) × every port of every service × the requests that sit on the edges of what the mesh
 * declares on that port: each declared method plus one undeclared, each declared path plus
 * near misses (the prefix itself, an extension of it, the prefix without its trailing slash, an
 * exact path with a trailing slash) and an undeclared path, each declared gRPC method plus an
 * undeclared method of a declared gRPC service and an undeclared service; and, where route rules
 * match headers, requests that satisfy each rule's header conditions and ones that just miss.
 */
import { compareIds, type HttpMethod, type MeshIR, type PathMatchIR, type PortIR, type ServiceIR, type StringMatchIR } from "../../compiler/ir.js";
import type { Probe, ProbeCaller } from "./intent.js";

/** The service account of the undeclared workload that probes every port. */
export const UNKNOWN_SERVICE_ACCOUNT = "meshc-probe-unknown";
export const UNDECLARED_PATH = "/meshc-probe-undeclared";
export const UNDECLARED_GRPC_SERVICE = "meshc.probe.Undeclared";
const METHOD_ORDER: readonly HttpMethod[] = ["GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT"];

/** A SPIFFE id of the mesh's trust domain that no declared workload (or gateway) has. */
export function unknownIdentity(ir: MeshIR): string {
  const taken = new Set([...ir.identities.map((i) => i.spiffeId), ...ir.ingresses.map((i) => i.gateway.identity.spiffeId)]);
  let sa = UNKNOWN_SERVICE_ACCOUNT;
  for (let n = 2; taken.has(`spiffe://${ir.trustDomain}/ns/${ir.namespace}/sa/${sa}`); n++) sa = `${UNKNOWN_SERVICE_ACCOUNT}-${n}`;
  return `spiffe://${ir.trustDomain}/ns/${ir.namespace}/sa/${sa}`;
}

/** Every caller a probe is sent from. */
export function probeCallers(ir: MeshIR): ProbeCaller[] {
  return [
    ...ir.services.map((s): ProbeCaller => ({ kind: "service", service: s.id })),
    ...ir.ingresses.map((i): ProbeCaller => ({ kind: "ingress", ingress: i.name })),
    { kind: "identity", spiffeId: unknownIdentity(ir) },
    { kind: "plaintext" },
  ];
}

export interface EnumerateOptions {
  /** At most this many probes; a larger set is sampled (deterministically, by `seed`). Default 20,000. */
  readonly cap?: number;
  readonly seed?: number;
}

/** A request on one port, without its caller. */
type Request = Omit<Probe, "caller" | "callee" | "port" | "protocol">;

/** Every probe of a mesh, in a stable order (capped). */
export function enumerateProbes(ir: MeshIR, options: EnumerateOptions = {}): Probe[] {
  const callers = probeCallers(ir);
  const out: Probe[] = [];
  for (const service of ir.services) {
    for (const port of service.ports) {
      for (const request of requestsFor(ir, service, port)) {
        for (const caller of callers) out.push({ caller, callee: service.id, port: port.name, protocol: port.protocol, ...request });
      }
    }
  }
  return sample(out, options.cap ?? 20_000, options.seed ?? 0x9e3779b9);
}

/** The distinct requests worth sending to one port. */
export function requestsFor(ir: MeshIR, service: ServiceIR, port: PortIR): Request[] {
  if (port.protocol === "tcp") return [{}];
  const d = declaredOn(ir, service, port);
  const headerSets = headerVariants(d.headerMatches);
  const out: Request[] = [];
  if (port.protocol !== "grpc") {
    // Declared methods and one more; with none declared (every method allowed), two.
    const methods = [...d.methods].sort(compareIds);
    methods.push(...METHOD_ORDER.filter((m) => !d.methods.has(m)).slice(0, d.methods.size === 0 ? 2 : 1));
    const paths = pathVariants(d.paths);
    for (const headers of headerSets) for (const method of methods) for (const path of paths) out.push({ method, path, ...(headers ? { headers } : {}) });
  }
  if (port.protocol === "grpc" || port.protocol === "http2") {
    for (const headers of headerSets) for (const grpcMethod of grpcVariants(d.grpc)) out.push({ grpcMethod, ...(headers ? { headers } : {}) });
  }
  return out;
}

interface Declared {
  readonly methods: Set<HttpMethod>;
  readonly paths: PathMatchIR[];
  readonly grpc: { service: string; method?: string }[];
  readonly headerMatches: { name: string; match: StringMatchIR }[][];
}

/** What calls, ingress routes and route rules (and mirrors into the port) declare about a port. */
function declaredOn(ir: MeshIR, service: ServiceIR, port: PortIR): Declared {
  const d: Declared = { methods: new Set(), paths: [], grpc: [], headerMatches: [] };
  const here = (svc: string, p: string) => svc === service.id && p === port.name;
  // Mirrors copy the grants of the mirrored port, so its declarations matter here too.
  const sources = new Set([`${service.id}:${port.name}`]);
  for (const r of ir.routes) for (const rule of r.rules) if (rule.mirror?.to.kind === "service" && here(rule.mirror.to.service, rule.mirror.to.port)) sources.add(`${r.service}:${r.port}`);
  const relevant = (svc: string, p: string) => sources.has(`${svc}:${p}`);
  for (const c of ir.calls) {
    if (c.to.kind !== "service" || !relevant(c.to.service, c.to.port)) continue;
    c.methods?.forEach((m) => d.methods.add(m));
    if (c.paths) d.paths.push(...c.paths);
    if (c.grpcMethods) d.grpc.push(...c.grpcMethods);
  }
  for (const i of ir.ingresses) {
    for (const r of i.routes) {
      if (!relevant(r.to.service, r.to.port)) continue;
      r.methods?.forEach((m) => d.methods.add(m));
      if (r.paths) d.paths.push(...r.paths);
    }
  }
  for (const r of ir.routes) {
    if (!here(r.service, r.port)) continue;
    for (const rule of r.rules) {
      rule.match?.methods?.forEach((m) => d.methods.add(m));
      if (rule.match?.paths) d.paths.push(...rule.match.paths);
      if (rule.match && rule.match.headers.length > 0) d.headerMatches.push([...rule.match.headers]);
    }
  }
  return d;
}

/** Declared paths and their near misses, plus one undeclared path. */
function pathVariants(paths: readonly PathMatchIR[]): string[] {
  const out = new Set<string>();
  for (const p of paths) {
    out.add(p.value);
    if (p.kind === "prefix") {
      out.add(`${p.value}meshc-probe`);
      if (p.value.length > 1 && p.value.endsWith("/")) out.add(p.value.slice(0, -1));
    } else {
      out.add(p.value.endsWith("/") ? `${p.value}meshc-probe` : `${p.value}/`);
      if (p.value.length > 1) out.add(`${p.value}x`);
    }
  }
  out.add(UNDECLARED_PATH);
  if (out.size === 1) out.add("/");
  return [...out].sort(compareIds);
}

function grpcVariants(declared: readonly { service: string; method?: string }[]): string[] {
  const out = new Set<string>();
  for (const g of declared) {
    out.add(`${g.service}/${g.method ?? "MeshcProbe"}`);
    out.add(`${g.service}/MeshcProbeUndeclared`);
  }
  out.add(`${UNDECLARED_GRPC_SERVICE}/Call`);
  return [...out].sort(compareIds);
}

/** No headers; for each rule's header conditions, a set satisfying them all and, per header, a near miss. */
function headerVariants(rules: readonly { name: string; match: StringMatchIR }[][]): (Record<string, string> | undefined)[] {
  const out = new Map<string, Record<string, string> | undefined>([["", undefined]]);
  for (const conditions of rules) {
    const satisfying: Record<string, string> = {};
    let ok = true;
    for (const c of conditions) {
      const v = satisfy(c.match);
      if (v === undefined) ok = false;
      else satisfying[c.name] = v;
    }
    if (!ok) continue;
    out.set(JSON.stringify(sortKeys(satisfying)), sortKeys(satisfying));
    for (const c of conditions) {
      const miss = { ...satisfying, [c.name]: `${satisfying[c.name]}-meshc-miss` };
      if (c.match.kind === "prefix") miss[c.name] = `meshc-miss-${satisfying[c.name]}`;
      out.set(JSON.stringify(sortKeys(miss)), sortKeys(miss));
    }
  }
  return [...out.values()];
}

/** A value the match accepts: the value itself, or for a regex one of its literal fragments that matches. */
function satisfy(m: StringMatchIR): string | undefined {
  if (m.kind === "exact") return m.value;
  if (m.kind === "prefix") return `${m.value}meshc`;
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${m.value})$`);
  } catch {
    return undefined;
  }
  const candidates = [...(m.value.match(/[A-Za-z0-9_-]+/g) ?? []), m.value, ""];
  return candidates.find((c) => re.test(c));
}

function sortKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => compareIds(a, b)));
}

/** A deterministic sample of `cap` items, kept in their original order. */
function sample<T>(items: T[], cap: number, seed: number): T[] {
  if (items.length <= cap) return items;
  const rand = mulberry32(seed);
  const indices = items.map((_, i) => i);
  for (let i = indices.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [indices[i], indices[j]] = [indices[j]!, indices[i]!];
  }
  return indices
    .slice(0, cap)
    .sort((a, b) => a - b)
    .map((i) => items[i]!);
}

/** A small seeded PRNG, so sampling is the same on every run. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `caller → callee:port METHOD path` for messages. */
export function describeProbe(p: Probe): string {
  const who =
    p.caller.kind === "service" ? p.caller.service : p.caller.kind === "ingress" ? `ingress:${p.caller.ingress}` : p.caller.kind === "identity" ? p.caller.spiffeId : "plaintext";
  const what = p.grpcMethod !== undefined ? `gRPC ${p.grpcMethod}` : p.method !== undefined ? `${p.method} ${p.path ?? ""}` : "connect";
  const headers = p.headers && Object.keys(p.headers).length > 0 ? ` ${JSON.stringify(p.headers)}` : "";
  return `${who} → ${p.callee}:${p.port} (${p.protocol}) ${what}${headers}`;
}
