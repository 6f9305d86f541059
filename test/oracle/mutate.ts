/**
 * Mutations of a mesh program, for the robustness suite: a generated mesh's trees with one node
 * replaced by something hostile (a wrong type, a huge or non-finite number, an odd string, a
 * getter that throws, a cyclic object, a Proxy, …), a key removed or added, a value wrapped.
 */
import fc from "fast-check";
import { Code, Getter, type MeshTrees, type Tree } from "./arbitrary.js";

/** Values no mesh should hold, each written as mesh.ts source. */
export const HOSTILE: readonly Tree[] = [
  null,
  undefined,
  new Code("NaN"),
  new Code('Number("x")'),
  1e308,
  -1e308,
  -0,
  -1,
  0,
  1.5,
  2 ** 53 + 1,
  new Code("Infinity"),
  "",
  " ",
  "Ünïcødé-名前-🚀",
  "UPPER_case",
  "a".repeat(70),
  "-bad-",
  "a.b.c",
  "/",
  "*",
  "\u0000",
  new Code("[]"),
  new Code("{}"),
  true,
  new Code("new Map([[\"a\", 1]])"),
  new Code('Symbol("s")'),
  new Code("10n"),
  new Code("Object.create(null)"),
  new Code("(() => { const o: any = { port: 80 }; o.self = o; o.ports = { http: o }; return o; })()"),
  new Code("new Proxy({}, { get() { throw new Error(\"proxy trap\"); }, ownKeys() { throw new Error(\"ownKeys trap\"); } })"),
  new Getter('throw new Error("getter threw");'),
  new Getter("return Math.random() < 2 ? 80 : 81;"),
  new Code("[1, 2, 3]"),
  new Code('"x".repeat(100000)'),
  new Code("new Array(5)"),
  new Code("() => 1"),
  new Code("new Date(0)"),
  new Code("Promise.resolve({})"),
  new Code("new (class Port { port = 80; })()"),
  new Code('{ "__proto__": { port: 80 }, constructor: 1 }'),
  new Code("JSON.parse('{\"__proto__\": {\"port\": 80}}')"),
];

type Path = readonly (string | number)[];

/** Every path to a node of a tree (the root excluded). */
export function nodePaths(tree: Tree, prefix: Path = []): Path[] {
  if (tree === null || typeof tree !== "object" || tree instanceof Code || tree instanceof Getter) return [];
  const out: Path[] = [];
  const entries: [string | number, Tree][] = Array.isArray(tree) ? (tree as readonly Tree[]).map((v, i) => [i, v]) : Object.entries(tree as Record<string, Tree>);
  for (const [k, v] of entries) {
    out.push([...prefix, k]);
    out.push(...nodePaths(v, [...prefix, k]));
  }
  return out;
}

export type Mutation =
  | { readonly kind: "replace"; readonly value: Tree }
  | { readonly kind: "delete" }
  | { readonly kind: "add-key"; readonly key: string; readonly value: Tree }
  | { readonly kind: "wrap-in-array" }
  | { readonly kind: "duplicate" };

/** Applies one mutation at `path` (immutably). */
export function mutateAt(tree: Tree, path: Path, m: Mutation): Tree {
  if (path.length === 0) return apply(tree, m);
  const [head, ...rest] = path;
  if (Array.isArray(tree)) {
    const list = [...(tree as readonly Tree[])];
    const i = head as number;
    if (rest.length === 0 && m.kind === "delete") list.splice(i, 1);
    else if (rest.length === 0 && m.kind === "duplicate") list.splice(i, 0, list[i]!);
    else list[i] = mutateAt(list[i]!, rest, m);
    return list;
  }
  const obj = { ...(tree as Record<string, Tree>) };
  const key = String(head);
  if (rest.length === 0 && m.kind === "delete") delete obj[key];
  else obj[key] = mutateAt(obj[key]!, rest, m);
  return obj;
}

function apply(node: Tree, m: Mutation): Tree {
  switch (m.kind) {
    case "replace":
      return m.value;
    case "delete":
    case "duplicate":
      return node;
    case "add-key":
      return node !== null && typeof node === "object" && !Array.isArray(node) && !(node instanceof Code) && !(node instanceof Getter) ? { ...(node as Record<string, Tree>), [m.key]: m.value } : node;
    case "wrap-in-array":
      return [node];
  }
}

export const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...HOSTILE).map((value): Mutation => ({ kind: "replace", value })) },
  { weight: 2, arbitrary: fc.constant<Mutation>({ kind: "delete" }) },
  { weight: 1, arbitrary: fc.record({ key: fc.constantFrom("extra", "prots", "__proto__", "constructor", "toString"), value: fc.constantFrom(...HOSTILE) }).map((x): Mutation => ({ kind: "add-key", ...x })) },
  { weight: 1, arbitrary: fc.constant<Mutation>({ kind: "wrap-in-array" }) },
  { weight: 1, arbitrary: fc.constant<Mutation>({ kind: "duplicate" }) },
);

/** Applies `count` mutations at node indices picked by `picks` (taken modulo the number of nodes). */
export function mutateTrees(trees: MeshTrees, mutations: readonly { pick: number; mutation: Mutation }[]): MeshTrees {
  let current = { spec: trees.spec, policies: [...trees.policies] };
  for (const { pick, mutation } of mutations) {
    const roots: Tree[] = [current.spec, ...current.policies];
    const all = roots.flatMap((r, i) => [[i] as Path, ...nodePaths(r).map((p) => [i, ...p] as Path)]);
    const [root, ...path] = all[pick % all.length]!;
    const mutated = mutateAt(roots[root as number]!, path, mutation);
    if (root === 0) current = { ...current, spec: mutated };
    else current.policies[(root as number) - 1] = mutated;
  }
  return current;
}
