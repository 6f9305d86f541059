// The two ways a mesh file is run (esbuild erasing types from the instrumented text, TypeScript's
// emitter with a transformer) must not differ in anything a mesh can observe: values, exports,
// the spans its literals record, `this` in imported functions, live bindings, and where an error
// is reported. Each source runs through both, and esbuild's must be the route taken. The esbuild
// route instruments a syntax tree from TypeScript 6 or from the native checker (TypeScript 7):
// both trees must give the same instrumented code, character for character.
import path from "node:path";
import vm from "node:vm";
import type { SourceFile as NativeSourceFile } from "typescript-native/unstable/ast";
import { API } from "typescript-native/unstable/sync";
import { afterAll, describe, expect, it } from "vitest";
import { compileModule, type CompiledModule } from "./evaluate.js";
import { MeshSources } from "./source.js";

const FILE = path.resolve("/virtual/mesh/mesh.ts");
const sources = new MeshSources(FILE);

// The native checker, serving FILE (and a tsconfig naming it) from memory.
const CONFIG = path.resolve("/virtual/mesh/tsconfig.json");
let current = "";
const api = new API({
  cwd: path.dirname(FILE),
  fs: {
    readFile: (f) => (path.resolve(f) === FILE ? current : path.resolve(f) === CONFIG ? JSON.stringify({ compilerOptions: { target: "es2022", noEmit: true }, files: [FILE] }) : undefined),
    fileExists: (f) => (path.resolve(f) === FILE || path.resolve(f) === CONFIG ? true : undefined),
  },
});
let snapshot = api.updateSnapshot({ openProjects: [CONFIG] });
afterAll(() => api.close());

/** TypeScript 7's tree of `source`, as the native checker hands it over. */
function nativeTree(source: string): NativeSourceFile {
  current = source;
  const previous = snapshot;
  snapshot = api.updateSnapshot({ fileChanges: { changed: [FILE] } });
  previous.dispose();
  const tree = snapshot.getProject(CONFIG)!.program.getSourceFile(FILE)!;
  expect(tree.text).toBe(source);
  return tree;
}

interface Observed {
  readonly exports: unknown;
  readonly hooks: readonly string[];
  readonly error?: { readonly message: string; readonly at?: { line: number; column: number } };
}

function shape(value: unknown, seen = new Set<unknown>()): unknown {
  if (typeof value === "function") return `function ${value.name}/${value.length}`;
  if (typeof value !== "object" || value === null) return value;
  if (seen.has(value)) return "[cycle]";
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => shape(v, seen));
  return Object.fromEntries(Object.getOwnPropertyNames(value).map((k) => [k, shape((value as Record<string, unknown>)[k], seen)]));
}

/** Fake modules the sources import. */
function modules(): Record<string, unknown> {
  let reads = 0;
  const live = {
    get counter() {
      reads += 1;
      return reads;
    },
  };
  return {
    meshc: { defineMesh: (spec: unknown, ...policies: unknown[]) => ({ spec, policies }), thisIs: function (this: unknown) { return this === undefined ? "undefined" : typeof this; } },
    "./live": live,
    "./plain": { default: "not an ES module's default", named: "named" },
    "./esm": { __esModule: true, default: "default export", named: "named export" },
    "./side": {},
  };
}

function run(unit: CompiledModule): Observed {
  const hooks: string[] = [];
  const hook = (value: unknown, index: number) => {
    hooks.push(`${Array.isArray(value) ? "array" : typeof value} ${JSON.stringify(unit.table[index])}`);
    return value;
  };
  const mod = { exports: {} as Record<string, unknown> };
  const available = modules();
  const require = (id: string) => {
    if (id in available) return available[id];
    throw new Error(`no module ${id}`);
  };
  const fn = (vm.compileFunction(unit.code, ["exports", "require", "module", "__filename", "__dirname", "__meshc_span"], { filename: FILE }) as (...args: unknown[]) => void);
  try {
    fn(mod.exports, require, mod, FILE, path.dirname(FILE), hook);
  } catch (error) {
    // The first frame in the file, as the loader finds it.
    const frame = ((error as Error).stack ?? "")
      .split("\n")
      .map((line) => /\(?((?:\/|[A-Za-z]:\\)[^():]+):(\d+):(\d+)\)?\s*$/.exec(line))
      .find((m) => m?.[1] === FILE);
    const at = frame ? unit.original(Number(frame[2]), Number(frame[3]) - 1) : undefined;
    // Not the exports: esbuild's are getters, which throw for a binding the error left uninitialised.
    return { exports: undefined, hooks, error: { message: String(error), ...(at ? { at } : {}) } };
  }
  return { exports: shape(mod.exports), hooks };
}

