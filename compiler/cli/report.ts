import type { Diagnostic } from "../diagnostics.js";
import { formatGithub } from "../format/github.js";
import { formatJson } from "../format/json.js";
import { formatSarif } from "../format/sarif.js";
import { formatText } from "../format/text.js";
import { UsageError, useColor, type Io } from "./io.js";

export const FORMATS = ["text", "json", "sarif", "github"] as const;
export type Format = (typeof FORMATS)[number];


export function parseFormat(value: string | undefined): string {
  const format = value ?? "text";
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`unknown --format "${format}"; use one of ${FORMATS.join(", ")}`);
  }
  return format;
}

/** Prints diagnostics in the chosen format: text to stderr-like human output, machine formats to stdout. */
export function printDiagnostics(io: Io, diagnostics: readonly Diagnostic[], format: string, root: string, color: boolean | undefined): void {
  if (format === "text") {
    if (diagnostics.length > 0) io.stdout(formatText(diagnostics, { root, cwd: io.cwd, color: useColor(io, color) }) + "\n");
    return;
  }
  if (format === "json") {
    io.stdout(formatJson(diagnostics, { root, cwd: io.cwd }) + "\n");
    return;
  }
  if (format === "sarif") {
    io.stdout(formatSarif(diagnostics, { root, cwd: io.cwd }) + "\n");
    return;
  }
  if (format === "github") {
    // No diagnostics, no commands: an empty line would only clutter the job log.
    if (diagnostics.length > 0) io.stdout(formatGithub(diagnostics, { root, cwd: io.cwd }) + "\n");
    return;
  }
}

export function exitCodeFor(diagnostics: readonly Diagnostic[], strict: boolean): number {
  if (diagnostics.some((d) => d.code.startsWith("MESH9"))) return 2;
  return diagnostics.some((d) => d.severity === "error" || (strict && d.severity === "warning")) ? 1 : 0;
}

/** The phases in the order they run, with what a reader needs to add them up. */
const PHASES: readonly { readonly key: string; readonly note?: string }[] = [
  { key: "load", note: "type-check and running the mesh, with what ran beside the checker" },
  { key: "typecheck", note: "until the checker's verdict" },
  { key: "overlapped", note: "of it, the work done beside the checker (below, marked *)" },
  { key: "evaluate", note: "* running mesh.ts" },
  { key: "validate", note: "*" },
  { key: "resolve", note: "*" },
  { key: "checks", note: "*" },
];

/**
 * `--timings`: each phase's milliseconds, to stderr (stdout belongs to the diagnostics' format).
 * Phases done beside others are marked, so that the lines are not simply added up.
 */
export function printTimings(io: Io, command: string, timings: Readonly<Record<string, number>>, totalMs: number): void {
  const known = new Set(PHASES.map((p) => p.key));
  const rows: [string, number, string][] = PHASES.filter((p) => timings[p.key] !== undefined).map((p) => [p.key, timings[p.key]!, p.note ?? ""]);
  for (const [key, ms] of Object.entries(timings)) {
    if (known.has(key) || key === "write:worker" || key === "concurrent") continue;
    rows.push([key, ms, key === "write" ? "the main thread's files and the manifest" : ""]);
  }
  if (timings["write:worker"] !== undefined) rows.push(["write:worker", timings["write:worker"], "the worker thread's files (its targets ran there too)"]);
  if (timings.concurrent !== undefined) rows.push(["concurrent", timings.concurrent, "of the worker's phases, the time beside the main thread's"]);
  rows.push(["total", totalMs, `the whole \`meshc ${command}\` but starting Node and loading meshc`]);
  const width = Math.max(...rows.map(([key]) => key.length));
  const lines = rows.map(([key, ms, note]) => `  ${key.padEnd(width)}  ${Math.round(ms).toLocaleString("en-US").padStart(7)} ms${note ? `  ${note}` : ""}`);
  io.stderr(`Timings of meshc ${command}:\n${lines.join("\n")}\n`);
}
