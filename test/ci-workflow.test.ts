// The example GitHub Actions workflow (examples/ci/github-actions.yml) really works: every meshc
// command it runs is run here, as written, in a pull-request-like git repository, and what it
// writes is what the next steps read.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { main } from "../compiler/cli/main.js";
import type { Io } from "../compiler/cli/io.js";
import { repoRoot } from "./helpers/mesh.js";

interface Step {
  readonly name?: string;
  readonly id?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, string>;
  readonly if?: string;
  readonly "continue-on-error"?: boolean;
}
interface Workflow {
  readonly on: Record<string, unknown>;
  readonly permissions: Record<string, string>;
  readonly env: Record<string, string>;
  readonly jobs: Record<string, { readonly steps: readonly Step[] }>;
}

const workflow = YAML.parse(fs.readFileSync(path.join(repoRoot, "examples/ci/github-actions.yml"), "utf8")) as Workflow;
const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);

/** Splits a shell command into words (quotes honoured) and a `> file` redirect. */
function shellWords(command: string, vars: Record<string, string>): { argv: string[]; stdout?: string } {
  const expanded = command.replace(/\$\{\{\s*([\w.]+)\s*\}\}/g, (_, k: string) => vars[k] ?? "").replace(/\$(\w+)/g, (_, k: string) => vars[k] ?? "");
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(expanded); m; m = re.exec(expanded)) words.push(m[1] ?? m[2] ?? m[3]!);
  const at = words.indexOf(">");
  return at >= 0 ? { argv: words.slice(0, at), stdout: words[at + 1]! } : { argv: words };
}

describe("examples/ci/github-actions.yml", () => {
  let repo: string;
  const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=ci", "-c", "user.email=ci@example.com", ...args], { cwd: repo, encoding: "utf8" });

  beforeAll(() => {
    // A project whose mesh is online-boutique, on a pull-request branch that widens an edge.
    repo = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "meshc-ci-")));
    fs.cpSync(path.join(repoRoot, "examples/online-boutique"), repo, { recursive: true });
    git("init", "-q", "-b", "main");
    git("add", "-A");
    git("commit", "-q", "-m", "mesh");
    git("update-ref", "refs/remotes/origin/main", "HEAD"); // what actions/checkout fetches with fetch-depth: 0
    git("checkout", "-q", "-b", "widen-cart");
    const team = path.join(repo, "teams/storefront.ts");
    fs.writeFileSync(team, fs.readFileSync(team, "utf8").replace('"hipstershop.CartService/EmptyCart"],', '"hipstershop.CartService/EmptyCart", "hipstershop.CartService/DeleteCart"],'));
    git("commit", "-q", "-am", "widen");
  });
  afterAll(() => fs.rmSync(repo, { recursive: true, force: true }));

  it("runs on pull requests with the permissions its uploads and comments need", () => {
    expect(Object.keys(workflow.on)).toContain("pull_request");
    expect(workflow.permissions).toMatchObject({ "security-events": "write", "pull-requests": "write" });
    const checkout = steps.find((s) => s.uses?.startsWith("actions/checkout@"));
    expect(checkout?.with?.["fetch-depth"], "the diff needs the base branch's history").toBe(0);
  });

  it("runs valid meshc commands whose outputs feed the upload and the comment", async () => {
    const vars = { ...workflow.env, "github.base_ref": "main" };
    const commands = steps.flatMap((s) => (s.run ?? "").split("\n")).filter((l) => /^npx meshc\b/.test(l.trim()));
    expect(commands.map((c) => shellWords(c, vars).argv[2])).toEqual(["check", "diff"]);
    const outputs = new Map<string, string>();
    for (const command of commands) {
      const { argv, stdout } = shellWords(command, vars);
      let out = "";
      let err = "";
      const io: Io = { stdout: (t) => void (out += t), stderr: (t) => void (err += t), cwd: repo, env: {}, isTty: false };
      const code = await main(argv.slice(2), io);
      expect({ command, code, err }).toEqual({ command, code: 0, err: "" });
      outputs.set(argv[2]!, out);
      if (stdout) fs.writeFileSync(path.join(repo, stdout), out);
    }
    expect(git("status", "--porcelain", "--untracked-files=no")).toBe("");

    const upload = steps.find((s) => s.uses?.startsWith("github/codeql-action/upload-sarif@"))!;
    const sarif = JSON.parse(fs.readFileSync(path.join(repo, String(upload.with!.sarif_file)), "utf8")) as { version: string; runs: { tool: { driver: { name: string } } }[] };
    expect(sarif.version).toBe("2.1.0");
    expect(sarif.runs[0]!.tool.driver.name).toBe("meshc");
    expect(upload.if, "alerts are uploaded even when the check fails").toBe("always()");

    const comment = steps.find((s) => s.run?.includes("gh pr comment"))!;
    const bodyFile = /--body-file (\S+)/.exec(comment.run!)![1]!;
    const markdown = fs.readFileSync(path.join(repo, bodyFile), "utf8");
    expect(markdown).toContain("**Access widened.**");
    expect(markdown).toContain("| ⚠️ widened | `frontend` | `cartservice:grpc` |");
    expect(markdown).toContain("```mermaid");
  });
});
