/**
 * The worker thread of a build that writes (see {@link import("./build.js").buildMesh}): runs some
 * of the targets and writes their files into the pending output, beside the main thread, which
 * runs the others. It loads only its own targets' modules (one target per folder) while the main
 * thread still compiles, and then waits for the mesh.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { Target, TargetOptions } from "../targets/target.js";
import type { Diagnostic } from "./diagnostics.js";
import { hasErrors } from "./diagnostics.js";
import type { MeshIR } from "./ir.js";
import { runTarget, type TargetRun } from "./run-targets.js";
import { WORKER_TARGETS } from "./worker-targets.js";
import { writeFiles, type ManifestEntry, type OutputLayout, type PendingOutput } from "./writer.js";

/** What the worker is started with: the targets it runs. */
export interface WorkerStart {
  readonly targets: readonly string[];
}

/**
 * The mesh and what to do with it, sent once it compiled without errors. Sending the IR as soon as
 * it was resolved, beside the type-check, was tried: copying it (~0.25 s to send and ~0.5 s to
 * take in at 5,000 services) then slowed the type-check by as much as it saved after it.
 */
export interface WorkerTask {
  readonly ir: MeshIR;
  readonly options: TargetOptions;
  /** Where to write the targets' files. */
  readonly pending: PendingOutput;
  readonly layout?: OutputLayout;
  /** Warnings fail the build: they keep the files from being written, as errors do. */
  readonly strict?: boolean;
}

/** A target's run in the worker: what {@link TargetRun} says but the artifacts, which it wrote. */
export type WorkerRun = Omit<TargetRun, "artifacts">;

/**
 * What the worker reports, in order: `ran` once its targets ran, then `done` once their files are
 * written (`entries`; undefined when they have errors), or `failed` with the message of what went
 * wrong.
 */
export type WorkerReport =
  | { readonly kind: "ran"; readonly runs: readonly WorkerRun[] }
  | { readonly kind: "done"; readonly entries?: readonly ManifestEntry[]; readonly writeMs: number }
  | { readonly kind: "failed"; readonly error: string };

const port = parentPort!;
const start = workerData as WorkerStart;
const post = (report: WorkerReport) => port.postMessage(report);

const loading = Promise.all(start.targets.map(loadTarget));
port.once("message", (task: WorkerTask) => {
  loading.then(
    (targets) => work(targets, task),
    (error: unknown) => post({ kind: "failed", error: error instanceof Error ? error.message : String(error) }),
  );
});

function work(targets: readonly Target[], task: WorkerTask): void {
  const runs = targets.map((t) => runTarget(t, task.ir, task.options));
  // Without the artifacts: their files are the output, and a copy of them in the main thread
  // would cost as much memory again (~220 MiB at 5,000 services, which took the build over 1 GiB).
  post({ kind: "ran", runs: runs.map(({ artifacts: _artifacts, ...run }) => run) });
  const diagnostics: Diagnostic[] = runs.flatMap((r) => r.diagnostics);
  if (hasErrors(diagnostics, task.strict)) {
    post({ kind: "done", writeMs: 0 });
    return;
  }
  const t0 = performance.now();
  try {
    const entries = writeFiles(task.pending, runs.flatMap((r) => r.artifacts), task.layout ? { layout: task.layout } : {});
    post({ kind: "done", entries, writeMs: performance.now() - t0 });
  } catch (error) {
    post({ kind: "failed", error: error instanceof Error ? error.message : String(error) });
  }
}

/** A target from its folder's module: the export of that name. */
async function loadTarget(name: string): Promise<Target> {
  const load = Object.hasOwn(WORKER_TARGETS, name) ? WORKER_TARGETS[name] : undefined;
  if (!load) throw new Error(`no worker module for the target "${name}" (see worker-targets.ts)`);
  const module = await load();
  const target = Object.values(module).find((v): v is Target => typeof v === "object" && v !== null && (v as Target).name === name && typeof (v as Target).run === "function");
  if (!target) throw new Error(`targets/${name}/index.js exports no target named "${name}"`);
  return target;
}
