import fs from "node:fs";
import type ts from "typescript";
import { createHandles } from "../../dsl/handles.js";
import { isMesh, type Mesh } from "../../dsl/index.js";
import { diagnostic } from "../codes.js";
import type { Diagnostic } from "../diagnostics.js";
import type { Span } from "../ir.js";
import { hasErrors } from "../diagnostics.js";
import { EvaluationError, evaluateMesh } from "./evaluate.js";
import { MeshSources } from "./source.js";
import { SpanRegistry } from "./spans.js";
import { typeCheck } from "./typecheck.js";

/** What the mesh program declared: its spec and what each policy function returned. */
export interface RawMesh {
  readonly spec: unknown;
  readonly policies: readonly unknown[];
}

export interface Loaded {
  readonly sources: MeshSources;
  readonly spans: SpanRegistry;
  readonly diagnostics: Diagnostic[];
  readonly program?: ts.Program;
  /** Present when the mesh type-checked and ran. */
  readonly raw?: RawMesh;
  /** Span of the `defineMesh(…)` arguments: the fallback location for mesh-wide problems. */
  readonly meshSpan?: Span;
}

export interface LoadOptions {
  /** Reuse a previous program's unchanged files (watch mode). */
  readonly oldProgram?: ts.Program;
  /** Skip type-checking (the caller already did, or wants evaluation only). */
  readonly skipTypeCheck?: boolean;
}

/**
 * Loads a mesh: type-check with the TypeScript compiler API, then run it and collect the
 * declarations. A user's mistake becomes a diagnostic, never an exception.
 */
export function loadMesh(entry: string, options: LoadOptions = {}): Loaded {
  const sources = new MeshSources(entry);
  const spans = new SpanRegistry();
  if (!fs.existsSync(sources.entry) || !fs.statSync(sources.entry).isFile()) {
    return { sources, spans, diagnostics: [diagnostic("EntryNotFound", { file: entry }, undefined)] };
  }
  let program: ts.Program | undefined;
  if (!options.skipTypeCheck) {
    const checked = typeCheck(sources, options.oldProgram);
    program = checked.program;
    // Running a mesh with type errors would report the same mistakes twice, less precisely.
    if (hasErrors(checked.diagnostics)) return { sources, spans, program, diagnostics: checked.diagnostics };
  }
  const base = { sources, spans, ...(program ? { program } : {}) };
  const fileName = sources.relative(sources.entry);
  let exports: Record<string, unknown>;
  let locateError: (error: unknown) => Span | undefined;
  try {
    ({ exports, locate: locateError } = evaluateMesh(sources, spans));
  } catch (error) {
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
  if (!isMesh(mesh)) {
    return { ...base, diagnostics: [diagnostic("NotAMesh", { file: fileName, got: describeValue(mesh) }, sources.fileSpan(sources.entry))] };
  }
  return collect(mesh, base, locateError);
}

function collect(
  mesh: Mesh,
  base: { sources: MeshSources; spans: SpanRegistry; program?: ts.Program },
  locateError: (error: unknown) => Span | undefined,
): Loaded {
  const { sources, spans } = base;
  const diagnostics: Diagnostic[] = [];
  const spec = mesh.spec as unknown as Record<string, unknown>;
  const services = isRecord(spec?.services) ? spec.services : {};
  const external = isRecord(spec?.external) ? spec.external : {};
  const handles = createHandles(services as never, external as never);
  const policies: unknown[] = [];
  for (const fn of mesh.policies) {
    const at = spans.spanOf(fn) ?? spans.spanOf(spec) ?? sources.fileSpan(sources.entry);
    if (typeof fn !== "function") {
      diagnostics.push(diagnostic("PolicyFailed", { error: `expected a function (s) => ({ … }), got ${describeValue(fn)}` }, at));
      continue;
    }
    try {
      policies.push((fn as (h: unknown) => unknown)(handles));
    } catch (error) {
      diagnostics.push(diagnostic("PolicyFailed", { error: error instanceof Error ? error.message : String(error) }, locateError(error) ?? at));
    }
  }
  const meshSpan = spans.spanOf(spec) ?? sources.fileSpan(sources.entry);
  return { ...base, diagnostics, raw: { spec, policies }, meshSpan };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "function") return "a function";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}
