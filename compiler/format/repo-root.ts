import fs from "node:fs";
import path from "node:path";
import type { Span } from "../ir.js";

/**
 * The repository a mesh lives in: the nearest folder at or above `dir` holding `.git` (a folder,
 * or a file in worktrees and submodules). Code scanning and workflow annotations name files
 * relative to it. Falls back to `fallback` outside a repository.
 */
export function repoRoot(dir: string, fallback: string): string {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, ".git"))) return d;
    if (path.dirname(d) === d) return path.resolve(fallback);
  }
}

/** A span's file relative to the repository root, `/`-separated. */
export function repoFile(span: Span, root: string, repo: string): string {
  return path.relative(repo, path.resolve(root, span.file)).split(path.sep).join("/");
}
