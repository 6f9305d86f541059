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
