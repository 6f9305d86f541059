import type { Diagnostic } from "../diagnostics.js";
import { displayFile } from "./text.js";

/** One JSON object per diagnostic: stable fields for tools (`file` relative to the working directory). */
export function formatJson(diagnostics: readonly Diagnostic[], options: { root: string; cwd: string }): string {
  const rows = diagnostics.map((d) => ({
    code: d.code,
    name: d.name,
    severity: d.severity,
    message: d.message,
    file: d.span ? displayFile(d.span, options.root, options.cwd) : null,
    line: d.span?.line ?? null,
    column: d.span?.column ?? null,
    endLine: d.span?.endLine ?? null,
    endColumn: d.span?.endColumn ?? null,
    ...(d.hint ? { hint: d.hint } : {}),
    ...(d.target ? { target: d.target } : {}),
    ...(d.related ? { related: d.related.map((r) => ({ message: r.message, file: displayFile(r.span, options.root, options.cwd), line: r.span.line, column: r.span.column })) } : {}),
  }));
  return JSON.stringify(rows, null, 2);
}
