/**
 * Per-route authorization for one Linkerd Server: which HTTPRoutes (or GRPCRoutes) to attach, and
 * which identities each may admit, so that every caller gets exactly the requests the mesh allows.
 *
 * Linkerd's rules (https://linkerd.io/2-edge/reference/authorization-policy/, and the proxy's
 * `linkerd-http-route` crate):
 * - once a route is attached to a Server, a request that matches no route is refused;
 * - a request is served by exactly one route: the best match, ranked by the length of the path
 *   match (exact and regex: the whole path; prefix: the prefix without trailing slashes), then by
 *   having a method match, then by header count. Ties across routes fall back to creation time;
 * - a request is authorized by the chosen route's AuthorizationPolicies plus the Server's.
 *
 * So routes cannot overlap naively: with one route per call, two callers allowed GET and
 * GET+POST would race for GET requests and one of them would lose them. Instead the request
 * space is cut into cells, one per (declared path, declared method or "any other method"), each
 * cell authorized for exactly the callers whose rules cover all of it; the ranking above picks the
 * most specific cell, so the cells never compete. Cells with the same callers share a route.
 * Callers allowed everything are authorized on the Server itself.
 *
 * Path prefixes need care: Linkerd's `PathPrefix "/a/"` matches by whole segments and so also
 * matches `/a`, and `PathPrefix "/a"` does not match `/ab`, while the mesh's prefixes are plain
 * string prefixes. A prefix with nothing declared below it is written as a regular expression,
 * which is exact; elsewhere the plan is checked request by request and what still differs is
 * returned for the target to report.
 */
import { compareIds, type GrpcMethodIR, type PathMatchIR, type Span } from "../../compiler/ir.js";
import { ANY_IDENTITY, escapeRegex } from "./names.js";

/** Who may send which requests to one Server port (one declared call or ingress route). */
export interface HttpGrant {
  /** A Linkerd identity, or `*` for every meshed client. */
  readonly identity: string;
  /** Undefined: every method. */
  readonly methods?: readonly string[];
  /** Path conditions that must all hold, each a list of alternatives. Empty: every path. */
  readonly paths: readonly (readonly PathMatchIR[])[];
  /** Where the restriction is declared, for diagnostics. */
  readonly span: Span;
}

export interface GrpcGrant {
  readonly identity: string;
  /** Undefined: every gRPC method. */
  readonly methods?: readonly GrpcMethodIR[];
  readonly span: Span;
}

export interface LinkerdPathMatch {
  readonly type: "Exact" | "PathPrefix" | "RegularExpression";
  readonly value: string;
}

export interface HttpMatch {
  readonly path: LinkerdPathMatch;
  readonly method?: string;
}

/** A GRPCRoute match; neither field set is the catch-all (a rule without matches). */
export interface GrpcMatch {
  readonly service?: string;
  readonly method?: string;
}

export interface RouteGroup<M> {
  /** Identities the route itself admits, sorted (`["*"]`: every meshed client). Empty: only the Server's. */
  readonly identities: readonly string[];
  readonly matches: readonly M[];
}

/** A request whose outcome under the plan differs from the mesh's. */
export interface Mismatch {
  readonly request: string;
  readonly expected: readonly string[];
  readonly actual: readonly string[];
  /** The grants whose rules the request falls under (or next to). */
  readonly spans: readonly Span[];
}

export interface RoutePlan<M> {
  /** Identities authorized on the whole Server. */
  readonly serverIdentities: readonly string[];
  /** Routes to attach, in a stable order. Empty: none (the Server's default route serves everything). */
  readonly groups: readonly RouteGroup<M>[];
  readonly mismatches: readonly Mismatch[];
}

/** Sorted, unique; `*` absorbs every other identity. */
export function normalizeIdentities(ids: Iterable<string>): string[] {
  const set = new Set(ids);
  if (set.has(ANY_IDENTITY)) return [ANY_IDENTITY];
  return [...set].sort(compareIds);
}

const sameIds = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const idsKey = (ids: readonly string[]) => ids.join(",");

// ── Plans by shape ──────────────────────────────────────────────────────────────────────────

/** Plans by the key of their shape; cleared when full. */
type PlanCache<M> = Map<string, RoutePlan<M>>;
const PLANS_MAX = 10_000;

