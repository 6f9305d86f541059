/**
 * Reads a mesh as it was at a git revision without touching the working tree: the entry file and
 * every file it imports (relative imports, followed transitively) are read with `git show` into a
 * temporary folder that mirrors the repository's layout.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { relativeImportCandidates as candidates } from "../load/imports.js";
import { typescript6 } from "../load/ts6.js";

/** A problem with the repository or the revision: the CLI reports it as a usage error. */
export class GitError extends Error {}

function git(cwd: string, args: string[]): Buffer {
  try {
    return execFileSync("git", args, { cwd, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 256 * 1024 * 1024 });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new GitError(stderr || (error instanceof Error ? error.message : String(error)));
  }
}

/** The top folder of the repository holding `dir`. */
export function gitRoot(dir: string): string {
  let out: string;
  try {
    out = git(dir, ["rev-parse", "--show-toplevel"]).toString().trim();
  } catch {
    throw new GitError(`${dir} is not inside a git repository`);
  }
  return fs.realpathSync(out);
}

export interface MaterializedMesh {
  /** The temporary folder standing for the repository root at `ref`. */
  readonly repo: string;
  /** The entry file inside it, or undefined when the mesh did not exist at `ref`. */
  readonly entry?: string;
  /** The repository-relative files written. */
  readonly files: readonly string[];
  readonly dispose: () => void;
}

/**
 * Writes the mesh at `entry` (an absolute path in the working tree) as it was at `ref` into a
 * temporary folder. The repository's `node_modules` is linked in, so bare imports still resolve.
 */
export function materializeAtRef(ref: string, entry: string, cwd: string): MaterializedMesh {
  const root = gitRoot(cwd);
  const real = fs.existsSync(entry) ? fs.realpathSync(entry) : path.resolve(entry);
  const entryRel = path.relative(root, real).split(path.sep).join("/");
  if (entryRel.startsWith("../")) throw new GitError(`${entry} is outside the git repository at ${root}`);
  try {
    git(root, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  } catch {
    throw new GitError(`unknown git revision "${ref}"`);
  }
  const tracked = new Set(git(root, ["ls-tree", "-r", "-z", "--name-only", ref]).toString().split("\0").filter(Boolean));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "meshc-base-"));
  const dispose = () => fs.rmSync(dir, { recursive: true, force: true });
  try {
    if (fs.existsSync(path.join(root, "node_modules"))) fs.symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir");
    if (!tracked.has(entryRel)) return { repo: dir, files: [], dispose };
    const written: string[] = [];
    const queue = [entryRel];
    const seen = new Set(queue);
    while (queue.length > 0) {
      const file = queue.shift()!;
      const content = git(root, ["show", `${ref}:${file}`]);
      const target = path.join(dir, ...file.split("/"));
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, content);
      written.push(file);
      if (!/\.(c|m)?tsx?$/.test(file)) continue;
      const { importedFiles } = typescript6().preProcessFile(content.toString("utf8"), true, true);
      for (const { fileName } of importedFiles) {
        if (!fileName.startsWith("./") && !fileName.startsWith("../")) continue;
        const joined = path.posix.normalize(path.posix.join(path.posix.dirname(file), fileName));
        const found = candidates(joined).find((c) => tracked.has(c));
        if (found && !seen.has(found)) {
          seen.add(found);
          queue.push(found);
        }
      }
    }
    return { repo: dir, entry: path.join(dir, ...entryRel.split("/")), files: written.sort(), dispose };
  } catch (error) {
    dispose();
    throw error;
  }
}
