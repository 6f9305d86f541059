import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import vm from "node:vm";
import { TraceMap, originalPositionFor } from "@jridgewell/trace-mapping";
import type { TransformOptions } from "esbuild";
import type ts from "typescript";
import { SyntaxKind as NativeKind, type Node as NativeNode, type SourceFile as NativeSourceFile } from "typescript-native/unstable/ast";
import * as dsl from "../../dsl/index.js";
import type { Span } from "../ir.js";
import { isTypeScriptModule, relativeImportCandidates } from "./imports.js";
import { lineStarts, type MeshSources } from "./source.js";
import type { LiteralSpans, SpanRegistry } from "./spans.js";
import { typescript6 } from "./ts6.js";
import { transform, transformAll, type TransformError, type Transformed } from "./transpiler.js";
import { meshCompilerOptions } from "./typecheck.js";

/** The name of the hook instrumented literals call; unlikely to clash with user code. */
const SPAN_HOOK = "__meshc_span";

export interface CompiledModule {
  readonly code: string;
  readonly table: readonly LiteralSpans[];
  /**
   * Where a position of `code` (1-based line, 0-based column) was written in the TypeScript
   * source. Only an error needs it, so the source map behind it is made on first use.
   */
  readonly original: (line: number, column: number) => { readonly line: number; readonly column: number } | undefined;
  /** Compiled by TypeScript's emitter rather than esbuild (JSX, syntax errors, what esbuild refused). */
  readonly viaTypeScript?: true;
}

/**
 * The parsed user files of the type-check, so evaluation does not parse them again: TypeScript 6's
 * source files, or TypeScript 7's (read from the native checker, which parsed them already).
 */
export type ParsedFiles = (file: string) => ts.SourceFile | NativeSourceFile | undefined;

/**
 * What instrumentation reads of a syntax tree. TypeScript 6 and 7 trees have the same shape and
 * property names, but different SyntaxKind numbers and a different way to list children.
 */
interface Syntax<N> {
  readonly kind: {
    readonly ObjectLiteralExpression: number;
    readonly ArrayLiteralExpression: number;
    readonly ArrowFunction: number;
    readonly FunctionExpression: number;
    readonly NewExpression: number;
    readonly Identifier: number;
    readonly StringLiteral: number;
    readonly NumericLiteral: number;
    readonly PropertyAssignment: number;
    readonly ShorthandPropertyAssignment: number;
    readonly SpreadElement: number;
    readonly SpreadAssignment: number;
    readonly ParenthesizedExpression: number;
    readonly BinaryExpression: number;
    readonly EqualsToken: number;
    readonly ForOfStatement: number;
    readonly ForInStatement: number;
  };
  forEachChild(node: N, visit: (child: N) => void): void;
}

let ts6SyntaxCache: Syntax<ts.Node> | undefined;

/** TypeScript 6's syntax, made on first use (loading TypeScript 6 is not free). */
function ts6Syntax(): Syntax<ts.Node> {
  const ts = typescript6();
  return (ts6SyntaxCache ??= { kind: ts.SyntaxKind, forEachChild: (node, visit) => void ts.forEachChild(node, visit) });
}

const NATIVE_SYNTAX: Syntax<NativeNode> = {
  kind: NativeKind,
  forEachChild: (node, visit) => void node.forEachChild(visit),
};

/** The fields of a node instrumentation reads, whichever TypeScript parsed it. */
interface AnyNode {
  readonly kind: number;
  getStart(sf?: never): number;
  getEnd(): number;
  readonly properties?: readonly AnyNode[];
  readonly elements?: readonly AnyNode[];
  readonly name?: AnyNode & { readonly text?: string };
  readonly expression?: AnyNode;
  readonly operatorToken?: AnyNode;
  readonly left?: AnyNode;
  readonly initializer?: AnyNode;
}

/** A parsed file, with the syntax that reads it. */
interface ParsedFile {
  readonly sf: { readonly text: string; readonly fileName: string; getLineAndCharacterOfPosition(position: number): { line: number; character: number } };
  readonly syntax: Syntax<AnyNode>;
}