function both(source: string): { esbuild: Observed | undefined; typescript: Observed } {
  const fast = compileModule(FILE, source, sources, "esbuild");
  const typescript = compileModule(FILE, source, sources, "typescript")!;
  if (fast) {
    const tree = nativeTree(source);
    const native = compileModule(FILE, source, sources, "esbuild", (f) => (f === FILE ? tree : undefined))!;
    expect(native.code, "TypeScript 7's tree instruments differently").toBe(fast.code);
    expect(native.table).toEqual(fast.table);
    expect(run(native)).toEqual(run(fast));
  }
  return { esbuild: fast && run(fast), typescript: run(typescript) };
}

/** Runs `source` both ways, expects the esbuild route to take it, and the same observations. */
function same(source: string): Observed {
  const { esbuild, typescript } = both(source);
  expect(esbuild, "the esbuild route refused the file").toBeDefined();
  // The same line; the column may be one apart: for an error inside a member expression,
  // esbuild's source map can mark the `.` where TypeScript's marks the property name after it.
  const [a, b] = [esbuild!.error?.at, typescript.error?.at];
  if (a && b) {
    expect(a.line).toBe(b.line);
    expect(Math.abs(a.column - b.column)).toBeLessThanOrEqual(1);
    expect({ ...esbuild, error: { ...esbuild!.error, at: b } }).toEqual(typescript);
    return typescript;
  }
  expect(esbuild).toEqual(typescript);
  return typescript;
}

