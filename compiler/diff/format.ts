/**
 * Renders a {@link MeshDiff}: `text` for a terminal, `markdown` for a pull-request comment (with a
 * Mermaid graph of the changed edges), `json` for tools.
 */
import type { AccessChange, MeshDiff } from "./diff.js";
import { isEmpty } from "./diff.js";

export const DIFF_FORMATS = ["text", "markdown", "json"] as const;
export type DiffFormat = (typeof DIFF_FORMATS)[number];

export function formatDiff(diff: MeshDiff, format: DiffFormat, options: { color?: boolean } = {}): string {
  switch (format) {
    case "text":
      return formatDiffText(diff, options.color === true);
    case "markdown":
      return formatDiffMarkdown(diff);
    case "json":
      return JSON.stringify(diff, null, 2);
  }
}

const sign = (kind: "added" | "removed" | "changed") => (kind === "added" ? "+" : kind === "removed" ? "-" : "~");

function accessLine(c: AccessChange): string {
  const what = c.kind === "added" ? `now allowed: ${c.after}` : c.kind === "removed" ? `no longer allowed: ${c.before}` : `${c.before} → ${c.after}`;
  return `${c.caller} → ${c.callee}: ${what} (${c.details.join("; ")})`;
}

function tag(c: { widened?: boolean; narrowed?: boolean; relaxed?: boolean }): string {
  if (c.widened || c.relaxed) return "WIDENED";
  if (c.narrowed) return "narrowed";
  return "changed";
}

/** A terminal report: one line per change, grouped, widened changes marked loudly. */
export function formatDiffText(diff: MeshDiff, color: boolean): string {
  const red = (s: string) => (color ? `\x1b[91m${s}\x1b[0m` : s);
  const bold = (s: string) => (color ? `\x1b[1m${s}\x1b[0m` : s);
  const out = [bold(`meshc diff: ${diff.base} → ${diff.head}`), ""];
  if (isEmpty(diff)) return [...out, "No policy changes."].join("\n");
  const section = (title: string, lines: string[]) => {
    if (lines.length > 0) out.push(bold(title), ...lines.map((l) => `  ${l}`), "");
  };
  const mark = (c: Parameters<typeof tag>[0]) => (tag(c) === "WIDENED" ? red("WIDENED ") : `${tag(c)} `.padEnd(8));
  section(
    "Access",
    diff.access.map((c) => `${sign(c.kind)} ${mark(c)} ${accessLine(c)}`),
  );
  section("mTLS", [
    ...diff.mtls.map((m) => `~ ${mark(m)} ${m.subject}: ${m.before} → ${m.after}`),
    ...(diff.egress ? [`~ ${mark(diff.egress)} egress: ${diff.egress.before} → ${diff.egress.after}`] : []),
  ]);
  section(
    "Identities",
    [
      ...diff.identities.shared.map((s) => `~ ${red("WIDENED ")} ${s.identity} is now shared by ${s.services.join(", ")}`),
      ...diff.identities.added.map((i) => `+ ${i}`),
      ...diff.identities.removed.map((i) => `- ${i}`),
    ],
  );
  section("Services", [...diff.services.added.map((s) => `+ ${s}`), ...diff.services.removed.map((s) => `- ${s}`)]);
  section(
    "Traffic",
    diff.traffic.flatMap((t) => [`${sign(t.kind)} ${t.subject}`, ...t.changes.map((c) => `    ${c.field}: ${c.before} → ${c.after}`)]),
  );
  section(
    "Files and owners",
    diff.files.map((f) => `${f.file}${f.owners.length > 0 ? `  ${f.owners.join(" ")}` : ""}`),
  );
  out.push(diff.widened ? red("Access was widened.") : "Access was not widened.");
  return out.join("\n");
}

/** Escapes text for a Markdown table cell. */
const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;
/** Mermaid label text: quotes and angle brackets as entities. */
const mermaidText = (s: string) => s.replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;");

