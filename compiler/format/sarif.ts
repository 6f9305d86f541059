/**
 * SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html), as GitHub code
 * scanning reads it: one run, every catalogue entry as a rule, results located in the mesh's
 * files relative to the repository root (`%SRCROOT%`).
 */
import fs from "node:fs";
import path from "node:path";
import type * as Sarif from "sarif";
import { allEntries, type CatalogueEntry } from "../codes.js";
import type { Diagnostic, Severity } from "../diagnostics.js";
import type { Span } from "../ir.js";
import { meshcPackage } from "../package.js";
import { repoFile, repoRoot } from "./repo-root.js";

const SRCROOT = "%SRCROOT%";

const level = (s: Severity): Sarif.ReportingConfiguration.level => (s === "error" ? "error" : s === "warning" ? "warning" : "note");

/** `SplitWeights` → `Split weights`. */
function words(name: string): string {
  const spaced = name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2");
  return spaced.charAt(0) + spaced.slice(1).toLowerCase().replace(/\bmtls\b/, "mTLS");
}

/** A hint that does not depend on the diagnostic's parameters belongs to the rule's help. */
function staticHint(e: CatalogueEntry<never>): string | undefined {
  return e.hint && e.hint.length === 0 ? (e.hint as () => string | undefined)() : undefined;
}

function rule(e: CatalogueEntry<never>): Sarif.ReportingDescriptor {
  const hint = staticHint(e);
  return {
    id: e.code,
    name: e.name,
    shortDescription: { text: `${words(e.name)}.` },
    fullDescription: { text: e.description },
    help: { text: hint ? `${e.description} ${hint}` : e.description },
    defaultConfiguration: { level: level(e.severity), ...(e.retired ? { enabled: false } : {}) },
    properties: { tags: [e.code.startsWith("MESH0") ? "schema" : e.code.startsWith("MESH2") ? "target" : e.code.startsWith("MESH9") ? "internal" : "policy"] },
  };
}

function tsRule(code: string): Sarif.ReportingDescriptor {
  return {
    id: code,
    name: "TypeScript",
    shortDescription: { text: `TypeScript diagnostic ${code}.` },
    fullDescription: { text: `A diagnostic of the TypeScript compiler (${code}), passed through unchanged.` },
    help: { text: `See the TypeScript documentation of ${code}; meshc type-checks mesh.ts with the TypeScript compiler API.` },
    defaultConfiguration: { level: "error" },
    properties: { tags: ["typescript"] },
  };
}

interface PackageInfo {
  readonly version: string;
  readonly homepage?: string;
}

function packageInfo(): PackageInfo {
  try {
    return meshcPackage() as PackageInfo;
  } catch {
    return { version: "0.0.0" };
  }
}

/** The region of a span, with the source it covers and the lines around it, for viewers without the file. */
function region(span: Span, lines: readonly string[] | undefined): { region: Sarif.Region; contextRegion?: Sarif.Region } {
  const endColumn = span.endLine === span.line ? Math.max(span.endColumn, span.column) : span.endColumn;
  const base = { startLine: span.line, startColumn: span.column, endLine: span.endLine, endColumn };
  if (!lines || span.line > lines.length) return { region: base };
  const covered = lines.slice(span.line - 1, span.endLine);
  const text =
    covered.length === 1
      ? covered[0]!.slice(span.column - 1, endColumn - 1)
      : [covered[0]!.slice(span.column - 1), ...covered.slice(1, -1), (covered[covered.length - 1] ?? "").slice(0, span.endColumn - 1)].join("\n");
  const first = Math.max(1, span.line - 2);
  const last = Math.min(lines.length, span.endLine + 2);
  return {
    region: { ...base, ...(text.length > 0 ? { snippet: { text } } : {}) },
    contextRegion: { startLine: first, endLine: last, snippet: { text: lines.slice(first - 1, last).join("\n") } },
  };
}

/** SARIF wants the text of every message to end like a sentence. */
const sentence = (text: string) => (/[.!?]$/.test(text.trimEnd()) ? text.trimEnd() : `${text.trimEnd()}.`);

/** Formats diagnostics as one SARIF 2.1.0 log, deterministic for the same input. */
export function formatSarif(diagnostics: readonly Diagnostic[], options: { root: string; cwd: string; repo?: string }): string {
  const repo = options.repo ?? repoRoot(options.root, options.cwd);
  const files = new Map<string, string[] | undefined>();
  const linesOf = (file: string) => {
    if (!files.has(file)) {
      const abs = path.resolve(options.root, file);
      files.set(file, fs.existsSync(abs) ? fs.readFileSync(abs, "utf8").split(/\r?\n/) : undefined);
    }
    return files.get(file);
  };
  const physical = (span: Span): Sarif.PhysicalLocation => ({
    artifactLocation: { uri: encodeURI(repoFile(span, options.root, repo)), uriBaseId: SRCROOT },
    ...region(span, linesOf(span.file)),
  });
  const pkg = packageInfo();
  const rules = allEntries.map(rule);
  const extra = [...new Set(diagnostics.map((d) => d.code).filter((c) => !rules.some((r) => r.id === c)))].sort();
  rules.push(...extra.map(tsRule));
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const results: Sarif.Result[] = diagnostics.map((d) => ({
    ruleId: d.code,
    ruleIndex: index.get(d.code)!,
    level: level(d.severity),
    message: { text: sentence(d.hint ? `${d.message}\n${d.hint}` : d.message) },
    ...(d.span ? { locations: [{ physicalLocation: physical(d.span) }] } : {}),
    ...(d.related ? { relatedLocations: d.related.map((r, i) => ({ id: i + 1, physicalLocation: physical(r.span), message: { text: sentence(r.message) } })) } : {}),
    ...(d.target ? { properties: { target: d.target } } : {}),
  }));
  const log: Sarif.Log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: { driver: { name: "meshc", version: pkg.version, semanticVersion: pkg.version, ...(pkg.homepage ? { informationUri: pkg.homepage } : {}), rules } },
        columnKind: "utf16CodeUnits",
        results,
      },
    ],
  };
  return JSON.stringify(log, null, 2);
}