/**
 * A plan depends on the identities only through which grants share one and which is `*`: the
 * planners compare identities for equality, keep them in sorted sets and name no identity. So a
 * Server's plan is the plan of its grants' shape (identities numbered by first appearance) with
 * the identities put back and re-sorted. Meshes repeat a few shapes ("GET /api/ from one caller,
 * everything from another") over thousands of Servers, and each shape is planned once.
 */
export function byShape<G extends { readonly identity: string; readonly span: Span }, M>(
  grants: readonly G[],
  shape: (g: G) => unknown,
  plan: (grants: readonly G[]) => RoutePlan<M>,
  cache: PlanCache<M>,
): RoutePlan<M> {
  const numbers = new Map<string, string>();
  const identities = new Map<string, string>();
  const spans = new Map<Span, Span>();
  const canonical = grants.map((g, i) => {
    let identity = g.identity;
    if (identity !== ANY_IDENTITY) {
      let n = numbers.get(identity);
      if (n === undefined) {
        n = `\u0000${numbers.size}`;
        numbers.set(identity, n);
        identities.set(n, identity);
      }
      identity = n;
    }
    // Spans only pass through a plan (into its mismatches): numbered too, so plans are shared.
    const span = shapeSpan(i);
    spans.set(span, g.span);
    return { ...g, identity, span };
  });
  const key = JSON.stringify(canonical.map((g) => [g.identity, shape(g)]));
  let shaped = cache.get(key);
  if (!shaped) {
    if (cache.size >= PLANS_MAX) cache.clear();
    cache.set(key, (shaped = plan(canonical)));
  }
  // Mismatches may hold a note rather than identities: only numbers are put back.
  const back = (ids: readonly string[]) => normalizeIdentities(ids.map((id) => identities.get(id) ?? id));
  return {
    serverIdentities: back(shaped.serverIdentities),
    groups: shaped.groups
      .map((g) => ({ identities: back(g.identities), matches: g.matches }))
      .sort((a, b) => compareIds(idsKey(a.identities), idsKey(b.identities))),
    mismatches: shaped.mismatches.map((m) => ({ ...m, expected: back(m.expected), actual: back(m.actual), spans: m.spans.map((s) => spans.get(s)!) })),
  };
}

const shapeSpans: Span[] = [];
/** The same span object for the i-th grant of every shape, so that a cached plan's spans map back. */
function shapeSpan(i: number): Span {
  return (shapeSpans[i] ??= Object.freeze({ file: "", line: i + 1, column: 1, endLine: i + 1, endColumn: 1 }));
}

// ── HTTP ────────────────────────────────────────────────────────────────────────────────────

const ROOT: PathMatchIR = { kind: "prefix", value: "/" };
const atomKey = (a: PathMatchIR) => `${a.kind}:${a.value}`;
const isRoot = (a: PathMatchIR) => a.kind === "prefix" && a.value === "/";
/** `s` without its trailing slashes (a loop: this runs for every probe of every Server). */
function trimSlashes(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 47) end--;
  return end === s.length ? s : s.slice(0, end);
}

/** The mesh's meaning of a path rule: exact, or a plain string prefix. */
export function pathAllows(rule: PathMatchIR, path: string): boolean {
  return rule.kind === "exact" ? path === rule.value : path.startsWith(rule.value);
}

/** Whether `rule` admits every path of the cell `atom` stands for. */
function covers(rule: PathMatchIR, atom: PathMatchIR): boolean {
  return rule.kind === "exact" ? atom.kind === "exact" && atom.value === rule.value : atom.value.startsWith(rule.value);
}

function grantAllowsRequest(g: HttpGrant, method: string, path: string): boolean {
  return (!g.methods || g.methods.includes(method)) && g.paths.every((alternatives) => alternatives.some((r) => pathAllows(r, path)));
}

function grantAllowsCell(g: HttpGrant, atom: PathMatchIR, method: string | null): boolean {
  return (!g.methods || (method !== null && g.methods.includes(method))) && g.paths.every((alternatives) => alternatives.some((r) => covers(r, atom)));
}

const regexCache = new Map<string, RegExp>();
function anchored(pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (!re) regexCache.set(pattern, (re = new RegExp(`^(?:${pattern})$`)));
  return re;
}

/**
 * How Linkerd's proxy ranks a path match (`MatchPath::match_length`): the number of characters
 * matched, or undefined when the path does not match.
 */
