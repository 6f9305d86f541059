import fs from "node:fs";
import path from "node:path";
import type { Diagnostic } from "../diagnostics.js";
import type { Span } from "../ir.js";

export interface TextOptions {
  /** Mesh root: spans are relative to it. */
  readonly root: string;
  /** Paths are printed relative to this folder (the working directory). */
  readonly cwd: string;
  readonly color: boolean;
  /** Source text by absolute path; read from disk when missing. */
  readonly readFile?: (file: string) => string | undefined;
}

const paint = (on: boolean, code: string) => (s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);

/** A span's file as the user should see it: relative to the working directory, like tsc. */
export function displayFile(span: Span, root: string, cwd: string): string {
  return path.relative(cwd, path.resolve(root, span.file)).split(path.sep).join("/");
}

/** Prints diagnostics like tsc's pretty output: location, severity, code, message, code frame. */
export function formatText(diagnostics: readonly Diagnostic[], options: TextOptions): string {
  const cyan = paint(options.color, "96");
  const yellow = paint(options.color, "93");
  const red = paint(options.color, "91");
  const grey = paint(options.color, "90");
  const blue = paint(options.color, "94");
  const sev = (d: Diagnostic) => (d.severity === "error" ? red("error") : d.severity === "warning" ? yellow("warning") : blue("info"));
  const cache = new Map<string, string[] | undefined>();
  const lines = (file: string) => {
    if (!cache.has(file)) {
      const text = options.readFile?.(file) ?? (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined);
      cache.set(file, text?.split(/\r?\n/));
    }
    return cache.get(file);
  };
  const out: string[] = [];
  for (const d of diagnostics) {
    const where = d.span ? `${cyan(displayFile(d.span, options.root, options.cwd))}:${yellow(String(d.span.line))}:${yellow(String(d.span.column))} - ` : "";
    out.push(`${where}${sev(d)} ${grey(d.code + ":")} ${d.message}`);
    if (d.span) {
      const frame = codeFrame(lines(path.resolve(options.root, d.span.file)), d.span, options.color);
      if (frame) out.push("", frame);
    }
    if (d.hint) out.push(`  ${grey("hint:")} ${d.hint}`);
    for (const r of d.related ?? []) {
      out.push(`  ${cyan(displayFile(r.span, options.root, options.cwd))}:${yellow(String(r.span.line))}:${yellow(String(r.span.column))}`);
      out.push(`    ${r.message}`);
    }
    out.push("");
  }
  const count = (s: Diagnostic["severity"]) => diagnostics.filter((d) => d.severity === s).length;
  const errors = count("error");
  const warnings = count("warning");
  if (errors + warnings > 0) {
    const parts = [errors > 0 ? `${errors} error${errors === 1 ? "" : "s"}` : "", warnings > 0 ? `${warnings} warning${warnings === 1 ? "" : "s"}` : ""].filter(Boolean);
    out.push(`Found ${parts.join(" and ")}.`);
  }
  return out.join("\n");
}

function codeFrame(lines: string[] | undefined, span: Span, color: boolean): string | undefined {
  const text = lines?.[span.line - 1];
  if (text === undefined) return undefined;
  const gutter = String(span.line);
  const start = span.column - 1;
  const end = span.endLine === span.line ? Math.max(span.endColumn - 1, start + 1) : text.length;
  const squiggle = " ".repeat(start) + "~".repeat(Math.max(1, Math.min(end, text.length) - start));
  const bg = paint(color, "7");
  const red = paint(color, "91");
  return `${bg(gutter)} ${text}\n${bg(" ".repeat(gutter.length))} ${red(squiggle)}`;
}
