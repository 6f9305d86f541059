import type ts from "typescript";
import { checks as allChecks, runChecks, type Check } from "./checks/index.js";
import { diagnostic } from "./codes.js";
import { hasErrors, sortDiagnostics, type Diagnostic } from "./diagnostics.js";
import type { MeshIR } from "./ir.js";
import { loadMesh, type Loaded, type LoadOptions } from "./load/index.js";
import type { MeshSources } from "./load/source.js";
import { resolveMesh } from "./resolve.js";
import type { RawMeshInput } from "./schema.js";
import { validateRaw } from "./validate.js";

export interface CompileOptions extends LoadOptions {
  /** The checks to run (all by default). */
  readonly checks?: readonly Check[];
  /**
   * Called with the IR as soon as it is resolved, before the checks run: beside the type-check
   * when the mesh runs there, so before its verdict. The build uses it to start its worker.
   */
  readonly onResolved?: (ir: MeshIR) => void;
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
  /** The only files type-checked again by watch mode, when not all were (see {@link Loaded.rechecked}). */
  readonly rechecked?: readonly string[];
  /**
   * Milliseconds per phase, for the benchmark: load, typecheck (until its verdict), evaluate,
   * validate, resolve, checks, and overlapped: the part of evaluate, validate, resolve and checks
   * done while the native checker type-checked (so within typecheck, and within load).
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
  // Validating, resolving and checking only read the mesh: they run beside the type-check when
  // the mesh does (`load` then includes them; `typecheck`, `evaluate` and `overlapped` are the
  // loader's own figures).
  const rest = (loaded: Loaded<unknown>): Rest => {
    try {
      const { diagnostics: schemaDiagnostics } = time("validate", () => validateRaw(loaded.raw!, loaded.spans, loaded.meshSpan));
      if (hasErrors(schemaDiagnostics)) return { diagnostics: [...loaded.diagnostics, ...schemaDiagnostics] };
      // Resolve from the original objects: spans are keyed on them, and the schema only validated.
      const ir = time("resolve", () => resolveMesh(loaded.raw as unknown as RawMeshInput, loaded.spans, loaded.meshSpan!));
      options.onResolved?.(ir);
      const checked = time("checks", () => runChecks(ir, options.checks ?? allChecks));
      return { ir, diagnostics: [...loaded.diagnostics, ...schemaDiagnostics, ...checked] };
    } catch (error) {
      return { diagnostics: [...loaded.diagnostics, internalError(error)], unsorted: true };
    }
  };
  const loaded = time("load", () => loadMesh(entry, { ...options, timings, next: rest }));
  const base = {
    sources: loaded.sources,
    ...(loaded.program ? { program: loaded.program } : {}),
    ...(loaded.files ? { files: loaded.files } : {}),
    ...(loaded.rechecked ? { rechecked: loaded.rechecked } : {}),
    timings,
  };
  if (!loaded.raw || hasErrors(loaded.diagnostics)) return { ...base, diagnostics: sortDiagnostics(loaded.diagnostics) };
  const done = loaded.next ?? rest(loaded);
  return { ...base, ...(done.ir ? { ir: done.ir } : {}), diagnostics: done.unsorted ? done.diagnostics : sortDiagnostics(done.diagnostics) };
}

/** What validating, resolving and checking a loaded mesh gave. */
interface Rest {
  readonly ir?: MeshIR;
  readonly diagnostics: Diagnostic[];
  /** An internal error: the diagnostics in the order found. */
  readonly unsorted?: boolean;
}

export function internalError(error: unknown): Diagnostic {
  const text = error instanceof Error ? `${error.message}${process.env.MESHC_DEBUG ? `\n${error.stack}` : ""}` : String(error);
  return diagnostic("InternalError", { error: text }, undefined);
}