/** A Mermaid flowchart of the changed edges: added thick, removed dotted, widened in red. */
export function mermaidOfAccess(changes: readonly AccessChange[]): string {
  const ids = new Map<string, string>();
  const node = (name: string) => {
    if (!ids.has(name)) ids.set(name, `n${ids.size}`);
    return ids.get(name)!;
  };
  const lines = ["flowchart LR"];
  const styles: string[] = [];
  changes.forEach((c, i) => {
    const callee = c.callee.replace(/ \(external\)$/, "");
    const [service] = callee.split(":");
    const from = node(c.caller);
    const to = node(service!);
    const label = mermaidText(`${callee.slice(service!.length + 1)}: ${c.kind === "removed" ? "removed" : c.kind === "added" ? `+ ${c.after}` : c.details.join("; ")}`);
    const arrow = c.kind === "removed" ? "-.->" : c.kind === "added" ? "==>" : "-->";
    lines.push(`  ${from} ${arrow}|"${label}"| ${to}`);
    if (c.widened) styles.push(`  linkStyle ${i} stroke:#d1242f,stroke-width:3px`);
    else if (c.kind === "removed" || c.narrowed) styles.push(`  linkStyle ${i} stroke:#8c959f`);
  });
  const nodes = [...ids].map(([name, id]) => `  ${id}["${mermaidText(name)}"]`);
  return [lines[0]!, ...nodes, ...lines.slice(1), ...styles].join("\n");
}

/** A pull-request comment. */
export function formatDiffMarkdown(diff: MeshDiff): string {
  const out = [`### meshc diff: ${code(diff.base)} → ${code(diff.head)}`, ""];
  if (isEmpty(diff)) return [...out, "No policy changes."].join("\n");
  if (diff.widened) {
    out.push("> [!WARNING]", "> **Access widened.** This change lets some callers do more than before; the rows marked ⚠️ say how.", "");
  } else out.push("Access was not widened.", "");
  const flag = (c: Parameters<typeof tag>[0]) => (tag(c) === "WIDENED" ? "⚠️ widened" : tag(c));
  if (diff.access.length > 0) {
    out.push("#### Access", "", "| | Caller | Callee | Before | After | Why |", "|---|---|---|---|---|---|");
    for (const c of diff.access) {
      out.push(`| ${flag(c)} | ${code(c.caller)} | ${code(c.callee)} | ${cell(c.before ?? "—")} | ${cell(c.after ?? "—")} | ${cell(c.details.join("; "))} |`);
    }
    out.push("", "```mermaid", mermaidOfAccess(diff.access), "```", "");
  }
  if (diff.mtls.length > 0 || diff.egress || diff.identities.shared.length > 0) {
    out.push("#### mTLS, egress and identities", "");
    for (const m of diff.mtls) out.push(`- ${m.relaxed ? "⚠️ " : ""}${code(m.subject)} mTLS: ${m.before} → ${m.after}${m.relaxed ? " (plaintext now accepted)" : ""}`);
    if (diff.egress) out.push(`- ${diff.egress.widened ? "⚠️ " : ""}egress: ${diff.egress.before} → ${diff.egress.after}`);
    for (const s of diff.identities.shared) out.push(`- ⚠️ ${code(s.identity)} is now shared by ${s.services.map(code).join(", ")}: each may make the others' calls`);
    out.push("");
  }
  if (diff.traffic.length > 0) {
    out.push("#### Traffic", "", "| Subject | Field | Before | After |", "|---|---|---|---|");
    for (const t of diff.traffic) {
      t.changes.forEach((c, i) => out.push(`| ${i === 0 ? `${t.kind === "changed" ? "" : `${t.kind} `}${code(t.subject)}` : ""} | ${code(c.field)} | ${cell(c.before)} | ${cell(c.after)} |`));
    }
    out.push("");
  }
  const lists: [string, readonly string[]][] = [
    ["Services added", diff.services.added],
    ["Services removed", diff.services.removed],
    ["Identities added", diff.identities.added],
    ["Identities removed", diff.identities.removed],
  ];
  if (lists.some(([, l]) => l.length > 0)) {
    out.push("#### Services and identities", "");
    for (const [title, list] of lists) if (list.length > 0) out.push(`- ${title}: ${list.map(code).join(", ")}`);
    out.push("");
  }
  if (diff.files.length > 0) {
    out.push("#### Files and owners", "", "| File | Owners |", "|---|---|");
    for (const f of diff.files) out.push(`| ${code(f.file)} | ${f.owners.length > 0 ? f.owners.join(" ") : "—"} |`);
    out.push("");
  }
  return out.join("\n").trimEnd();
}
