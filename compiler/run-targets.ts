import type { MeshIR } from "./ir.js";
import type { Artifact } from "./artifact.js";
import type { Diagnostic } from "./diagnostics.js";
import { targetFailure, type Target, type TargetOptions } from "../targets/target.js";

/** What one target gave: its artifacts and diagnostics (a failure as a diagnostic), and its time. */
export interface TargetRun {
  readonly name: string;
  readonly artifacts: readonly Artifact[];
  readonly diagnostics: readonly Diagnostic[];
  readonly ms: number;
}

/** Runs one target; an exception becomes its diagnostic (see {@link targetFailure}). */
export function runTarget(target: Target, ir: MeshIR, options: TargetOptions): TargetRun {
  const t0 = performance.now();
  try {
    const result = target.run(ir, options);
    return { name: target.name, artifacts: result.artifacts, diagnostics: result.diagnostics, ms: performance.now() - t0 };
  } catch (error) {
    return { name: target.name, artifacts: [], diagnostics: [targetFailure(error, target.name, ir)], ms: performance.now() - t0 };
  }
}