function isNativeSourceFile(sf: ts.SourceFile | NativeSourceFile): sf is NativeSourceFile {
  // TypeScript 7's nodes are views on the checker's encoded tree; TypeScript 6's are plain objects.
  return !("parseDiagnostics" in sf);
}

/** A failure while running the mesh program, located in the user's source where possible. */
export class EvaluationError extends Error {
  constructor(
    message: string,
    readonly kind: "threw" | "module-not-found" | "syntax",
    readonly span: Span | undefined,
    readonly specifier?: string,
    readonly from?: string,
    /** For `syntax`: TypeScript's syntactic diagnostics of the file. */
    readonly diagnostics?: readonly ts.Diagnostic[],
  ) {
    super(message);
  }
}

/**
 * Runs the mesh program and returns the entry's exports. Each user file is transpiled to CommonJS
 * with every object/array literal and function instrumented to record its span, then run in this
 * process with a `require` that hands out the compiler's own DSL module for "meshc". `files`, the
 * mesh's files as the type-check found them, are transpiled together before it runs.
 */
export function evaluateMesh(
  sources: MeshSources,
  registry: SpanRegistry,
  transpiled?: TranspileCache,
  parsed?: ParsedFiles,
  files?: readonly string[],
): { exports: Record<string, unknown>; locate: (error: unknown) => Span | undefined } {
  const compiled = new Map<string, CompiledModule>();
  const cache = new Map<string, { exports: Record<string, unknown> }>();
  const texts = new Map<string, string>();
  const units: TranspileCache | undefined = transpiled ?? (files ? new Map() : undefined);
  if (files && units) compileAhead(files, sources, units, texts, parsed);

  const load = (file: string): Record<string, unknown> => {
    const cached = cache.get(file);
    if (cached) return cached.exports;
    const mod = { exports: {} as Record<string, unknown> };
    cache.set(file, mod);
    const unit = compileCached(file, sources, units, texts, parsed);
    compiled.set(file, unit);
    const fn = compiledFunction(unit, file);
    const hook = (value: unknown, index: number) => {
      const spans = unit.table[index];
      if (spans) registry.record(value, spans);
      return value;
    };
    fn(mod.exports, makeRequire(file), mod, file, path.dirname(file), hook);
    return mod.exports;
  };

  const makeRequire = (from: string) => {
    const nodeRequire = createRequire(from);
    return (specifier: string): unknown => {
      if (specifier === "meshc") return dsl;
      // A relative import of a file the type-check parsed: the first candidate in the order
      // TypeScript's resolution tries them is the file it resolved to (an earlier one would exist).
      if (parsed && (specifier.startsWith("./") || specifier.startsWith("../"))) {
        const known = relativeImportCandidates(specifier)
          .map((c) => path.resolve(path.dirname(from), c))
          .find((c) => isTypeScriptModule(c) && parsed(c) !== undefined);
        if (known) return load(known);
      }
      const ts = typescript6();
      const resolved = ts.resolveModuleName(specifier, from, meshCompilerOptions(), ts.sys).resolvedModule;
      const target = resolved?.resolvedFileName;
      if (target && isTypeScriptModule(target) && !target.includes("/node_modules/")) {
        return load(path.resolve(target));
      }
      try {
        return nodeRequire(specifier);
      } catch {
        throw new EvaluationError(`cannot load module "${specifier}"`, "module-not-found", undefined, specifier, sources.relative(from));
      }
    };
  };

  try {
    return { exports: load(sources.entry), locate: (error) => locate(error, compiled, sources) };
  } catch (error) {
    if (error instanceof EvaluationError) throw error;
    throw new EvaluationError(describe(error), "threw", locate(error, compiled, sources));
  }
}

/** A module's function by its compiled unit: watch mode's cached units are not compiled by V8 again. */
const functions = new WeakMap<CompiledModule, ModuleFunction>();

type ModuleFunction = (...args: unknown[]) => void;

