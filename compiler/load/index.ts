import fs from "node:fs";
import type ts from "typescript";
import type { SourceFile as NativeSourceFile } from "typescript-native/unstable/ast";
import { createHandles } from "../../dsl/handles.js";
import { isMesh, type Mesh } from "../../dsl/index.js";
import { diagnostic } from "../codes.js";
import type { Diagnostic } from "../diagnostics.js";
import type { Span } from "../ir.js";
import { hasErrors } from "../diagnostics.js";
import { displayPath } from "../validate.js";
import { EvaluationError, evaluateMesh, type ParsedFiles, type TranspileCache } from "./evaluate.js";
import { MAX_ARRAY_LENGTH, snapshot, type SnapshotIssue } from "./snapshot.js";
import { MeshSources } from "./source.js";
import { SpanRegistry } from "./spans.js";
import { warmTranspiler } from "./transpiler.js";
import { createTypeCheckCache, disposeTypeCheckCache, fromTs, typeCheck, type TypeCheckCache } from "./typecheck.js";

/** What the mesh program declared: its spec and what each policy function returned. */
export interface RawMesh {
  readonly spec: unknown;
  readonly policies: readonly unknown[];
}

export interface Loaded<T = never> {
  readonly sources: MeshSources;
  readonly spans: SpanRegistry;
  readonly diagnostics: Diagnostic[];
  readonly program?: ts.Program;
  /** The mesh's own source files, absolute (the entry and what it imports), once type-checked. */
  readonly files?: readonly string[];
  /**
   * The only files type-checked again, when watch mode could tell an edit changes no other file's
   * diagnostics (see typecheck.ts); absent when every file was checked.
   */
  readonly rechecked?: readonly string[];
  /** Present when the mesh type-checked and ran. */
  readonly raw?: RawMesh;
  /** Span of the `defineMesh(…)` arguments: the fallback location for mesh-wide problems. */
  readonly meshSpan?: Span;
  /** What {@link LoadOptions.next} returned, when it ran beside the type-check. */
  readonly next?: T;
}

export interface LoadOptions<T = never> {
  /** Reuse a previous program's unchanged files (watch mode). */
  readonly oldProgram?: ts.Program;
  /** Skip type-checking (the caller already did, or wants evaluation only). */
  readonly skipTypeCheck?: boolean;
  /**
   * Receives milliseconds spent in `typecheck` (until its verdict was in hand), `evaluate` (running
   * mesh.ts and its policies) and `overlapped` (the work done while the checker worked, so within
   * `typecheck`: the evaluation and {@link next}).
   */
  readonly timings?: Record<string, number>;
  /** State reused across loads of the same mesh (watch mode); see {@link createLoadCache}. */
  readonly cache?: LoadCache;
  /**
   * Run the mesh while the native checker type-checks it, rather than after.
   * @default true, unless the environment sets MESHC_OVERLAP=0
   */
  readonly overlap?: boolean;
  /**
   * The caller's next steps on a mesh that ran without errors, done beside the type-check when the
   * mesh ran there; their result is {@link Loaded.next}, kept only if the mesh has no type errors.
   * Must not write anything: it may run for a mesh that turns out to have type errors.
   */
  readonly next?: (loaded: Loaded) => T;
}

/**
 * What a warm loader keeps between loads of one mesh: parsed and type-checked files (only files an
 * edit can affect are checked again) and transpiled modules (only changed files are transpiled
 * again). Create one per mesh and pass it to every load.
 */
export interface LoadCache {
  readonly typeCheck: TypeCheckCache;
  readonly transpiled: TranspileCache;
}

export function createLoadCache(): LoadCache {
  return { typeCheck: createTypeCheckCache(), transpiled: new Map() };
}

/** Stops what a cache keeps running between loads (the native type-checker's process). */
export function disposeLoadCache(cache: LoadCache): void {
  disposeTypeCheckCache(cache.typeCheck);
}

/**
 * Loads a mesh: type-check it with the TypeScript compiler API, run it (while TypeScript 7 checks,
 * where it does) and collect the declarations. A user's mistake becomes a diagnostic, never an
 * exception.
 */