export function linkerdPathRank(match: LinkerdPathMatch, path: string): number | undefined {
  switch (match.type) {
    case "Exact":
      return match.value === path ? match.value.length : undefined;
    case "RegularExpression":
      return anchored(match.value).test(path) ? path.length : undefined;
    case "PathPrefix": {
      if (match.value === "/") return 1;
      const prefix = trimSlashes(match.value);
      const trimmed = trimSlashes(path);
      if (!trimmed.startsWith(prefix)) return undefined;
      const rest = trimmed.slice(prefix.length);
      return rest === "" || rest.startsWith("/") ? prefix.length : undefined;
    }
  }
}

const HTTP_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT"];

/** A method no grant names: stands for "any other method" in checks. */
function otherMethod(declared: readonly string[]): string {
  return HTTP_METHODS.find((m) => !declared.includes(m)) ?? "PROPFIND";
}

/** Requests worth checking around a declared path: it, just inside, just outside, its segment boundary. */
function probePaths(atom: PathMatchIR): string[] {
  const v = atom.value;
  if (atom.kind === "exact") return [v, `${v}/`, `${v}x`];
  const base = trimSlashes(v);
  const out = [v, `${v}x`, `${v}x/y`];
  if (base !== "") out.push(base, `${base}/`, `${base}x`);
  if (v.length > 1) out.push(v.slice(0, -1));
  return out;
}

interface TrieNode {
  /** A declared prefix ends here: nothing at or below this node belongs to the cell. */
  prefixEnd: boolean;
  /** A declared exact path ends here: this string does not belong to the cell. */
  exactEnd: boolean;
  readonly children: Map<string, TrieNode>;
}

/**
 * A regex for the paths starting with `prefix` that none of the `below` rules (declared paths
 * beneath it) match: a trie of their suffixes, complemented branch by branch. Linkerd's regexes
 * are RE2-like without look-around, hence the explicit construction.
 */
export function exclusiveRegex(prefix: string, below: readonly PathMatchIR[]): string {
  const root: TrieNode = { prefixEnd: false, exactEnd: false, children: new Map() };
  for (const b of below) {
    let node = root;
    for (const ch of b.value.slice(prefix.length)) {
      let next = node.children.get(ch);
      if (!next) node.children.set(ch, (next = { prefixEnd: false, exactEnd: false, children: new Map() }));
      node = next;
    }
    if (b.kind === "prefix") node.prefixEnd = true;
    else node.exactEnd = true;
  }
  const gen = (node: TrieNode): string | undefined => {
    if (node.prefixEnd) return undefined;
    const chars = [...node.children.keys()].sort(compareIds);
    const parts: string[] = [chars.length === 0 ? ".+" : `[^${chars.map(escapeRegex).join("")}].*`];
    for (const ch of chars) {
      const rest = gen(node.children.get(ch)!);
      if (rest !== undefined) parts.push(`${escapeRegex(ch)}${rest}`);
    }
    // Every part needs at least one more character; the string ending at this node is in the
    // cell too, unless it is declared exactly.
    if (node.exactEnd) return parts.length === 1 ? parts[0]! : `(?:${parts.join("|")})`;
    if (parts.length === 1) return parts[0] === ".+" ? ".*" : `(?:${parts[0]})?`;
    return `(?:${parts.join("|")})?`;
  };
  // A rule beneath the prefix is a different, longer string, so the root never ends a prefix.
  return `${escapeRegex(prefix)}${gen(root)!}`;
}

interface Cell {
  readonly atom: PathMatchIR;
  readonly method: string | null;
  readonly identities: readonly string[];
  /** {@link idsKey} of the identities: which cells share a route. */
  readonly key: string;
}

/** Plans the HTTPRoutes of one HTTP (or HTTP/2) Server. */
export function planHttpRoutes(grants: readonly HttpGrant[]): RoutePlan<HttpMatch> {
  return byShape(grants, httpShape, planHttpShape, httpPlans);
}

const httpPlans: PlanCache<HttpMatch> = new Map();
const httpShape = (g: HttpGrant) => [g.methods ?? null, g.paths.map((alts) => alts.map((p) => [p.kind, p.value]))];

