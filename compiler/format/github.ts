/**
 * GitHub Actions workflow commands: one `::error …::message` (or `::warning`, `::notice`) line per
 * diagnostic, which GitHub shows as an annotation on the file and line of the pull request.
 * https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands
 */
import type { Diagnostic } from "../diagnostics.js";
import { repoFile, repoRoot } from "./repo-root.js";

/** Escapes a command's message, as the Actions runner unescapes it. */
export function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** Escapes a command property's value: the data escapes, plus `:` and `,` which delimit properties. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

/** Formats diagnostics as workflow commands; file paths are relative to the repository root. */
export function formatGithub(diagnostics: readonly Diagnostic[], options: { root: string; cwd: string; repo?: string }): string {
  const repo = options.repo ?? repoRoot(options.root, options.cwd);
  return diagnostics
    .map((d) => {
      const command = d.severity === "error" ? "error" : d.severity === "warning" ? "warning" : "notice";
      const props: [string, string | number][] = [];
      if (d.span) {
        props.push(["file", repoFile(d.span, options.root, repo)], ["line", d.span.line], ["col", d.span.column], ["endLine", d.span.endLine], ["endColumn", d.span.endColumn]);
      }
      props.push(["title", d.code]);
      const lines = [d.message];
      if (d.hint) lines.push(d.hint);
      for (const r of d.related ?? []) lines.push(`${repoFile(r.span, options.root, repo)}:${r.span.line}:${r.span.column}: ${r.message}`);
      return `::${command} ${props.map(([k, v]) => `${k}=${escapeProperty(String(v))}`).join(",")}::${escapeData(lines.join("\n"))}`;
    })
    .join("\n");
}
