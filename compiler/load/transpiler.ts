/**
 * esbuild's type erasure for the loader (evaluate.ts), in a worker thread that is started before
 * it is needed.
 *
 * The loader runs synchronously, so it used `esbuild.transformSync`. esbuild serves that from a
 * worker thread of its own, which it starts on the first call and which starts esbuild's process in
 * turn; the caller waits for both. That first call cost ~85 ms, and loading esbuild on the main
 * thread ~55 ms more. On a small mesh they were ~140 ms of a ~0.7 s `meshc check`, on the path to
 * the verdict.
 *
 * This is esbuild's own arrangement (a worker that calls the async API, and a caller that waits on
 * a shared flag, then takes the answer off a message port), with one difference: the worker is
 * started by {@link warmTranspiler}. The CLI calls it before it loads the command, so esbuild starts
 * on the other core while the command's modules load and the checker starts. The main thread never
 * loads esbuild.
 *
 * Where the worker cannot be started, does not answer, cannot load esbuild, or esbuild's process
 * died under it, the transform runs on the main thread through `esbuild.transformSync`: the output
 * does not depend on the route.
 */
import { createRequire } from "node:module";
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import type { TransformOptions } from "esbuild";

const require = createRequire(import.meta.url);

/** One transform's result: esbuild's code and source map (empty unless asked for), or its error. */
export interface Transformed {
  readonly code: string;
  readonly map: string;
}

/**
 * The worker, as source: it needs no file of its own, so it runs the same from `dist/` and from
 * the TypeScript sources under test. It loads esbuild by the path the main thread resolved, and
 * starts esbuild's process at once (the empty transform). A request is a batch; every transform
 * of it runs at once, as esbuild's async API allows. The flag is raised after the answer is posted.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const port = workerData.port;
let esbuild;
let failure;
try {
  esbuild = require(workerData.esbuild);
  esbuild.transform("", {}).catch(() => {});
} catch (error) {
  failure = "esbuild could not be loaded: " + (error && error.message ? error.message : String(error));
}
const settle = (job) =>
  failure
    ? Promise.resolve({ unavailable: failure })
    : esbuild.transform(job.input, job.options).then(
        (r) => ({ code: r.code, map: r.map }),
        (e) => {
          const message = e && e.message ? e.message : String(e);
          // esbuild's process died (it is not restarted): every later transform goes to the main thread.
          if (/^The service (was stopped|is no longer running)/.test(message)) failure = message;
          return failure ? { unavailable: failure } : { error: message };
        },
      );
parentPort.on("message", ({ id, flag, jobs }) => {
  Promise.all(jobs.map(settle)).then((results) => {
    port.postMessage({ id, results });
    const view = new Int32Array(flag);
    Atomics.store(view, 0, 1);
    Atomics.notify(view, 0);
  });
});
`;

/**
 * How long a caller waits for the worker before it transforms on the main thread instead. The
 * worker answers in milliseconds once started (a mesh of 5,000 services in one 3 MB file in
 * ~0.2 s); it only stays silent if it died, which a blocked caller cannot see otherwise.
 */
const ANSWER_TIMEOUT_MS = 30_000;

interface Service {
  readonly worker: Worker;
  readonly port: MessagePort;
  nextId: number;
}

/** The worker once started; null when it could not be, or stopped answering. */
let service: Service | null | undefined;

/**
 * Starts the worker, if it is not running: esbuild is then loaded and started on another thread
 * while the caller goes on. Calling it again does nothing.
 */
export function warmTranspiler(): void {
  if (service === undefined) service = start(require.resolve("esbuild"));
}

/** A worker that loads esbuild from `esbuildPath`; null when it cannot be started. */
function start(esbuildPath: string): Service | null {
  try {
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { esbuild: esbuildPath, port: port2 },
      transferList: [port2],
      // A worker inherits the parent's node options, and some (`--input-type`) stop it starting.
      execArgv: [],
    });
    // Neither keeps the process alive: a CLI run ends when its own work does.
    worker.unref();
    port1.unref();
    return { worker, port: port1, nextId: 0 };
  } catch {
    return null;
  }
}

/** esbuild's error for one input of a batch: the others are transformed all the same. */
export interface TransformError {
  readonly error: string;
}

/**
 * Transforms each input with its options, in one round trip to the worker, where esbuild
 * transforms them all at once. An input esbuild rejects gets its error and fails nothing else.
 */
export function transformAll(jobs: readonly { readonly input: string; readonly options: TransformOptions }[]): (Transformed | TransformError)[] {
  warmTranspiler();
  const answered = service ? ask(service, jobs) : undefined;
  return jobs.map((job, i) => {
    const result = answered?.[i];
    if (result && !("unavailable" in result)) return result;
    try {
      return direct(job.input, job.options);
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  });
}

/** One transform; throws esbuild's error as `esbuild.transformSync` does. */
export function transform(input: string, options: TransformOptions): Transformed {
  const result = transformAll([{ input, options }])[0]!;
  if ("error" in result) throw new Error(result.error);
  return result;
}

type WorkerResult = Transformed | TransformError | { readonly unavailable: string };

/** The worker's results, or undefined when it did not answer (it is then not asked again). */
function ask(s: Service, jobs: readonly { readonly input: string; readonly options: TransformOptions }[]): WorkerResult[] | undefined {
  const id = s.nextId++;
  const flag = new SharedArrayBuffer(4);
  const view = new Int32Array(flag);
  s.worker.postMessage({ id, flag, jobs });
  const answered = Atomics.wait(view, 0, 0, ANSWER_TIMEOUT_MS) !== "timed-out";
  const message = answered ? (receiveMessageOnPort(s.port)?.message as { id: number; results: WorkerResult[] } | undefined) : undefined;
  if (message?.id === id) return message.results;
  void s.worker.terminate();
  service = null;
  return undefined;
}

/** esbuild on this thread: loaded only when the worker cannot serve. */
function direct(input: string, options: TransformOptions): Transformed {
  const esbuild = require("esbuild") as typeof import("esbuild");
  const { code, map } = esbuild.transformSync(input, options);
  return { code, map };
}

/**
 * Stops the worker; the next transform starts another. Tests only: `esbuildPath` starts the next
 * worker on another module (one that cannot be loaded, to take the main thread's route).
 */
export function restartTranspiler(esbuildPath?: string): void {
  if (service) void service.worker.terminate();
  service = esbuildPath === undefined ? undefined : start(esbuildPath);
}

/** Whether the worker is running and has answered every request so far (tests). */
export function transpilerRunning(): boolean {
  return service !== undefined && service !== null;
}
