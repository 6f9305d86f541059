/**
 * What an allow lets through, as sets that can be compared: a grant is one call declaration's
 * methods × paths × gRPC methods (each absent dimension meaning "any"), and an edge's access is
 * the union of its grants. "Widened" means the head lets through a request the base did not.
 */
import { compareIds, type GrpcMethodIR, type HttpMethod, type PathMatchIR } from "../ir.js";

/** One allow rule on an edge. Undefined dimensions allow anything. */
export interface Grant {
  readonly methods?: readonly HttpMethod[];
  readonly paths?: readonly PathMatchIR[];
  readonly grpcMethods?: readonly GrpcMethodIR[];
}

const ANY = "*" as const;

/** `/api/*` for a prefix, `/api` for an exact path: how the DSL writes them. */
export const pathText = (p: PathMatchIR): string => (p.kind === "prefix" ? `${p.value}*` : p.value);
export const grpcText = (m: GrpcMethodIR): string => `${m.service}/${m.method ?? "*"}`;

function pathCovers(outer: PathMatchIR, inner: PathMatchIR): boolean {
  return outer.kind === "exact" ? inner.kind === "exact" && inner.value === outer.value : inner.value.startsWith(outer.value);
}

function grpcCovers(outer: GrpcMethodIR, inner: GrpcMethodIR): boolean {
  return outer.service === inner.service && (outer.method === undefined || outer.method === inner.method);
}

interface Atom {
  readonly method: HttpMethod | typeof ANY;
  readonly path: PathMatchIR | typeof ANY;
  readonly grpc: GrpcMethodIR | typeof ANY;
}

function atoms(g: Grant): Atom[] {
  const out: Atom[] = [];
  const methods: readonly Atom["method"][] = g.methods ?? [ANY];
  const paths: readonly Atom["path"][] = g.paths ?? [ANY];
  const grpcs: readonly Atom["grpc"][] = g.grpcMethods ?? [ANY];
  for (const method of methods) for (const path of paths) for (const grpc of grpcs) out.push({ method, path, grpc });
  return out;
}

function grantCovers(g: Grant, a: Atom): boolean {
  const method = !g.methods || (a.method !== ANY && g.methods.includes(a.method));
  const path = !g.paths || (a.path !== ANY && g.paths.some((p) => pathCovers(p, a.path as PathMatchIR)));
  const grpc = !g.grpcMethods || (a.grpc !== ANY && g.grpcMethods.some((m) => grpcCovers(m, a.grpc as GrpcMethodIR)));
  return method && path && grpc;
}

/** True when `outer` lets through every request `inner` does. */
export function accessCovers(outer: readonly Grant[], inner: readonly Grant[]): boolean {
  return inner.flatMap(atoms).every((a) => outer.some((g) => grantCovers(g, a)));
}

/** True when a grant allows every request: no method, path or gRPC method restriction. */
export const unrestricted = (g: Grant): boolean => !g.methods && !g.paths && !g.grpcMethods;

/** One dimension of an access, flattened: undefined when some grant leaves it open. */
function dimension<T>(grants: readonly Grant[], pick: (g: Grant) => readonly T[] | undefined, text: (t: T) => string): string[] | undefined {
  const out = new Set<string>();
  for (const g of grants) {
    const list = pick(g);
    if (!list) return undefined;
    for (const item of list) out.add(text(item));
  }
  return [...out].sort(compareIds);
}

const DIMENSIONS = [
  { name: "methods", any: "any method", pick: (g: Grant) => g.methods, text: (m: HttpMethod) => m },
  { name: "paths", any: "any path", pick: (g: Grant) => g.paths, text: pathText },
  { name: "gRPC methods", any: "any gRPC method", pick: (g: Grant) => g.grpcMethods, text: grpcText },
] as const;

/**
 * How `after` differs from `before`, dimension by dimension, in words: `methods +POST`,
 * `any path (restriction dropped)`, `paths −/admin`. Falls back to a general sentence when only a
 * combination of dimensions changed.
 */
export function describeChange(before: readonly Grant[], after: readonly Grant[]): string[] {
  const out: string[] = [];
  for (const d of DIMENSIONS) {
    const pick = d.pick as (g: Grant) => readonly unknown[] | undefined;
    const text = d.text as (t: unknown) => string;
    const b = dimension(before, pick, text);
    const a = dimension(after, pick, text);
    if (b === undefined && a === undefined) continue;
    if (a === undefined) out.push(`${d.any} (restriction dropped)`);
    else if (b === undefined) out.push(`${d.name} restricted to ${a.join(", ")}`);
    else {
      const added = a.filter((x) => !b.includes(x));
      const removed = b.filter((x) => !a.includes(x));
      if (added.length > 0 || removed.length > 0) out.push(`${d.name} ${[...added.map((x) => `+${x}`), ...removed.map((x) => `−${x}`)].join(" ")}`);
    }
  }
  if (out.length === 0) out.push("the combination of methods and paths allowed changed");
  return out;
}

/** What an access allows, in words: `GET, POST on /api/*`, `any request`. */
export function describeAccess(grants: readonly Grant[]): string {
  if (grants.some(unrestricted)) return "any request";
  return grants
    .map((g) => {
      const parts: string[] = [];
      if (g.grpcMethods) parts.push(g.grpcMethods.map(grpcText).join(", "));
      if (g.methods) parts.push(g.methods.join(", "));
      if (g.paths) parts.push(`${g.methods ? "on " : "paths "}${g.paths.map(pathText).join(", ")}`);
      return parts.join(" ");
    })
    .join("; ");
}
