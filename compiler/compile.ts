import type ts from "typescript";
import { checks as allChecks, runChecks, type Check } from "./checks/index.js";
import { diagnostic } from "./codes.js";
import { hasErrors, sortDiagnostics, type Diagnostic } from "./diagnostics.js";
import type { MeshIR } from "./ir.js";
import { loadMesh, type LoadOptions } from "./load/index.js";
import type { MeshSources } from "./load/source.js";
import { resolveMesh } from "./resolve.js";
import type { RawMeshInput } from "./schema.js";
import { validateRaw } from "./validate.js";

export interface CompileOptions extends LoadOptions {
  /** The checks to run (all by default). */
  readonly checks?: readonly Check[];
}

export interface CompileResult {
  readonly sources: MeshSources;
  /** Sorted by location. */
  readonly diagnostics: readonly Diagnostic[];
  /** Present once the mesh loaded and validated, even when checks found errors. */
  readonly ir?: MeshIR;
  readonly program?: ts.Program;
  /** The mesh's own source files, absolute, once type-checked (what watch mode watches). */
  readonly files?: readonly string[];
  /**
   * Milliseconds per phase, for the benchmark: load (= typecheck + evaluate - overlapped: the
   * mesh runs while the native checker type-checks it), validate, resolve, checks.
   */
  readonly timings: Readonly<Record<string, number>>;
}

/** mesh.ts → IR + diagnostics: load (type-check, evaluate), validate, resolve, check. */
export function compileMesh(entry: string, options: CompileOptions = {}): CompileResult {
  const timings: Record<string, number> = {};
  const time = <T>(phase: string, f: () => T): T => {
    const t0 = performance.now();
    try {
      return f();
    } finally {
      timings[phase] = (timings[phase] ?? 0) + performance.now() - t0;
    }
  };
  // `load`'s parts (`typecheck`, `evaluate`, `overlapped`) are reported by the loader itself.
  const loaded = time("load", () => loadMesh(entry, { ...options, timings }));
  const base = { sources: loaded.sources, ...(loaded.program ? { program: loaded.program } : {}), ...(loaded.files ? { files: loaded.files } : {}), timings };
  if (!loaded.raw || hasErrors(loaded.diagnostics)) return { ...base, diagnostics: sortDiagnostics(loaded.diagnostics) };
  try {
    const { diagnostics: schemaDiagnostics } = time("validate", () => validateRaw(loaded.raw!, loaded.spans, loaded.meshSpan));
    if (hasErrors(schemaDiagnostics)) return { ...base, diagnostics: sortDiagnostics([...loaded.diagnostics, ...schemaDiagnostics]) };
    // Resolve from the original objects: spans are keyed on them, and the schema only validated.
    const ir = time("resolve", () => resolveMesh(loaded.raw as unknown as RawMeshInput, loaded.spans, loaded.meshSpan!));
    const checked = time("checks", () => runChecks(ir, options.checks ?? allChecks));
    return { ...base, ir, diagnostics: sortDiagnostics([...loaded.diagnostics, ...schemaDiagnostics, ...checked]) };
  } catch (error) {
    return { ...base, diagnostics: [...loaded.diagnostics, internalError(error)] };
  }
}

export function internalError(error: unknown): Diagnostic {
  const text = error instanceof Error ? `${error.message}${process.env.MESHC_DEBUG ? `\n${error.stack}` : ""}` : String(error);
  return diagnostic("InternalError", { error: text }, undefined);
}