function planHttpShape(grants: readonly HttpGrant[]): RoutePlan<HttpMatch> {
  const open = (g: HttpGrant) => !g.methods && g.paths.length === 0;
  const serverIdentities = normalizeIdentities(grants.filter(open).map((g) => g.identity));
  const restricted = grants.filter((g) => !open(g));
  if (restricted.length === 0 || sameIds(serverIdentities, [ANY_IDENTITY])) return { serverIdentities, groups: [], mismatches: [] };

  const atomsByKey = new Map<string, PathMatchIR>([[atomKey(ROOT), ROOT]]);
  for (const g of restricted) for (const alternatives of g.paths) for (const p of alternatives) atomsByKey.set(atomKey(p), p);
  const atoms = [...atomsByKey.values()].sort((a, b) => compareIds(a.value, b.value) || compareIds(a.kind, b.kind));
  const declaredMethods = [...new Set(restricted.flatMap((g) => g.methods ?? []))].sort(compareIds);
  const methods: (string | null)[] = [...declaredMethods, null];

  const cells: Cell[] = [];
  for (const atom of atoms) {
    for (const method of methods) {
      const identities = normalizeIdentities(restricted.filter((g) => grantAllowsCell(g, atom, method)).map((g) => g.identity));
      cells.push({ atom, method, identities, key: idsKey(identities) });
    }
  }
  const cellOf = new Map(cells.map((c) => [`${atomKey(c.atom)}|${c.method ?? ""}`, c]));
  const cell = (atom: PathMatchIR, method: string | null) => cellOf.get(`${atomKey(atom)}|${method ?? ""}`)!;

  const repr = new Map<string, LinkerdPathMatch>();
  for (const a of atoms) repr.set(atomKey(a), a.kind === "exact" ? { type: "Exact", value: a.value } : { type: "PathPrefix", value: a.value });

  const other = otherMethod(declaredMethods);
  const probeMethods = [...declaredMethods, other];
  // A request's expected callers do not depend on the routes: worked out once per request.
  // By path, then by the method's place in `probeMethods`.
  const wanted = new Map<string, (readonly string[])[]>();
  const expected = (m: number, path: string) => {
    let byMethod = wanted.get(path);
    if (!byMethod) wanted.set(path, (byMethod = []));
    let want = byMethod[m];
    if (!want) {
      const method = probeMethods[m]!;
      want = byMethod[m] = normalizeIdentities([...serverIdentities, ...restricted.filter((g) => grantAllowsRequest(g, method, path)).map((g) => g.identity)]);
    }
    return want;
  };
  // What a route admits with the Server's callers, by the route's identities (cells keep theirs).
  const admitted = new WeakMap<readonly string[], readonly string[]>();
  const admits = (g: RouteGroup<HttpMatch>) => {
    let ids = admitted.get(g.identities);
    if (!ids) admitted.set(g.identities, (ids = normalizeIdentities([...serverIdentities, ...g.identities])));
    return ids;
  };
  const groupsOf = (kept: readonly Cell[]) => {
    const byKey = new Map<string, { identities: readonly string[]; matches: HttpMatch[] }>();
    for (const c of kept) {
      let group = byKey.get(c.key);
      if (!group) byKey.set(c.key, (group = { identities: c.identities, matches: [] }));
      group.matches.push({ path: repr.get(atomKey(c.atom))!, ...(c.method !== null ? { method: c.method } : {}) });
    }
    return [...byKey.entries()].sort(([a], [b]) => compareIds(a, b)).map(([, g]) => g);
  };
  // Stops once there are more than `limit` mismatches, for callers that only compare counts.
  const check = (groups: readonly RouteGroup<HttpMatch>[], paths: readonly string[], limit = Infinity): Mismatch[] => {
    const out: Mismatch[] = [];
    for (const path of paths) {
      for (let m = 0; m < probeMethods.length; m++) {
        if (out.length > limit) return out;
        const method = probeMethods[m]!;
        const want = expected(m, path);
        const got = simulate(groups, admits, method, path);
        if (got.ambiguous || !sameIds(want, got.identities)) {
          const spans = restricted.filter((g) => g.paths.some((alts) => alts.some((r) => pathAllows(r, path) || trimSlashes(r.value) === trimSlashes(path)))).map((g) => g.span);
          out.push({ request: `${method} ${path}`, expected: want, actual: got.ambiguous ? ["(depends on route creation order)"] : got.identities, spans });
        }
      }
    }
    return out;
  };

  // Keep the readable PathPrefix wherever it means what the mesh means; elsewhere write the cell
  // as a regex of exactly its paths (the prefix minus what is declared beneath it), which then
  // matches no request another cell matches. A change can expose a neighbour's boundary, so
  // repeat until nothing changes (each round turns at least one prefix into a regex).
  for (let changed = true; changed; ) {
    changed = false;
    for (const a of atoms) {
      if (a.kind !== "prefix" || repr.get(atomKey(a))!.type === "RegularExpression") continue;
      if (check(groupsOf(cells), probePaths(a)).length === 0) continue;
      const below = atoms.filter((b) => b !== a && b.value.startsWith(a.value));
      repr.set(atomKey(a), { type: "RegularExpression", value: exclusiveRegex(a.value, below) });
      changed = true;
    }
  }

  // An empty cell only needs a route when a less specific cell would otherwise catch its
  // requests and admit someone; with Server-wide callers, the root cell must stay so that every
  // request matches some route.
  const catchers = (c: Cell): Cell[] => {
    const out: Cell[] = c.method !== null ? [cell(c.atom, null)] : [];
    for (const b of atoms) {
      if (b === c.atom || b.kind !== "prefix") continue;
      if (isRoot(b) || c.atom.value.startsWith(trimSlashes(b.value))) out.push(cell(b, c.method), cell(b, null));
    }
    return out;
  };
  // Catchers are judged on the mesh's prefixes, which the regexes above no longer follow: every
  // removal is checked, and undone if some request would then land on the wrong cell (or none).
  const allProbes = [...new Set(["/", "/meshc-undeclared", ...atoms.flatMap(probePaths)])].sort(compareIds);
  let kept = cells;
  let mismatches = check(groupsOf(kept), allProbes);
  const baseline = mismatches.length;
  for (const c of [...cells].reverse()) {
    if (c.identities.length > 0) continue;
    if (serverIdentities.length > 0 && isRoot(c.atom) && c.method === null) continue;
    if (catchers(c).some((k) => k.identities.length > 0)) continue;
    const trial = kept.filter((k) => k !== c);
    // Cut short only past `baseline`, so a trial that is kept was checked in full.
    const found = check(groupsOf(trial), allProbes, baseline);
    if (found.length <= baseline) [kept, mismatches] = [trial, found];
  }
  return { serverIdentities, groups: groupsOf(kept), mismatches };
}

