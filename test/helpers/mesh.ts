import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { compileMesh, type CompileOptions, type CompileResult } from "../../compiler/compile.js";

/** A temporary folder holding mesh files; removed by `dispose`. */
export function scratch(files: Record<string, string>): { dir: string; file: (name: string) => string; dispose: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "meshc-test-"));
  for (const [name, text] of Object.entries(files)) {
    const target = path.join(dir, name);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, text);
  }
  return { dir, file: (name) => path.join(dir, name), dispose: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Compiles a one-file mesh given as source text. */
export function compileSource(source: string, options: CompileOptions = {}): CompileResult & { dir: string } {
  const s = scratch({ "mesh.ts": source });
  try {
    return { ...compileMesh(s.file("mesh.ts"), options), dir: s.dir };
  } finally {
    s.dispose();
  }
}

/** `code line:column message` per diagnostic: compact, readable expectations. */
export function summarize(result: Pick<CompileResult, "diagnostics">): string[] {
  return result.diagnostics.map((d) => `${d.code} ${d.span ? `${d.span.line}:${d.span.column}` : "-"} ${d.message}`);
}

export const repoRoot = path.resolve(import.meta.dirname, "../..");
export const example = (name: string) => path.join(repoRoot, "examples", name, "mesh.ts");
