import path from "node:path";
import { targets as registry, type Target } from "../targets/index.js";
import { targetFailure } from "../targets/target.js";
import type { Artifact } from "./artifact.js";
import { compileMesh, type CompileOptions, type CompileResult } from "./compile.js";
import { hasErrors, sortDiagnostics, type Diagnostic } from "./diagnostics.js";
import { writeOutput, type OutputLayout, type WriteResult } from "./writer.js";

export interface BuildOptions extends CompileOptions {
  /** Target names; all registered targets when empty. */
  readonly targets?: readonly string[];
  /** Output folder; nothing is written when undefined. */
  readonly outDir?: string;
  /** How Kubernetes objects are laid out in `outDir`; see {@link OutputLayout}. */
  readonly layout?: OutputLayout;
  /** CA state folder; default `<mesh folder>/.meshc`. */
  readonly stateDir?: string;
  readonly includeSecrets?: boolean;
  /** Warnings (including MESH2xx) fail the build. */
  readonly strict?: boolean;
  readonly now?: Date;
}

export interface BuildResult {
  readonly compiled: CompileResult;
  readonly diagnostics: readonly Diagnostic[];
  readonly artifacts: readonly Artifact[];
  readonly written?: WriteResult;
  readonly ok: boolean;
  readonly timings: Readonly<Record<string, number>>;
}

/** Compiles a mesh, runs the chosen targets, and writes their artifacts if there were no errors. */
export function buildMesh(entry: string, options: BuildOptions = {}): BuildResult {
  const compiled = withoutProgram(compileMesh(entry, options));
  const timings: Record<string, number> = { ...compiled.timings };
  const diagnostics: Diagnostic[] = [...compiled.diagnostics];
  const artifacts: Artifact[] = [];
  const fail = (): BuildResult => ({ compiled, diagnostics: sortDiagnostics(diagnostics), artifacts, ok: false, timings });
  if (!compiled.ir || hasErrors(diagnostics, options.strict)) return fail();
  const chosen: Target[] = options.targets && options.targets.length > 0 ? options.targets.map((n) => registry.find((t) => t.name === n)!).filter(Boolean) : registry.filter((t) => t.inAll !== false);
  const stateDir = options.stateDir ?? path.join(compiled.sources.root, ".meshc");
  for (const target of chosen) {
    const t0 = performance.now();
    try {
      const result = target.run(compiled.ir, {
        stateDir,
        targets: chosen.map((t) => t.name),
        ...(options.includeSecrets ? { includeSecrets: true } : {}),
        ...(options.now ? { now: options.now } : {}),
      });
      artifacts.push(...result.artifacts);
      diagnostics.push(...result.diagnostics);
    } catch (error) {
      diagnostics.push(targetFailure(error, target.name, compiled.ir));
    }
    timings[`target:${target.name}`] = performance.now() - t0;
  }
  if (hasErrors(diagnostics, options.strict)) return fail();
  let written: WriteResult | undefined;
  if (options.outDir) {
    const t0 = performance.now();
    written = writeOutput(options.outDir, artifacts, options.layout ? { layout: options.layout } : {});
    timings.write = performance.now() - t0;
  }
  return { compiled, diagnostics: sortDiagnostics(diagnostics), artifacts, ...(written ? { written } : {}), ok: true, timings };
}

/**
 * A build has no use for the type-checker's program once the mesh is compiled, and on a large
 * mesh it is the largest thing in memory (hundreds of megabytes at 5,000 services): dropping it
 * lets the targets and the writer reuse that memory.
 */
function withoutProgram(compiled: CompileResult): CompileResult {
  const { program: _program, ...rest } = compiled;
  return rest;
}
