import fs from "node:fs";
import path from "node:path";
import { compileMesh, type CompileResult } from "../../compile.js";
import { hasErrors } from "../../diagnostics.js";
import { loadCodeowners } from "../../diff/codeowners.js";
import { diffMeshes, type MeshSide } from "../../diff/diff.js";
import { DIFF_FORMATS, formatDiff, type DiffFormat } from "../../diff/format.js";
import { GitError, gitRoot, materializeAtRef } from "../../diff/git.js";
import type { MeshIR } from "../../ir.js";
import { formatText } from "../../format/text.js";
import { repoRoot } from "../../format/repo-root.js";
import { parse, type Command } from "../command.js";
import { UsageError, useColor, type Io } from "../io.js";

/** The IR of a mesh that does not exist yet (a pull request that adds it). */
function emptyMesh(like: MeshIR): MeshIR {
  return { ...like, services: [], external: [], identities: [], calls: [], routes: [], ingresses: [], mtls: like.mtls, egress: like.egress };
}

export const diffCommand: Command = {
  name: "diff",
  help: `Usage: meshc diff <base.ts> [<head.ts>] [options]
       meshc diff --base <git-ref> [mesh.ts] [options]

Compares two versions of a mesh and reports what changed in terms of policy: edges added and
removed (who may call whom, on which port, with which methods, paths or gRPC methods), access
WIDENED (a new caller, a new method or path, a dropped restriction, mTLS relaxed, egress opened,
an identity now shared), traffic changes (timeouts, retries, splits, faults, mirrors), services
and identities added or removed, and the files (with their CODEOWNERS) whose exposure changed.

With --base, the base is the mesh as it was at a git revision (the entry file and every file it
imports, read with git; the working tree is not touched), and the head is the working tree.

Arguments:
  base.ts                 the base version of the mesh
  head.ts, mesh.ts        the head version (default: ./mesh.ts)

Options:
  --base <git-ref>        compare against a git revision, e.g. origin/main or HEAD~1
  --format <format>       text (default), markdown (a pull-request comment) or json
  --fail-on widened       exit 1 when access was widened
  --no-color              never colour the output
  -h, --help              show this help

Exit codes: 0 (also when policies changed), 1 with --fail-on widened when access was widened or
when a version does not compile, 2 usage or internal error.
`,
  run(argv: readonly string[], io: Io) {
    const { values, positionals } = parse(argv, {
      base: { type: "string" },
      format: { type: "string" },
      "fail-on": { type: "string" },
      "no-color": { type: "boolean" },
    });
    if (values.help) {
      io.stdout(diffCommand.help);
      return 0;
    }
    const format = (values.format ?? "text") as DiffFormat;
    if (!DIFF_FORMATS.includes(format)) throw new UsageError(`unknown --format "${format}"; use one of ${DIFF_FORMATS.join(", ")}`);
    const failOn = values["fail-on"];
    if (failOn !== undefined && failOn !== "widened") throw new UsageError(`unknown --fail-on "${failOn}"; use widened`);
    const gitRef = values.base;
    if (gitRef !== undefined ? positionals.length > 1 : positionals.length < 1 || positionals.length > 2) {
      throw new UsageError(gitRef !== undefined ? "with --base, give at most one mesh file" : "give the base mesh file (and optionally the head), or --base <git-ref>");
    }
    const headFile = path.resolve(io.cwd, (gitRef !== undefined ? positionals[0] : positionals[1]) ?? "mesh.ts");
    const display = (file: string) => path.relative(io.cwd, file) || file;

    const failed = (label: string, result: CompileResult) => {
      io.stderr(`meshc diff: the ${label} does not compile:\n\n${formatText(result.diagnostics, { root: result.sources.root, cwd: io.cwd, color: useColor(io, values["no-color"] ? false : undefined) })}\n`);
      return 1;
    };
    const warnIfErrors = (label: string, result: CompileResult) => {
      if (hasErrors(result.diagnostics)) io.stderr(`meshc diff: warning: the ${label} has errors; run \`meshc check\` on it.\n`);
    };

    const head = compileMesh(headFile);
    if (!head.ir) return failed(`head (${display(headFile)})`, head);
    warnIfErrors("head", head);

    let baseSide: MeshSide;
    let repo: string;
    let labels: { base: string; head: string };
    let dispose = () => {};
    try {
      if (gitRef !== undefined) {
        try {
          repo = gitRoot(path.dirname(headFile));
          const base = materializeAtRef(gitRef, headFile, path.dirname(headFile));
          dispose = base.dispose;
          labels = { base: gitRef, head: `working tree (${display(headFile)})` };
          if (!base.entry) {
            baseSide = { ir: emptyMesh(head.ir), root: base.repo, repo: base.repo };
          } else {
            const compiled = compileMesh(base.entry);
            if (!compiled.ir) return failed(`base (${display(headFile)} at ${gitRef})`, compiled);
            warnIfErrors("base", compiled);
            baseSide = { ir: compiled.ir, root: compiled.sources.root, repo: base.repo };
          }
        } catch (error) {
          if (error instanceof GitError) throw new UsageError(error.message);
          throw error;
        }
      } else {
        const baseFile = path.resolve(io.cwd, positionals[0]!);
        if (!fs.existsSync(baseFile)) throw new UsageError(`cannot read the base mesh "${positionals[0]}"`);
        const compiled = compileMesh(baseFile);
        if (!compiled.ir) return failed(`base (${display(baseFile)})`, compiled);
        warnIfErrors("base", compiled);
        repo = fs.realpathSync(repoRoot(path.dirname(headFile), io.cwd));
        baseSide = { ir: compiled.ir, root: compiled.sources.root, repo: repoRoot(compiled.sources.root, io.cwd) };
        labels = { base: display(baseFile), head: display(headFile) };
      }
      const headSide: MeshSide = { ir: head.ir, root: fs.realpathSync(head.sources.root), repo };
      const diff = diffMeshes(baseSide, headSide, labels, loadCodeowners(repo));
      io.stdout(formatDiff(diff, format, { color: useColor(io, values["no-color"] ? false : undefined) }) + "\n");
      return failOn === "widened" && diff.widened ? 1 : 0;
    } finally {
      dispose();
    }
  },
};
