import os from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { targets as registry, type Target } from "../targets/index.js";
import type { TargetOptions } from "../targets/target.js";
import type { Artifact } from "./artifact.js";
import type { WorkerReport, WorkerRun, WorkerStart, WorkerTask } from "./build-worker.js";
import { diagnostic } from "./codes.js";
import { compileMesh, type CompileOptions, type CompileResult } from "./compile.js";
import { hasErrors, sortDiagnostics, type Diagnostic } from "./diagnostics.js";
import type { MeshIR } from "./ir.js";
import { runTarget, type TargetRun } from "./run-targets.js";
import { abandonOutput, beginOutput, commitOutput, writeFiles, type ManifestEntry, type OutputLayout, type PendingOutput, type WriteResult } from "./writer.js";
import { WORKER_TARGETS } from "./worker-targets.js";

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
  /**
   * When writing (`outDir`), run the Envoy target and write its files in a worker thread, beside
   * the other targets (see {@link PARALLEL_FROM}). The files are the same either way; Envoy's
   * artifacts are then not in {@link BuildResult.artifacts}. `true` uses the worker whatever the
   * mesh's size. It is never used when Envoy is built alone, or when meshc runs from its
   * TypeScript sources (tests), which a worker cannot load.
   * @default true from 200 services on more than one core, unless the environment sets MESHC_PARALLEL=0
   */
  readonly parallel?: boolean;
}

export interface BuildResult {
  readonly compiled: CompileResult;
  readonly diagnostics: readonly Diagnostic[];
  /**
   * The chosen targets' artifacts, in the targets' order; but those of a target the worker thread
   * ran (see {@link BuildOptions.parallel}): they are in the output folder only, since a copy
   * would double their memory.
   */
  readonly artifacts: readonly Artifact[];
  readonly written?: WriteResult;
  readonly ok: boolean;
  /**
   * The compile's phases, then `target:<name>` per target and `write` (the main thread's files and
   * the manifest). With the worker, also `write:worker` (its files) and `concurrent`: how much of
   * the worker's phases ran while the main thread did its own, so that the phases' sum less
   * `concurrent` (and `overlapped`) is the time the build took.
   */
  readonly timings: Readonly<Record<string, number>>;
}

/**
 * Services from which a build writes with a worker thread. Envoy's configs are about a third of
 * the targets' time and two thirds of the bytes written. Measured on 2 cores in alternating runs
 * (medians of 4, team files), running them beside the others took what follows the type-check
 * from 3.6 to 2.7 s at 1,000 services (the build from 5.9 to 5.3 s) and from 13.6 to 9.7 s at
 * 5,000 (20.9 to 16.7 s); at 300 services builds were 5–10 % faster, at 100 no faster. A worker
 * costs ~0.2 s of CPU to start and a copy of the IR, which a small mesh does not win back.
 */
export const PARALLEL_FROM = 200;

/** The targets a worker takes (worker-targets.ts). */
const OFF_MAIN: ReadonlySet<string> = new Set(Object.keys(WORKER_TARGETS));

/** Compiles a mesh, runs the chosen targets, and writes their artifacts if there were no errors. */
export async function buildMesh(entry: string, options: BuildOptions = {}): Promise<BuildResult> {
  const chosen: Target[] = options.targets && options.targets.length > 0 ? options.targets.map((n) => registry.find((t) => t.name === n)!).filter(Boolean) : registry.filter((t) => t.inAll !== false);
  // One per resolved IR: a mesh run beside the type-check that must run again resolves twice,
  // and only the last IR's worker is used. Every one is stopped at the end.
  const helpers: (Helper | undefined)[] = [];
  const onResolved = (ir: MeshIR) => {
    options.onResolved?.(ir);
    const names = offMain(chosen, ir, options);
    let helper: Helper | undefined;
    try {
      if (names.length > 0) helper = startHelper(names);
    } catch {
      // A thread that cannot start (a resource limit) leaves every target to the main thread.
    }
    helpers.push(helper);
  };
  try {
    return await build(entry, options, chosen, onResolved, () => helpers.at(-1));
  } finally {
    await Promise.all(helpers.map((h) => h?.stop()));
  }
}