/** The identities Linkerd admits for one request, given the Server's routes (test and plan use). */
export function simulateHttp(
  groups: readonly RouteGroup<HttpMatch>[],
  serverIdentities: readonly string[],
  method: string,
  path: string,
): { identities: readonly string[]; ambiguous: boolean } {
  return simulate(groups, (g) => normalizeIdentities([...serverIdentities, ...g.identities]), method, path);
}

/** {@link simulateHttp}, given what each route admits together with the Server's callers. */
function simulate(
  groups: readonly RouteGroup<HttpMatch>[],
  admits: (g: RouteGroup<HttpMatch>) => readonly string[],
  method: string,
  path: string,
): { identities: readonly string[]; ambiguous: boolean } {
  let best: [number, number] | undefined;
  let winners: RouteGroup<HttpMatch>[] = [];
  for (const g of groups) {
    for (const m of g.matches) {
      if (m.method !== undefined && m.method !== method) continue;
      const len = linkerdPathRank(m.path, path);
      if (len === undefined) continue;
      const rank: [number, number] = [len, m.method !== undefined ? 1 : 0];
      const cmp = best === undefined ? 1 : rank[0] - best[0] || rank[1] - best[1];
      if (cmp > 0) {
        best = rank;
        winners = [g];
      } else if (cmp === 0 && !winners.includes(g)) winners.push(g);
    }
  }
  if (winners.length === 0) return { identities: [], ambiguous: false };
  const outcomes = winners.map(admits);
  return { identities: outcomes[0]!, ambiguous: outcomes.some((o) => !sameIds(o, outcomes[0]!)) };
}

// ── gRPC ────────────────────────────────────────────────────────────────────────────────────

interface GrpcCell {
  readonly service?: string;
  readonly method?: string;
  readonly identities: readonly string[];
}

function grpcAllows(g: GrpcGrant, service: string | undefined, method: string | undefined): boolean {
  if (!g.methods) return true;
  if (service === undefined) return false;
  return g.methods.some((m) => m.service === service && (m.method === undefined || m.method === method));
}

/**
 * Plans the GRPCRoutes of one gRPC Server. GRPCRoute matches rank by the characters of the
 * matched service, then method, so a method beats its service and a service beats the catch-all.
 */
export function planGrpcRoutes(grants: readonly GrpcGrant[]): RoutePlan<GrpcMatch> {
  return byShape(grants, grpcShape, planGrpcShape, grpcPlans);
}

const grpcPlans: PlanCache<GrpcMatch> = new Map();
const grpcShape = (g: GrpcGrant) => g.methods?.map((m) => [m.service, m.method ?? null]) ?? null;

