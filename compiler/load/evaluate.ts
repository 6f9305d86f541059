import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import vm from "node:vm";
import { TraceMap, originalPositionFor } from "@jridgewell/trace-mapping";
// `require`, not `import`: Node would scan the 9 MB CommonJS file for export names first (~0.7 s).
import ts = require("typescript");
import * as dsl from "../../dsl/index.js";
import type { Span } from "../ir.js";
import type { MeshSources } from "./source.js";
import type { LiteralSpans, SpanRegistry } from "./spans.js";
import { meshCompilerOptions } from "./typecheck.js";

/** The name of the hook instrumented literals call; unlikely to clash with user code. */
const SPAN_HOOK = "__meshc_span";

interface CompiledModule {
  readonly code: string;
  readonly map: TraceMap;
  readonly table: readonly LiteralSpans[];
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
 * process with a `require` that hands out the compiler's own DSL module for "meshc".
 */
export function evaluateMesh(
  sources: MeshSources,
  registry: SpanRegistry,
  transpiled?: TranspileCache,
): { exports: Record<string, unknown>; locate: (error: unknown) => Span | undefined } {
  const compiled = new Map<string, CompiledModule>();
  const cache = new Map<string, { exports: Record<string, unknown> }>();

  const load = (file: string): Record<string, unknown> => {
    const cached = cache.get(file);
    if (cached) return cached.exports;
    const mod = { exports: {} as Record<string, unknown> };
    cache.set(file, mod);
    const unit = compileCached(file, sources, transpiled);
    compiled.set(file, unit);
    const fn = vm.compileFunction(unit.code, ["exports", "require", "module", "__filename", "__dirname", SPAN_HOOK], {
      filename: file,
    }) as (...args: unknown[]) => void;
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
      const resolved = ts.resolveModuleName(specifier, from, meshCompilerOptions(), ts.sys).resolvedModule;
      const target = resolved?.resolvedFileName;
      if (target && /\.(c|m)?tsx?$/.test(target) && !target.endsWith(".d.ts") && !target.includes("/node_modules/")) {
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
    const pos = originalPositionFor(unit.map, { line: Number(m[2]), column: Number(m[3]) - 1 });
    if (pos.line === null) continue;
    const lineNo = pos.line;
    const col = (pos.column ?? 0) + 1;
    return { file: sources.relative(m[1]!), line: lineNo, column: col, endLine: lineNo, endColumn: col };
  }
  return undefined;
}

/** Instrumented modules by file, for watch mode: an unchanged file is not transpiled again. */
export type TranspileCache = Map<string, { readonly root: string; readonly text: string; readonly unit: CompiledModule }>;

function compileCached(file: string, sources: MeshSources, cache: TranspileCache | undefined): CompiledModule {
  const text = fs.readFileSync(file, "utf8");
  if (!cache) return compile(file, text, sources);
  const hit = cache.get(file);
  // Spans in the table are relative to the mesh's root, so a hit must share it.
  if (hit && hit.text === text && hit.root === sources.root) return hit.unit;
  const unit = compile(file, text, sources);
  cache.set(file, { root: sources.root, text, unit });
  return unit;
}

function compile(file: string, text: string, sources: MeshSources): CompiledModule {
  const table: LiteralSpans[] = [];
  const out = ts.transpileModule(text, {
    fileName: file,
    compilerOptions: {
      ...meshCompilerOptions(),
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      noEmit: false,
      sourceMap: true,
      inlineSources: false,
      verbatimModuleSyntax: false,
      isolatedModules: true,
    },
    transformers: { before: [instrument(sources, table)] },
    reportDiagnostics: true,
  });
  // Without a type-check nothing else parses the file, and transpiling garbage runs garbage.
  const syntax = (out.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error && d.file);
  if (syntax.length > 0) throw new EvaluationError("syntax errors", "syntax", undefined, undefined, sources.relative(file), syntax);
  return { code: out.outputText.replace(/\n\/\/# sourceMappingURL=.*$/, ""), map: new TraceMap(out.sourceMapText!), table };
}

/** Wraps literals in `__meshc_span(<literal>, <index>)`, with their spans in `table[index]`. */
function instrument(sources: MeshSources, table: LiteralSpans[]): ts.TransformerFactory<ts.SourceFile> {
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
  let child: ts.Node = node;
  let parent = node.parent;
  while (
    parent &&
    (ts.isObjectLiteralExpression(parent) ||
      ts.isArrayLiteralExpression(parent) ||
      ts.isPropertyAssignment(parent) ||
      ts.isShorthandPropertyAssignment(parent) ||
      ts.isSpreadElement(parent) ||
      ts.isSpreadAssignment(parent) ||
      ts.isParenthesizedExpression(parent))
  ) {
    child = parent;
    parent = parent.parent;
  }
  if (!parent) return false;
  if (ts.isBinaryExpression(parent) && parent.operatorToken.kind === ts.SyntaxKind.EqualsToken && parent.left === child) return true;
  if ((ts.isForOfStatement(parent) || ts.isForInStatement(parent)) && parent.initializer === child) return true;
  return false;
}