export function loadMesh<T = never>(entry: string, options: LoadOptions<T> = {}): Loaded<T> {
  const sources = new MeshSources(entry);
  const spans = new SpanRegistry();
  if (!fs.existsSync(sources.entry) || !fs.statSync(sources.entry).isFile()) {
    return { sources, spans, diagnostics: [diagnostic("EntryNotFound", { file: entry }, undefined)] };
  }
  // esbuild starts on another thread while the checker starts (the CLI started it earlier still).
  warmTranspiler();
  const timings = options.timings ?? {};
  let program: ts.Program | undefined;
  let files: readonly string[] | undefined;
  let rechecked: { readonly rechecked: readonly string[] } | Record<string, never> = {};
  let parsed: ParsedFiles | undefined;
  if (!options.skipTypeCheck) {
    // The mesh runs while the native checker type-checks it (a process of its own), on the trees
    // it parsed: the run's result is kept only if the mesh has no type errors, since running a
    // mesh with type errors would report the same mistakes twice, less precisely.
    const ahead = (trees: ReadonlyMap<string, NativeSourceFile>): Attempt<T> => {
      try {
        const t0 = performance.now();
        const loaded = evaluate(sources, spans, undefined, (file) => trees.get(file), options.cache?.transpiled, [...trees.keys()]);
        const ms = performance.now() - t0;
        // The caller's next steps too, while the checker is still at work.
        return { loaded, ms, ...(options.next && loaded.raw && !hasErrors(loaded.diagnostics) ? { next: options.next(loaded) } : {}) };
      } catch (error) {
        return { error };
      }
    };
    const t0 = performance.now();
    const overlap = options.overlap ?? process.env.MESHC_OVERLAP !== "0";
    const checked = typeCheck(sources, options.oldProgram, options.cache?.typeCheck, overlap ? ahead : undefined);
    const ran = checked.meanwhile;
    // Until the verdict was in hand: the work done beside the checker (`overlapped`) is inside it.
    timings.typecheck = (timings.typecheck ?? 0) + performance.now() - t0;
    program = checked.program;
    files = checked.userFiles;
    if (checked.rechecked) rechecked = { rechecked: checked.rechecked };
    if (ran) {
      if ("ms" in ran.value) timings.evaluate = (timings.evaluate ?? 0) + ran.value.ms;
      timings.overlapped = (timings.overlapped ?? 0) + ran.ms;
    }
    if (hasErrors(checked.diagnostics)) return { sources, spans, ...(program ? { program } : {}), files, ...rechecked, diagnostics: checked.diagnostics };
    if (ran) {
      if ("error" in ran.value) throw ran.value.error;
      return { ...ran.value.loaded, files, ...rechecked, ...("next" in ran.value ? { next: ran.value.next as T } : {}) };
    }
    const { trees } = checked;
    if (program) parsed = (file) => program!.getSourceFile(file);
    else if (trees) parsed = (file) => trees.get(file);
  }
  const t0 = performance.now();
  try {
    const loaded = evaluate(sources, spans, program, parsed, options.cache?.transpiled, files);
    return files ? { ...loaded, files, ...rechecked } : loaded;
  } finally {
    timings.evaluate = (timings.evaluate ?? 0) + performance.now() - t0;
  }
}

/**
 * A run of the mesh beside the type-check: what it loaded (in `ms`) and what the caller's next
 * steps made of it, or the exception of a bug in meshc.
 */
type Attempt<T> = { readonly loaded: Loaded; readonly ms: number; readonly next?: T } | { readonly error: unknown };

function evaluate(sources: MeshSources, spans: SpanRegistry, program: ts.Program | undefined, parsed: ParsedFiles | undefined, transpiled: TranspileCache | undefined, files?: readonly string[]): Loaded {
  const base = { sources, spans, ...(program ? { program } : {}) };
  const fileName = sources.relative(sources.entry);
  let exports: Record<string, unknown>;
  let locateError: (error: unknown) => Span | undefined;
  try {
    ({ exports, locate: locateError } = evaluateMesh(sources, spans, transpiled, parsed, files));
  } catch (error) {
    if (error instanceof EvaluationError && error.kind === "syntax") {
      return { ...base, diagnostics: (error.diagnostics ?? []).map((d) => fromTs(d, sources)) };
    }
    if (error instanceof EvaluationError && error.kind === "module-not-found") {
      return { ...base, diagnostics: [diagnostic("ModuleNotFound", { specifier: error.specifier!, from: error.from! }, sources.fileSpan(sources.entry))] };
    }
    const message = error instanceof Error ? error.message : String(error);
    const span = error instanceof EvaluationError ? error.span : undefined;
    return { ...base, diagnostics: [diagnostic("EvaluationFailed", { error: message }, span ?? sources.fileSpan(sources.entry))] };
  }
  if (!("default" in exports)) {
    return { ...base, diagnostics: [diagnostic("NoDefaultExport", { file: fileName }, sources.fileSpan(sources.entry))] };
  }
  const mesh = exports.default;
  let branded: boolean;
  try {
    branded = isMesh(mesh);
  } catch (error) {
    // A Proxy whose traps throw: user code failing, like any other evaluation error.
    return { ...base, diagnostics: [evaluationFailed(error, locateError(error) ?? sources.fileSpan(sources.entry))] };
  }
  if (!branded) {
    return { ...base, diagnostics: [diagnostic("NotAMesh", { file: fileName, got: describeValue(mesh) }, sources.fileSpan(sources.entry))] };
  }
  return collect(mesh as Mesh, base, locateError);
}

function evaluationFailed(error: unknown, span: Span | undefined): Diagnostic {
  return diagnostic("EvaluationFailed", { error: error instanceof Error ? error.message : String(error) }, span);
}