describe("running a mesh file through esbuild", () => {
  it("erases annotations, assertions, generics, interfaces and declarations", () => {
    const seen = same(`
      import { defineMesh } from "meshc";
      interface Port { port: number; protocol?: "http" | "grpc" }
      type Ports = Record<string, Port>;
      declare const ambient: number;
      declare function ambientFn(): void;
      function overloaded(a: string): string;
      function overloaded(a: number): number;
      function overloaded(a: unknown): unknown { return a; }
      const http = { port: 80 } satisfies Port;
      const grpc = <Port>{ port: 9090, protocol: "grpc" };
      const ports: Ports = { http, grpc: grpc as Port };
      let late!: number;
      late = 3;
      const pick = <T,>(xs: readonly T[], i?: number): T | undefined => xs[i ?? 0];
      function twice<T extends number>(x: T): number { return x * 2; }
      const first = pick<string>(["a", "b"])!;
      const conf = { mode: "strict" } as const;
      class Plain { static n = 1; value = 2; get doubled(): number { return this.value * 2; } method(x: number): number { return x + Plain.n; } }
      export default defineMesh({ name: "m", ports, first, late, mode: conf.mode, twice: twice(2), over: overloaded(1), plain: new Plain().method(new Plain().doubled) }, (s: unknown) => ({ s }));
    `);
    expect(seen.exports).toMatchObject({ __esModule: true, default: { spec: { name: "m", first: "a", late: 3, twice: 4, over: 1, plain: 5 } } });
    expect(seen.hooks.length).toBeGreaterThan(5);
  });

  it("instruments literals in awkward places as TypeScript's route does", () => {
    same(`
      function* gen() { yield[1, 2]; yield{ a: 1 }; }
      function ret() { return{ x: [..."ab"] }; }
      const ctor = new function () { (this as { v: number }).v = 3; } as unknown as { v: number };
      const [a0, b0] = [1, 2];
      let c0: number, d0: number;
      [c0, d0] = [a0, b0];
      ({ c0, d0 } = { c0: 5, d0: 6 });
      const arr = (() => [c0, d0])();
      const nested = [[[]], { a: [{ b: () => ({}) }] }];
      const tagged = ((s: TemplateStringsArray) => s.length)\`x\${[1]}y\`;
      export const out = { ctor: ctor.v, arr, gen: [...gen()], ret: ret(), nested, tagged };
    `);
  });

  it("rewrites imports to live bindings, without `this`, and drops type-only ones", () => {
    const seen = same(`
      import { defineMesh, thisIs, type Unused } from "meshc";
      import type { Only } from "./types-only";
      import { NeverUsedAsValue } from "./types-too";
      import { counter } from "./live";
      import plain, { named } from "./plain";
      import esm from "./esm";
      import * as star from "./esm";
      import "./side";
      const typed: NeverUsedAsValue | Only | Unused | undefined = undefined;
      const reads = [counter, counter];
      export default defineMesh({ thisIs: thisIs(), reads, plain, named, esm, star: star.named, short: { thisIs }, typed });
    `);
    expect(seen.exports).toMatchObject({ default: { spec: { thisIs: "undefined", reads: [1, 2], plain: { named: "named" }, esm: "default export", star: "named export" } } });
  });

  it("exports constants and hoisted functions in TypeScript's order", () => {
    same(`
      export const early = hoisted();
      export function hoisted() { return "hoisted"; }
      export const a = 1, b = { c: [a] };
      export type T = number;
      export interface I { x: T }
      export declare const d: number;
      export type { T as U };
      export {};
      export default function named() { return a; }
    `);
  });

  it("keeps statements apart where an erased type ended a line", () => {
    same(`
      const obj = { f: (x: number) => x + 1 };
      const g = obj as any
      ;(globalThis as any).__strip_test = 1
      const h = obj as { f: (x: number) => number }
      ;[1, 2].forEach((x) => h.f(x))
      const fromParen = (obj.f as (x: number) => number)
      (2)
      export const out = { g: typeof g, fromParen };
    `);
  });

  it("reports an error where it was thrown", () => {
    const seen = same(`
      import { defineMesh } from "meshc";
      interface Spec { name: string }
      const spec: Spec = { name: "m" };
      const broken = (x: { y?: { z: number } }): number => x.y!.z;
      export default defineMesh(spec, () => ({ value: broken({}) }));
      broken({});
    `);
    expect(seen.error?.at).toEqual({ line: 5, column: 64 });
  });

  it("maps positions on lines that CR LF and Unicode separators end", () => {
    const seen = same(`const a: number = 1;\r\nconst b = "\u2028";\r\nconst c = { d: [a] } as const;\r\nexport const e = (null as unknown as { f: number }).f;\r\n`);
    expect(seen.error?.at).toEqual({ line: 5, column: 52 }); // the U+2028 in the string ends a line too
  });

  it("runs the rest of TypeScript's syntax the same way", () => {
    for (const source of [
      `enum E { A, B = "b" }\nexport const e = [E.A, E.B, E[0]];`,
      `namespace N { export const x = 1; }\nexport const y = N.x;`,
      `class C { constructor(private readonly x: number) {} get v() { return this.x; } }\nexport const c = new C(1).v;`,
      `class C { x: number = 1; declare y: number; }\nexport const c = Object.keys(new C());`,
      `abstract class A { abstract f(): void }\nexport const a = typeof A;`,
      `export let mutable = 1;\nmutable = 2;`,
      `const x = 1;\nexport { x, x as y };`,
      `export * from "./esm";`,
      `import { named } from "./plain";\nfunction f(named: string) { return named; }\nexport const g = [f("x"), named];`,
      `const a = 1, b = 2;\nexport const c = a + b as number * 2;`,
      `export const f = ((x: number):\n  number => x)(4);`,
      `import x = require("./plain");\nexport const y = x;`,
      // Strict mode, as in any ES module: writing to a frozen object throws.
      `const frozen: { a: number } = Object.freeze({ a: 1 });\nfrozen.a = 2;\nexport const z = frozen.a;`,
      `export const self = (function () { return this === undefined; })();`,
    ]) {
      same(source);
    }
  });

  it("leaves files with syntax errors to TypeScript, which reports them", () => {
    expect(() => compileModule(FILE, "export const x = ;", sources, "esbuild")).toThrow(/syntax errors/);
    expect(() => compileModule(FILE, "export const x = ;", sources, "typescript")).toThrow(/syntax errors/);
  });
});