function planGrpcShape(grants: readonly GrpcGrant[]): RoutePlan<GrpcMatch> {
  const serverIdentities = normalizeIdentities(grants.filter((g) => !g.methods).map((g) => g.identity));
  const restricted = grants.filter((g) => g.methods);
  if (restricted.length === 0 || sameIds(serverIdentities, [ANY_IDENTITY])) return { serverIdentities, groups: [], mismatches: [] };

  const services = [...new Set(restricted.flatMap((g) => g.methods!.map((m) => m.service)))].sort(compareIds);
  const atoms: { service?: string; method?: string }[] = [{}];
  for (const s of services) {
    atoms.push({ service: s });
    const methods = [...new Set(restricted.flatMap((g) => g.methods!.filter((m) => m.service === s && m.method !== undefined).map((m) => m.method!)))];
    for (const m of methods.sort(compareIds)) atoms.push({ service: s, method: m });
  }
  const cells: GrpcCell[] = atoms.map((a) => ({
    ...a,
    identities: normalizeIdentities(
      restricted.filter((g) => grpcAllows(g, a.service, a.method) && (a.method !== undefined || g.methods!.some((m) => m.service === a.service && m.method === undefined))).map((g) => g.identity),
    ),
  }));
  const find = (service?: string, method?: string) => cells.find((c) => c.service === service && c.method === method)!;
  const kept = cells.filter((c) => {
    if (c.identities.length > 0) return true;
    if (c.service === undefined) return serverIdentities.length > 0;
    const catchers = c.method !== undefined ? [find(c.service), find()] : [find()];
    return catchers.some((k) => k.identities.length > 0);
  });
  const byKey = new Map<string, { identities: readonly string[]; matches: GrpcMatch[] }>();
  for (const c of kept) {
    const key = idsKey(c.identities);
    const group = byKey.get(key) ?? { identities: c.identities, matches: [] };
    group.matches.push({ ...(c.service !== undefined ? { service: c.service } : {}), ...(c.method !== undefined ? { method: c.method } : {}) });
    byKey.set(key, group);
  }
  const groups = [...byKey.entries()].sort(([a], [b]) => compareIds(a, b)).map(([, g]) => g);

  const mismatches: Mismatch[] = [];
  const probes: [string, string][] = [["meshc.Undeclared", "Call"]];
  for (const s of services) {
    probes.push([s, "MeshcUndeclared"]);
    for (const a of atoms) if (a.service === s && a.method !== undefined) probes.push([s, a.method]);
  }
  for (const [service, method] of probes) {
    const want = normalizeIdentities([...serverIdentities, ...restricted.filter((g) => grpcAllows(g, service, method)).map((g) => g.identity)]);
    const got = simulateGrpc(groups, serverIdentities, service, method);
    if (got.ambiguous || !sameIds(want, got.identities)) {
      const spans = restricted.filter((g) => g.methods!.some((m) => m.service === service)).map((g) => g.span);
      mismatches.push({ request: `${service}/${method}`, expected: want, actual: got.identities, spans });
    }
  }
  return { serverIdentities, groups, mismatches };
}

/** The identities Linkerd admits for one gRPC call, given the Server's GRPCRoutes. */
export function simulateGrpc(
  groups: readonly RouteGroup<GrpcMatch>[],
  serverIdentities: readonly string[],
  service: string,
  method: string,
): { identities: string[]; ambiguous: boolean } {
  let best: [number, number] | undefined;
  let winners: RouteGroup<GrpcMatch>[] = [];
  for (const g of groups) {
    for (const m of g.matches) {
      if (m.service !== undefined && m.service !== service) continue;
      if (m.method !== undefined && m.method !== method) continue;
      const rank: [number, number] = [m.service?.length ?? 0, m.method?.length ?? 0];
      const cmp = best === undefined ? 1 : rank[0] - best[0] || rank[1] - best[1];
      if (cmp > 0) {
        best = rank;
        winners = [g];
      } else if (cmp === 0 && !winners.includes(g)) winners.push(g);
    }
  }
  if (winners.length === 0) return { identities: [], ambiguous: false };
  const outcomes = winners.map((g) => normalizeIdentities([...serverIdentities, ...g.identities]));
  return { identities: outcomes[0]!, ambiguous: outcomes.some((o) => !sameIds(o, outcomes[0]!)) };
}

/** The planners without the cache by shape, for the test that compares the two. */
export const uncachedPlanners = { http: planHttpShape, grpc: planGrpcShape } as const;