/**
 * The module's code as a function of its CommonJS arguments and the span hook. It is the same for
 * every run of an unchanged file, and each call runs the module's body afresh, so a unit kept by
 * watch mode keeps its function: at 1,000 services V8 compiling the 41 files again was ~40 ms of
 * each ~350 ms re-check.
 */
function compiledFunction(unit: CompiledModule, file: string): ModuleFunction {
  let fn = functions.get(unit);
  if (!fn) {
    fn = vm.compileFunction(unit.code, ["exports", "require", "module", "__filename", "__dirname", SPAN_HOOK], { filename: file }) as ModuleFunction;
    functions.set(unit, fn);
  }
  return fn;
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name === "Error" ? "" : `${error.name}: `}${error.message}`;
  return `a non-error value was thrown: ${String(error)}`;
}

/** The first stack frame in a user file, mapped back to its TypeScript source. */
export function locate(error: unknown, compiled: ReadonlyMap<string, CompiledModule>, sources: MeshSources): Span | undefined {
  const stack = error instanceof Error ? (error.stack ?? "") : "";
  for (const line of stack.split("\n")) {
    const m = /\(?((?:\/|[A-Za-z]:\\)[^():]+):(\d+):(\d+)\)?\s*$/.exec(line);
    if (!m) continue;
    const unit = compiled.get(m[1]!);
    if (!unit) continue;
    const pos = unit.original(Number(m[2]), Number(m[3]) - 1);
    if (!pos) continue;
    const lineNo = pos.line;
    const col = pos.column + 1;
    return { file: sources.relative(m[1]!), line: lineNo, column: col, endLine: lineNo, endColumn: col };
  }
  return undefined;
}

/**
 * Instrumented modules by file. Watch mode keeps one between runs, so an unchanged file is not
 * transpiled again; a run without one compiles its files into its own (see `compileAhead`).
 */
export type TranspileCache = Map<string, { readonly root: string; readonly text: string; readonly unit: CompiledModule }>;

function compileCached(file: string, sources: MeshSources, cache: TranspileCache | undefined, texts: Map<string, string>, parsed: ParsedFiles | undefined): CompiledModule {
  const text = readText(file, texts);
  if (!cache) return compile(file, text, sources, parsed);
  const hit = cachedUnit(cache, file, text, sources);
  if (hit) return hit;
  const unit = compile(file, text, sources, parsed);
  cache.set(file, { root: sources.root, text, unit });
  return unit;
}

/** The kept module of this text of the file, if any. */
function cachedUnit(cache: TranspileCache, file: string, text: string, sources: MeshSources): CompiledModule | undefined {
  const hit = cache.get(file);
  // Spans in the table are relative to the mesh's root, so a hit must share it.
  return hit && hit.text === text && hit.root === sources.root ? hit.unit : undefined;
}

function transpileOptions(): ts.CompilerOptions {
  const ts = typescript6();
  return {
    ...meshCompilerOptions(),
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    noEmit: false,
    sourceMap: true,
    inlineSources: false,
    verbatimModuleSyntax: false,
    isolatedModules: true,
  };
}

/**
 * Instruments a file by inserting the span hook's calls into its TypeScript text, then has esbuild
 * erase the types and write CommonJS. esbuild only reprints the text; TypeScript's `transpileModule`
 * re-parses, binds and resolves every identifier for import elision first, which cost a mesh of
 * 1,000 services ~1 s of the ~1.1 s it took to run (esbuild: ~0.1 s). The instrumentation
 * reuses the type-check's parse. JSX files, and text esbuild will not take, go TypeScript's route,
 * which also reports syntax errors at the user's positions.
 */
function compile(file: string, text: string, sources: MeshSources, parsed: ParsedFiles | undefined): CompiledModule {
  const prepared = prepare(file, text, sources, parsed);
  if ("unit" in prepared) return prepared.unit;
  return finish(file, text, sources, prepared, transformAll([{ input: prepared.code, options: esbuildOptions(file, false) }])[0]!);
}

/** A file instrumented for esbuild, or compiled already when it takes TypeScript's route. */
type Prepared = { readonly unit: CompiledModule } | (ReturnType<typeof instrumentText> & { readonly sf: ParsedFile["sf"] });

/** The first step of {@link compile}: everything before esbuild. */
function prepare(file: string, text: string, sources: MeshSources, parsed: ParsedFiles | undefined): Prepared {
  if (/\.[cm]?[jt]sx$/.test(file)) return { unit: compileWithTransformer(file, text, sources) };
  const reused = parsed?.(file);
  let tree: ParsedFile;
  if (reused && reused.text === text && isNativeSourceFile(reused)) {
    // The native checker only hands over files it parsed without errors.
    tree = { sf: reused, syntax: NATIVE_SYNTAX as unknown as Syntax<AnyNode> };
  } else {
    const ts = typescript6();
    const sf = reused && reused.text === text ? (reused as ts.SourceFile) : ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
    if (hasSyntaxErrors(sf)) return { unit: compileWithTransformer(file, text, sources) };
    tree = { sf, syntax: ts6Syntax() as unknown as Syntax<AnyNode> };
  }
  return { ...instrumentText(tree, sources), sf: tree.sf };
}

/** The last step of {@link compile}: the module from esbuild's output (TypeScript's route where esbuild refused the text). */
function finish(file: string, text: string, sources: MeshSources, prepared: Exclude<Prepared, { unit: CompiledModule }>, transformed: Transformed | TransformError): CompiledModule {
  if ("error" in transformed) return compileWithTransformer(file, text, sources);
  const { code: instrumented, table, inserts, sf } = prepared;
  let map: TraceMap | undefined;
  const original = (line: number, column: number) => {
    // The same input and options but a source map: the same code, with its map.
    map ??= new TraceMap(transform(instrumented, esbuildOptions(file, true)).map);
    const pos = originalPositionFor(map, { line, column });
    if (pos.line === null) return undefined;
    const at = inserts.original(positionOf(instrumented, inserts.lineStarts, pos.line - 1, pos.column ?? 0));
    const lc = sf.getLineAndCharacterOfPosition(at);
    return { line: lc.line + 1, column: lc.character };
  };
  return { code: transformed.code, table, original };
}

/**
 * Compiles the files a mesh is made of into `cache` before it runs, with few requests to esbuild,
 * which transforms a request's files at once. Asked one by one, as the mesh's imports reached
 * them, a mesh of 1,000 services in 41 files waited 0.43–0.53 s for the 41 answers (on 2 cores,
 * beside the checker); in two requests (see {@link AHEAD_BATCH}), 0.20–0.34 s. A file that cannot
 * be compiled here is left to its import, which reports what is wrong with it (it may never be
 * imported: a file of types only).
 */
function compileAhead(files: readonly string[], sources: MeshSources, cache: TranspileCache, texts: Map<string, string>, parsed: ParsedFiles | undefined): void {
  const ready: [file: string, text: string, prepared: Exclude<Prepared, { unit: CompiledModule }>][] = [];
  for (const file of files) {
    try {
      const text = readText(file, texts);
      if (cachedUnit(cache, file, text, sources)) continue;
      const prepared = prepare(file, text, sources, parsed);
      if ("unit" in prepared) cache.set(file, { root: sources.root, text, unit: prepared.unit });
      else ready.push([file, text, prepared]);
    } catch {
      // Left to the import (see above).
    }
  }
  for (let first = 0; first < ready.length; ) {
    // A request at most AHEAD_BATCH long (but of one file at least).
    let last = first + 1;
    for (let size = ready[first]![2].code.length; last < ready.length && size + ready[last]![2].code.length <= AHEAD_BATCH; last++) size += ready[last]![2].code.length;
    const batch = ready.slice(first, last);
    const transformed = transformAll(batch.map(([file, , prepared]) => ({ input: prepared.code, options: esbuildOptions(file, false) })));
    batch.forEach(([file, text, prepared], i) => {
      try {
        cache.set(file, { root: sources.root, text, unit: finish(file, text, sources, prepared, transformed[i]!) });
      } catch {
        // Left to the import (see above).
      }
    });
    first = last;
  }
}

/**
 * The most instrumented text (UTF-16 code units) sent to esbuild in one request. esbuild holds
 * every file of a request at once, and its process keeps the memory: all 41 files of 5,000
 * services (3.1 MB) in one request took it from ~20 to 76–105 MiB, beside meshc's and the
 * checker's peaks. Files are sent in requests up to this size instead.
 */
const AHEAD_BATCH = 512 * 1024;

/** A file's text, read once per run of the mesh. */
function readText(file: string, texts: Map<string, string>): string {
  let text = texts.get(file);
  if (text === undefined) texts.set(file, (text = fs.readFileSync(file, "utf8")));
  return text;
}

/**
 * One file compiled by one route, for tests that hold the two routes to the same behaviour:
 * undefined when the esbuild route would hand the file to TypeScript's.
 */
export function compileModule(file: string, text: string, sources: MeshSources, route: "esbuild" | "typescript", parsed?: ParsedFiles): CompiledModule | undefined {
  if (route === "typescript") return compileWithTransformer(file, text, sources);
  const unit = compile(file, text, sources, parsed);
  return unit.viaTypeScript ? undefined : unit;
}

/** Whether the parser reported errors in `sf` (the type-check reports them; evaluation must not run the file). */
function hasSyntaxErrors(sf: ts.SourceFile): boolean {
  const errors = (sf as unknown as { parseDiagnostics?: readonly unknown[] }).parseDiagnostics;
  return !Array.isArray(errors) || errors.length > 0;
}

/**
 * TypeScript's semantics for what esbuild cannot read from a tsconfig here: strict mode (a mesh file
 * is an ES module, and writing to a frozen handle must throw), ES2022 class fields
 * (`useDefineForClassFields`, as TypeScript's ES2022 target implies), unused imports elided, and
 * CommonJS with the `__esModule` interop TypeScript's `esModuleInterop` gives.
 */
function esbuildOptions(file: string, sourcemap: boolean): TransformOptions {
  return {
    loader: /\.[cm]?js$/.test(file) ? "js" : "ts",
    format: "cjs",
    target: "es2022",
    sourcefile: file,
    sourcemap: sourcemap ? "external" : false,
    logLevel: "silent",
    tsconfigRaw: { compilerOptions: { alwaysStrict: true, useDefineForClassFields: true, verbatimModuleSyntax: false, experimentalDecorators: false } },
  };
}

/** Offset of a 0-based line and column in a text whose line starts are `lineStarts`. */
function positionOf(text: string, lineStarts: readonly number[], line: number, column: number): number {
  const start = lineStarts[Math.min(line, lineStarts.length - 1)] ?? 0;
  return Math.min(start + column, text.length);
}

/** What {@link instrumentText} inserted, to map positions of its text back to the original's. */
interface Inserts {
  readonly lineStarts: readonly number[];
  /** The original offset of an offset in the instrumented text (an inserted call maps to where it was inserted). */
  original(offset: number): number;
}

const HOOK_OPEN = `${SPAN_HOOK}(`;

/**
 * `text` with every object and array literal and every function expression `x` written as
 * `__meshc_span(x, <index>)`, and the spans of each in `table[index]`. No line breaks are inserted.
 */
function instrumentText({ sf, syntax }: ParsedFile, sources: MeshSources): { code: string; table: LiteralSpans[]; inserts: Inserts } {
  const text = sf.text;
  const file = sources.relative(sf.fileName);
  const k = syntax.kind;
  const startOf = (node: AnyNode): number => node.getStart(sf as never);
  const spanOf = (node: AnyNode): Span => {
    const a = sf.getLineAndCharacterOfPosition(startOf(node));
    const b = sf.getLineAndCharacterOfPosition(node.getEnd());
    return { file, line: a.line + 1, column: a.character + 1, endLine: b.line + 1, endColumn: b.character + 1 };
  };
  const table: LiteralSpans[] = [];
  // Insertions in text order: an outer literal opens before and closes after those inside it.
  const at: number[] = [];
  const texts: string[] = [];
  const ancestors: AnyNode[] = [];
  const parentOf = (depth: number): AnyNode | undefined => ancestors[depth - 1];
  const visit = (node: AnyNode): void => {
    const depth = ancestors.length;
    let spans: LiteralSpans | undefined;
    if (node.kind === k.ObjectLiteralExpression && !isPatternAt(node, ancestors, depth, syntax)) {
      // No prototype: a key named "constructor" or "__proto__" must not find Object.prototype's.
      const keys: Record<string, Span> = Object.create(null);
      for (const p of node.properties!) {
        const n = p.name;
        const name = n && (n.kind === k.Identifier || n.kind === k.StringLiteral || n.kind === k.NumericLiteral) ? n.text : undefined;
        if (name !== undefined) keys[name] = spanOf(p);
      }
      spans = { span: spanOf(node), keys };
    } else if (node.kind === k.ArrayLiteralExpression && !isPatternAt(node, ancestors, depth, syntax)) {
      spans = { span: spanOf(node), items: node.elements!.map(spanOf) };
    } else if (node.kind === k.ArrowFunction || node.kind === k.FunctionExpression) {
      spans = { span: spanOf(node) };
    }
    let close: string | undefined;
    if (spans) {
      const index = table.push(spans) - 1;
      const start = startOf(node);
      const parent = parentOf(depth);
      // `new function () {}` must stay a construction of the function, not of the hook's result.
      const callee = parent !== undefined && parent.kind === k.NewExpression && parent.expression === node;
      // `return{…}`, `yield[…]`: the hook's name must not run into the word before it.
      const glue = start > 0 && /[\w$\\\u0080-\uffff]/.test(text[start - 1]!) ? " " : "";
      at.push(start);
      texts.push(`${glue}${callee ? "(" : ""}${HOOK_OPEN}`);
      close = `, ${index})${callee ? ")" : ""}`;
    }
    ancestors.push(node);
    syntax.forEachChild(node, visit);
    ancestors.pop();
    if (close !== undefined) {
      at.push(node.getEnd());
      texts.push(close);
    }
  };
  syntax.forEachChild(sf as unknown as AnyNode, visit);

  // Children are visited in text order, so `at` is already sorted; a stable sort guards that.
  const order = at.map((_, i) => i);
  for (let i = 1; i < at.length; i++) {
    if (at[i]! < at[i - 1]!) {
      order.sort((x, y) => at[x]! - at[y]!);
      break;
    }
  }
  const parts: string[] = [];
  const starts: number[] = []; // where each insertion begins in the instrumented text
  const ends: number[] = [];
  const shifts: number[] = []; // characters inserted up to and including each insertion
  let last = 0;
  let shift = 0;
  for (const i of order) {
    const pos = at[i]!;
    const inserted = texts[i]!;
    parts.push(text.slice(last, pos));
    starts.push(pos + shift);
    parts.push(inserted);
    shift += inserted.length;
    ends.push(pos + shift);
    shifts.push(shift);
    last = pos;
  }
  parts.push(text.slice(last));
  const code = parts.join("");
  let lines: readonly number[] | undefined;
  const inserts: Inserts = {
    get lineStarts() {
      // Every ECMAScript line terminator, as esbuild's source map counts lines.
      lines ??= lineStarts(code);
      return lines;
    },
    original(offset) {
      // The last insertion that begins at or before the offset.
      let lo = 0;
      let hi = starts.length - 1;
      let found = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (starts[mid]! <= offset) {
          found = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      if (found === -1) return offset;
      if (offset < ends[found]!) return starts[found]! - (shifts[found]! - (ends[found]! - starts[found]!));
      return offset - shifts[found]!;
    },
  };
  return { code, table, inserts };
}

/** The original route: the TypeScript transformer wraps the literals while transpiling. */
function compileWithTransformer(file: string, text: string, sources: MeshSources): CompiledModule {
  const table: LiteralSpans[] = [];
  const ts = typescript6();
  const out = ts.transpileModule(text, {
    fileName: file,
    compilerOptions: transpileOptions(),
    transformers: { before: [instrument(sources, table)] },
    reportDiagnostics: true,
  });
  // Without a type-check nothing else parses the file, and transpiling garbage runs garbage.
  const syntax = (out.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error && d.file);
  if (syntax.length > 0) throw new EvaluationError("syntax errors", "syntax", undefined, undefined, sources.relative(file), syntax);
  const map = new TraceMap(out.sourceMapText!);
  const original = (line: number, column: number) => {
    const pos = originalPositionFor(map, { line, column });
    return pos.line === null ? undefined : { line: pos.line, column: pos.column ?? 0 };
  };
  return { code: out.outputText.replace(/\n\/\/# sourceMappingURL=.*$/, ""), table, original, viaTypeScript: true };
}

/** Wraps literals in `__meshc_span(<literal>, <index>)`, with their spans in `table[index]`. */
function instrument(sources: MeshSources, table: LiteralSpans[]): ts.TransformerFactory<ts.SourceFile> {
  const ts = typescript6();
  return (context) => (sf) => {
    const f = context.factory;
    const spanOf = (node: ts.Node) => sources.span(sf, node.getStart(sf), node.getEnd());
    const visit = (node: ts.Node): ts.Node => {
      const visited = ts.visitEachChild(node, visit, context);
      if (ts.isObjectLiteralExpression(node) && !isPattern(node)) {
        // No prototype: a key named "constructor" or "__proto__" must not find Object.prototype's.
        const keys: Record<string, Span> = Object.create(null);
        for (const p of node.properties) {
          const name = p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name) || ts.isNumericLiteral(p.name)) ? p.name.text : undefined;
          if (name !== undefined) keys[name] = spanOf(p);
        }
        return wrap(visited as ts.Expression, { span: spanOf(node), keys });
      }
      if (ts.isArrayLiteralExpression(node) && !isPattern(node)) {
        return wrap(visited as ts.Expression, { span: spanOf(node), items: node.elements.map(spanOf) });
      }
      if (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) {
        return wrap(visited as ts.Expression, { span: spanOf(node) });
      }
      return visited;
    };
    const wrap = (expr: ts.Expression, spans: LiteralSpans) => {
      table.push(spans);
      return f.createCallExpression(f.createIdentifier(SPAN_HOOK), undefined, [expr, f.createNumericLiteral(table.length - 1)]);
    };
    return ts.visitEachChild(sf, visit, context);
  };
}

/** True for literals that are destructuring targets (`[a, b] = x`), which must stay patterns. */
function isPattern(node: ts.Node): boolean {
  const ancestors: ts.Node[] = [];
  for (let p = node.parent; p; p = p.parent) ancestors.push(p);
  ancestors.reverse();
  return isPatternAt(node as unknown as AnyNode, ancestors as unknown as AnyNode[], ancestors.length, ts6Syntax() as unknown as Syntax<AnyNode>);
}

/** {@link isPattern}, with the node's ancestors given: `ancestors[depth - 1]` is its parent. */
function isPatternAt(node: AnyNode, ancestors: readonly AnyNode[], depth: number, { kind: k }: Syntax<AnyNode>): boolean {
  let child: AnyNode = node;
  let up = depth - 1;
  let parent = ancestors[up];
  while (
    parent &&
    (parent.kind === k.ObjectLiteralExpression ||
      parent.kind === k.ArrayLiteralExpression ||
      parent.kind === k.PropertyAssignment ||
      parent.kind === k.ShorthandPropertyAssignment ||
      parent.kind === k.SpreadElement ||
      parent.kind === k.SpreadAssignment ||
      parent.kind === k.ParenthesizedExpression)
  ) {
    child = parent;
    parent = ancestors[--up];
  }
  if (!parent) return false;
  if (parent.kind === k.BinaryExpression && parent.operatorToken!.kind === k.EqualsToken && parent.left === child) return true;
  if ((parent.kind === k.ForOfStatement || parent.kind === k.ForInStatement) && parent.initializer === child) return true;
  return false;
}
