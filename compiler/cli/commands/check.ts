import { compileMesh, type CompileResult } from "../../compile.js";
import { parse, type Command } from "../command.js";
import type { Io } from "../io.js";
import { exitCodeFor, parseFormat, printDiagnostics, printTimings } from "../report.js";
import { watchMesh } from "../watch.js";
import path from "node:path";

/** How `meshc check` prints its results. */
export interface CheckOutput {
  readonly format: string;
  readonly strict: boolean;
  readonly color: false | undefined;
}

export const checkCommand: Command = {
  name: "check",
  help: `Usage: meshc check [mesh.ts] [options]

Type-checks mesh.ts, validates its declarations and runs every check. Nothing is written.

Arguments:
  mesh.ts                 the mesh file (default: ./mesh.ts)

Options:
  --format <format>       text (default), json, sarif or github
  --strict                warnings fail the check too (exit 1)
  --no-color              never colour the output (NO_COLOR is honoured too)
  --timings               print how long each phase took, to stderr
  -w, --watch             check again whenever mesh.ts or a file it imports changes, keeping the
                          compiler's state between checks; Ctrl-C to stop
  -h, --help              show this help

Exit codes: 0 no errors, 1 the mesh has errors (or warnings with --strict), 2 usage or internal error.
`,
  run(argv: readonly string[], io: Io) {
    const { values, positionals } = parse(argv, {
      format: { type: "string" },
      strict: { type: "boolean" },
      "no-color": { type: "boolean" },
      watch: { type: "boolean", short: "w" },
      timings: { type: "boolean" },
    });
    if (values.help) {
      io.stdout(checkCommand.help);
      return 0;
    }
    const output: CheckOutput = { format: parseFormat(values.format), strict: values.strict === true, color: values["no-color"] ? false : undefined };
    const entry = path.resolve(io.cwd, positionals[0] ?? "mesh.ts");
    if (values.watch) return watchFromTerminal(entry, output, io);
    const t0 = performance.now();
    const result = compileMesh(entry);
    const totalMs = performance.now() - t0;
    const code = report(io, entry, result, output);
    if (values.timings) printTimings(io, "check", result.timings, totalMs);
    return code;
  },
};

/** Prints one check's result; returns its exit code. */
function report(io: Io, entry: string, result: CompileResult, output: CheckOutput): number {
  printDiagnostics(io, result.diagnostics, output.format, result.sources.root, output.color);
  const code = exitCodeFor(result.diagnostics, output.strict);
  if (output.format === "text" && code === 0) io.stdout(`${path.relative(io.cwd, entry) || entry}: ok (${result.ir?.services.length ?? 0} services, ${result.ir?.calls.length ?? 0} calls)\n`);
  return code;
}

async function watchFromTerminal(entry: string, output: CheckOutput, io: Io): Promise<number> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    return await watchCheck(entry, output, io, controller.signal);
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}

/**
 * `meshc check --watch`: prints every check's result until the signal aborts, then exits 0 (the
 * user stopped it; the last result was already reported). Status lines go to stderr so that
 * `--format json` and friends print one clean document per check.
 */
export async function watchCheck(entry: string, output: CheckOutput, io: Io, signal: AbortSignal, debounceMs?: number): Promise<number> {
  const shown = path.relative(io.cwd, entry) || entry;
  await watchMesh(
    entry,
    (result, elapsed) => {
      report(io, entry, result, output);
      const files = result.files?.length ?? 1;
      io.stderr(`[watch] checked ${shown} in ${Math.round(elapsed)} ms${typeChecked(result)}; watching ${files} file${files === 1 ? "" : "s"} for changes (Ctrl-C to stop)\n`);
    },
    { signal, ...(debounceMs !== undefined ? { debounceMs } : {}) },
  );
  return 0;
}

/**
 * What a re-check type-checked, when not every file: users see why an edit inside a policy is
 * re-checked faster than an edit of services, which every file's types see.
 */
function typeChecked(result: CompileResult): string {
  const only = result.rechecked;
  if (!only) return "";
  if (only.length === 0) return " (nothing type-checked again: the files are as last checked)";
  return ` (type-checked ${only.map((f) => result.sources.relative(f)).join(", ")} alone)`;
}