/**
 * Runs the policy functions and copies the spec and their results into plain data (see
 * `snapshot`), so nothing after loading runs user code: a getter that throws or a Proxy becomes a
 * diagnostic here, at its line, instead of an exception in validation.
 */
function collect(
  mesh: Mesh,
  base: { sources: MeshSources; spans: SpanRegistry; program?: ts.Program },
  locateError: (error: unknown) => Span | undefined,
): Loaded {
  const { sources, spans } = base;
  const fileSpan = sources.fileSpan(sources.entry);
  let rawSpec: unknown;
  let rawPolicies: unknown;
  let isList: boolean;
  try {
    rawSpec = mesh.spec;
    rawPolicies = mesh.policies;
    isList = Array.isArray(rawPolicies);
  } catch (error) {
    return { ...base, diagnostics: [evaluationFailed(error, locateError(error) ?? fileSpan)] };
  }
  const diagnostics: Diagnostic[] = [];
  // The list itself is copied too: a hand-made "mesh" may hand over a Proxy.
  const listCopy = isList ? snapshot(rawPolicies, spans) : { value: [], issues: [] };
  const policyFns = Array.isArray(listCopy.value) ? (listCopy.value as unknown[]) : [];
  const multiple = policyFns.length > 1;
  const report = (issues: readonly SnapshotIssue[], root: unknown, prefix: readonly PropertyKey[], threw: "EvaluationFailed" | "PolicyFailed") => {
    for (const issue of issues) {
      const fallback = prefix[0] !== "policies" ? "the mesh" : prefix.length === 1 ? "the policy functions" : `the result of policy ${Number(prefix[1]) + 1}`;
      const where = displayPath([...prefix, ...issue.path], multiple) || fallback;
      // `root` is the copy: walking the original would run the failing getter again.
      const at = spans.spanAtPath(root, issue.path, spans.spanOf(root) ?? fileSpan);
      switch (issue.kind) {
        case "threw": {
          const message = issue.error instanceof Error ? issue.error.message : String(issue.error);
          diagnostics.push(diagnostic(threw, { error: `reading ${where} threw: ${message}` }, locateError(issue.error) ?? at));
          break;
        }
        case "not-plain":
          diagnostics.push(diagnostic("InvalidType", { path: where, expected: "an object literal", received: `a ${issue.what}` }, at));
          break;
        case "too-long":
          diagnostics.push(diagnostic("InvalidValue", { path: where, detail: `an array of ${issue.length} elements is more than meshc reads (${MAX_ARRAY_LENGTH}).` }, at));
          break;
      }
    }
  };
  report(listCopy.issues, listCopy.value, ["policies"], "EvaluationFailed");
  const specCopy = snapshot(rawSpec, spans);
  report(specCopy.issues, specCopy.value, ["spec"], "EvaluationFailed");
  const spec = specCopy.value as Record<string, unknown> | null | undefined;
  const services = isRecord(spec?.services) ? spec.services : {};
  const external = isRecord(spec?.external) ? spec.external : {};
  const handles = createHandles(services as never, external as never);
  const policies: unknown[] = [];
  if (!isList) {
    diagnostics.push(diagnostic("PolicyFailed", { error: `expected the policy functions of defineMesh(), got ${describeValue(rawPolicies)}` }, spans.spanOf(rawSpec) ?? fileSpan));
  }
  policyFns.forEach((fn, i) => {
    const at = spans.spanOf(fn) ?? spans.spanOf(rawSpec) ?? fileSpan;
    if (typeof fn !== "function") {
      diagnostics.push(diagnostic("PolicyFailed", { error: `expected a function (s) => ({ … }), got ${describeValue(fn)}` }, at));
      return;
    }
    let result: unknown;
    try {
      result = (fn as (h: unknown) => unknown)(handles);
    } catch (error) {
      diagnostics.push(diagnostic("PolicyFailed", { error: error instanceof Error ? error.message : String(error) }, locateError(error) ?? at));
      return;
    }
    const got = describeResult(result);
    if (got) {
      diagnostics.push(diagnostic("PolicyFailed", { error: `it returned ${got}, not an object { calls, routes, ingress }` }, at));
      return;
    }
    const copy = snapshot(result, spans);
    report(copy.issues, copy.value, ["policies", i], "PolicyFailed");
    policies.push(copy.value);
  });
  const meshSpan = spans.spanOf(rawSpec) ?? fileSpan;
  return { ...base, diagnostics, raw: { spec, policies }, meshSpan };
}

/** Why a policy's result is not a declarations object, or undefined when it is one. */
function describeResult(result: unknown): string | undefined {
  if (typeof result !== "object" || result === null || Array.isArray(result)) return describeValue(result);
  try {
    const tag = Object.prototype.toString.call(result).slice(8, -1);
    if (tag === "Promise") return "a Promise (policy functions run synchronously: remove `async`)";
    return tag === "Object" ? undefined : `a ${tag}`;
  } catch {
    return undefined; // a Proxy that throws here throws again in the snapshot, which reports it
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "function") return "a function";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}
