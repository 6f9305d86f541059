/**
 * Request conditions as Istio's `HTTPMatchRequest` sees them, and their intersection.
 *
 * A VirtualService route matches when any of its match requests does, and a match request when
 * all of its fields do. Combining a route rule with a caller or an ingress route therefore needs
 * the AND of two conditions; every path in the IR is exact or a prefix, so the AND of two is
 * again one of them (or nothing), and the combined routes stay exact.
 */
import { assertNever, compareIds, type CallIR, type GrpcMethodIR, type HeaderMatchIR, type HttpMethod, type PathMatchIR, type RouteMatchIR, type StringMatchIR } from "../../compiler/ir.js";

/** A conjunction of request properties. The empty condition matches every request. */
export interface Cond {
  readonly uri?: PathMatchIR;
  /** Non-empty, sorted. */
  readonly methods?: readonly HttpMethod[];
  /** Sorted by name. */
  readonly headers: readonly HeaderMatchIR[];
  readonly source?: { readonly labels: Readonly<Record<string, string>>; readonly namespace?: string };
  readonly port?: number;
}

/** A disjunction. `[]` matches nothing; `[{ headers: [] }]` matches everything. */
export type Match = readonly Cond[];

export const ANY: Match = [{ headers: [] }];

export function isAny(m: Match): boolean {
  return m.some(isEmptyCond);
}

function isEmptyCond(c: Cond): boolean {
  return c.uri === undefined && c.methods === undefined && c.headers.length === 0 && c.source === undefined && c.port === undefined;
}

export function intersectPaths(a: PathMatchIR, b: PathMatchIR): PathMatchIR | undefined {
  if (a.kind === "exact" && b.kind === "exact") return a.value === b.value ? a : undefined;
  if (a.kind === "exact") return a.value.startsWith(b.value) ? a : undefined;
  if (b.kind === "exact") return b.value.startsWith(a.value) ? b : undefined;
  if (a.value.startsWith(b.value)) return a;
  if (b.value.startsWith(a.value)) return b;
  return undefined;
}

function intersectStrings(a: StringMatchIR, b: StringMatchIR): StringMatchIR | undefined {
  if (a.kind === b.kind && a.value === b.value) return a;
  if (a.kind === "regex" || b.kind === "regex") {
    // Only route rules carry header conditions, and a route rule is only ever combined with
    // callers and ingress routes, which carry none: two header conditions never meet.
    throw new Error(`cannot intersect header matches ${JSON.stringify(a)} and ${JSON.stringify(b)}`);
  }
  return intersectPaths(a, b);
}

export function intersectCond(a: Cond, b: Cond): Cond | undefined {
  let uri = a.uri ?? b.uri;
  if (a.uri && b.uri) {
    uri = intersectPaths(a.uri, b.uri);
    if (!uri) return undefined;
  }
  let methods = a.methods ?? b.methods;
  if (a.methods && b.methods) {
    const other = new Set(b.methods);
    methods = a.methods.filter((m) => other.has(m));
    if (methods.length === 0) return undefined;
  }
  const headers = new Map<string, HeaderMatchIR>(a.headers.map((h) => [h.name, h]));
  for (const h of b.headers) {
    const prev = headers.get(h.name);
    if (!prev) {
      headers.set(h.name, h);
      continue;
    }
    const both = intersectStrings(prev.match, h.match);
    if (!both) return undefined;
    headers.set(h.name, { name: h.name, match: both });
  }
  if (a.source && b.source && JSON.stringify(a.source) !== JSON.stringify(b.source)) return undefined;
  if (a.port !== undefined && b.port !== undefined && a.port !== b.port) return undefined;
  const source = a.source ?? b.source;
  const port = a.port ?? b.port;
  return {
    ...(uri ? { uri } : {}),
    ...(methods ? { methods } : {}),
    headers: [...headers.values()].sort((x, y) => compareIds(x.name, y.name)),
    ...(source ? { source } : {}),
    ...(port !== undefined ? { port } : {}),
  };
}

/** The AND of two disjunctions, without duplicate conditions. */
export function intersect(a: Match, b: Match): Match {
  const out: Cond[] = [];
  const seen = new Set<string>();
  for (const x of a) {
    for (const y of b) {
      const c = intersectCond(x, y);
      if (!c) continue;
      const key = JSON.stringify(c);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(c);
    }
  }
  return isAny(out) ? ANY : out;
}

/** Requests a route rule's `match` selects. */
export function ruleMatch(match: RouteMatchIR | undefined): Match {
  if (!match) return ANY;
  const base: Cond = { headers: match.headers, ...(match.methods ? { methods: match.methods } : {}) };
  return match.paths ? match.paths.map((uri) => ({ ...base, uri })) : [base];
}

/** Requests an ingress route or a call lets through, by path and method. */
export function requestMatch(paths: readonly PathMatchIR[] | undefined, methods: readonly HttpMethod[] | undefined): Match {
  const base: Cond = { headers: [], ...(methods ? { methods } : {}) };
  return paths ? paths.map((uri) => ({ ...base, uri })) : [base];
}

/** A gRPC method as the HTTP/2 path it travels on: `/package.Service/Method`, or the service's prefix. */
export function grpcPath(m: GrpcMethodIR): PathMatchIR {
  return m.method === undefined ? { kind: "prefix", value: `/${m.service}/` } : { kind: "exact", value: `/${m.service}/${m.method}` };
}

/**
 * The paths a call allows: its HTTP paths, its gRPC methods, or (when it declares both) the
 * paths that satisfy both. Undefined: every path.
 */
export function callPaths(call: Pick<CallIR, "paths" | "grpcMethods">): readonly PathMatchIR[] | undefined {
  const grpc = call.grpcMethods?.map(grpcPath);
  if (!grpc) return call.paths;
  if (!call.paths) return grpc;
  const out: PathMatchIR[] = [];
  for (const g of grpc) {
    for (const p of call.paths) {
      const both = intersectPaths(g, p);
      if (both && !out.some((o) => o.kind === both.kind && o.value === both.value)) out.push(both);
    }
  }
  return out;
}

export function withSource(m: Match, source: NonNullable<Cond["source"]>): Match {
  return m.map((c) => ({ ...c, source }));
}

export function withPort(m: Match, port: number | undefined): Match {
  if (port === undefined) return m;
  return m.map((c) => ({ ...c, port }));
}

function stringMatch(m: StringMatchIR): Record<string, string> {
  switch (m.kind) {
    case "exact":
      return { exact: m.value };
    case "prefix":
      return { prefix: m.value };
    case "regex":
      return { regex: m.value };
    default:
      return assertNever(m, "string match");
  }
}

/** Istio's `match` list, or undefined for a route that takes every request. */
export function renderMatch(m: Match): Record<string, unknown>[] | undefined {
  if (isAny(m)) return undefined;
  return m.map((c) => {
    const out: Record<string, unknown> = {};
    if (c.uri) out.uri = stringMatch(c.uri);
    if (c.methods) out.method = c.methods.length === 1 ? { exact: c.methods[0] } : { regex: `^(${c.methods.join("|")})$` };
    if (c.headers.length > 0) out.headers = Object.fromEntries(c.headers.map((h) => [h.name, stringMatch(h.match)]));
    if (c.port !== undefined) out.port = c.port;
    if (c.source) {
      out.sourceLabels = { ...c.source.labels };
      if (c.source.namespace !== undefined) out.sourceNamespace = c.source.namespace;
    }
    return out;
  });
}