async function build(entry: string, options: BuildOptions, chosen: readonly Target[], onResolved: (ir: MeshIR) => void, helper: () => Helper | undefined): Promise<BuildResult> {
  const compiled = withoutProgram(compileMesh(entry, { ...options, onResolved }));
  const timings: Record<string, number> = { ...compiled.timings };
  const diagnostics: Diagnostic[] = [...compiled.diagnostics];
  const fail = (artifacts: readonly Artifact[] = []): BuildResult => ({ compiled, diagnostics: sortDiagnostics(diagnostics), artifacts, ok: false, timings });
  if (!compiled.ir || hasErrors(diagnostics, options.strict)) return fail();
  const ir = compiled.ir;
  const stateDir = options.stateDir ?? path.join(compiled.sources.root, ".meshc");
  const targetOptions: TargetOptions = {
    stateDir,
    targets: chosen.map((t) => t.name),
    ...(options.includeSecrets ? { includeSecrets: true } : {}),
    ...(options.now ? { now: options.now } : {}),
  };
  const pending = options.outDir ? beginOutput(options.outDir) : undefined;
  const worker = helper();
  try {
    if (worker && pending) worker.send({ ir, options: targetOptions, pending, ...(options.layout ? { layout: options.layout } : {}), ...(options.strict ? { strict: true } : {}) });
    const here = (which: (t: Target) => boolean) => chosen.filter(which).map((t) => runTarget(t, ir, targetOptions));
    const entries: ManifestEntry[] = [];
    let writeMs = 0;
    const write = (runs: readonly TargetRun[]) => {
      if (!pending || hasErrors(runs.flatMap((r) => r.diagnostics), options.strict)) return;
      const t0 = performance.now();
      entries.push(...writeFiles(pending, runs.flatMap((r) => r.artifacts), options.layout ? { layout: options.layout } : {}));
      writeMs += performance.now() - t0;
    };
    const mine = here((t) => !worker?.targets.includes(t.name));
    write(mine);
    const waited = performance.now();
    const theirs = worker ? await worker.result() : undefined;
    const wait = performance.now() - waited;
    // A worker that could not start, or load its targets, ran none of them: they run here.
    const late = worker && !theirs ? here((t) => worker.targets.includes(t.name)) : [];
    write(late);
    // In the targets' order whichever thread ran them, so that the result does not depend on it.
    const runs = chosen.map((t) => [...mine, ...late].find((r) => r.name === t.name) ?? { artifacts: [], ...theirs!.runs.find((r) => r.name === t.name)! });
    for (const r of runs) {
      timings[`target:${r.name}`] = r.ms;
      diagnostics.push(...r.diagnostics);
    }
    if (theirs) {
      diagnostics.push(...theirs.diagnostics);
      timings["write:worker"] = theirs.writeMs;
      timings.concurrent = theirs.runs.reduce((n, r) => n + r.ms, 0) + theirs.writeMs - wait;
    }
    const artifacts = runs.flatMap((r) => r.artifacts);
    if (hasErrors(diagnostics, options.strict)) {
      if (pending) abandonOutput(pending);
      timings.write = writeMs;
      return fail(artifacts);
    }
    let written: WriteResult | undefined;
    if (pending) {
      const t0 = performance.now();
      written = commitOutput(pending, [...entries, ...(theirs?.entries ?? [])]);
      timings.write = writeMs + performance.now() - t0;
    }
    return { compiled, diagnostics: sortDiagnostics(diagnostics), artifacts, ...(written ? { written } : {}), ok: true, timings };
  } catch (error) {
    await worker?.stop();
    if (pending) abandonOutput(pending);
    throw error;
  }
}

/** The targets a worker should run for this build: none unless it pays (see {@link BuildOptions.parallel}). */
function offMain(chosen: readonly Target[], ir: MeshIR, options: BuildOptions): string[] {
  // One core would run the two threads in turn: the worker would cost its start and its copy.
  const parallel = options.parallel ?? (process.env.MESHC_PARALLEL !== "0" && ir.services.length >= PARALLEL_FROM && os.availableParallelism() > 1);
  if (!parallel || !WORKER_URL || !options.outDir) return [];
  const names = chosen.filter((t) => OFF_MAIN.has(t.name)).map((t) => t.name);
  return names.length > 0 && names.length < chosen.length ? names : [];
}

/**
 * The worker's module, beside this one once compiled. From the TypeScript sources (under vitest)
 * there is none a worker could load, and the targets run on the main thread.
 */
const WORKER_URL = import.meta.url.endsWith(".js") ? new URL("./build-worker.js", import.meta.url) : undefined;

/** A worker thread of the build: started early, it loads its targets while the mesh compiles. */
interface Helper {
  readonly targets: readonly string[];
  send(task: WorkerTask): void;
  /**
   * Its targets' runs and their written files; undefined when it ran none (it could not start, or
   * load them). A worker that failed after running them gives an InternalError.
   */
  result(): Promise<{ runs: WorkerRun[]; diagnostics: Diagnostic[]; entries?: readonly ManifestEntry[]; writeMs: number } | undefined>;
  /** Ends the thread (at once, if still at work): nothing it does lands after this. */
  stop(): Promise<void>;
}

function startHelper(targets: readonly string[]): Helper {
  // None of the parent's options: the worker runs meshc's own compiled modules, and some options
  // stop a worker from starting at all (a `node --input-type=module -e` script's).
  const worker = new Worker(WORKER_URL!, { workerData: { targets } satisfies WorkerStart, execArgv: [] });
  // Reports and the thread's end, in order; read by `result` once the main thread's work is done.
  let runs: WorkerRun[] | undefined;
  const ended = new Promise<{ entries?: readonly ManifestEntry[]; writeMs: number } | { error: string }>((resolve) => {
    worker.on("message", (report: WorkerReport) => {
      if (report.kind === "ran") runs = [...report.runs];
      else if (report.kind === "done") resolve({ ...(report.entries ? { entries: report.entries } : {}), writeMs: report.writeMs });
      else resolve({ error: report.error });
    });
    worker.on("error", (error) => resolve({ error: error.message }));
    worker.on("exit", (code) => resolve({ error: `the worker thread exited (code ${code}) before it was done` }));
  });
  let stopped = false;
  return {
    targets,
    send: (task) => worker.postMessage(task),
    async result() {
      const end = await ended;
      if (!runs) return undefined;
      if ("error" in end) {
        const error = end.error;
        // Its targets failed as one: each gets an empty run, and the build one InternalError.
        const failed = targets.map((name) => ({ name, diagnostics: [], ms: 0 }));
        return { runs: failed, diagnostics: [diagnostic("InternalError", { error: `the worker thread running ${targets.join(", ")}: ${error}` }, undefined, { target: targets[0]! })], writeMs: 0 };
      }
      return { runs, diagnostics: [], ...(end.entries ? { entries: end.entries } : {}), writeMs: end.writeMs };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await worker.terminate();
    },
  };
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
