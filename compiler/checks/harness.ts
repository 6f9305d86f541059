/**
 * Test harness for checks: one mesh source in, the diagnostics one check reports out, so each
 * check's test is a few lines of mesh and the exact `{ code, severity, message, line }` expected.
 * Meshes skip type-checking, so they may hold mistakes the type checker would reject.
 */
import { deepStrictEqual } from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { compileMesh } from "../compile.js";
import type { Severity } from "../diagnostics.js";
import type { Check } from "./check.js";

/** What a test asserts about one diagnostic. `related` lists the lines of related locations, when there are any. */
export interface SeenDiagnostic {
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  readonly line: number | undefined;
  readonly related?: readonly number[];
}

/** Strips the first newline and the common indentation, so line 1 is the template's first line. */
export function dedent(source: string): string {
  const lines = source.replace(/^\r?\n/, "").split("\n");
  const indents = lines.filter((l) => l.trim() !== "").map((l) => /^ */.exec(l)![0].length);
  const cut = indents.length === 0 ? 0 : Math.min(...indents);
  return lines.map((l) => l.slice(cut)).join("\n");
}

/**
 * Compiles `source` (dedented) as `mesh.ts` in a fresh temporary folder with only `check`
 * enabled and returns every diagnostic, load and schema ones included, so a mesh that does not
 * even validate fails the test instead of passing silently.
 */
export function diagnose(check: Check, source: string): SeenDiagnostic[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "meshc-check-"));
  try {
    const file = path.join(dir, "mesh.ts");
    fs.writeFileSync(file, dedent(source));
    const { diagnostics } = compileMesh(file, { skipTypeCheck: true, checks: [check] });
    return diagnostics.map((d) => ({
      code: d.code,
      severity: d.severity,
      message: d.message,
      line: d.span?.line,
      ...(d.related ? { related: d.related.map((r) => r.span.line) } : {}),
    }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Asserts that `check` reports exactly `expected` on the mesh `source`. */
export function expectDiagnostics(check: Check, source: string, expected: readonly SeenDiagnostic[]): void {
  deepStrictEqual(diagnose(check, source), expected);
}
