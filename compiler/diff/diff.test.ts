import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../cli/main.js";
import type { Io } from "../cli/io.js";
import { accessCovers, describeChange, type Grant } from "./access.js";
import { ownersOf, parseCodeowners } from "./codeowners.js";
import type { MeshDiff } from "./diff.js";

async function cli(argv: string[], cwd: string) {
  let stdout = "";
  let stderr = "";
  const io: Io = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), cwd, env: {}, isTty: false };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

describe("access", () => {
  const get: Grant = { methods: ["GET"], paths: [{ kind: "prefix", value: "/api/" }] };
  it("sees a new method, a wider path and a dropped restriction as widening, and the reverse as narrowing", () => {
    expect(accessCovers([get], [{ methods: ["GET"], paths: [{ kind: "exact", value: "/api/orders" }] }])).toBe(true);
    expect(accessCovers([get], [{ methods: ["GET", "POST"], paths: [{ kind: "prefix", value: "/api/" }] }])).toBe(false);
    expect(accessCovers([get], [{ methods: ["GET"], paths: [{ kind: "prefix", value: "/" }] }])).toBe(false);
    expect(accessCovers([get], [{}])).toBe(false);
    expect(accessCovers([{}], [get])).toBe(true);
    // Two grants together can cover what one alone does not.
    expect(accessCovers([{ methods: ["GET"] }, { methods: ["POST"] }], [{ methods: ["GET", "POST"] }])).toBe(true);
    expect(accessCovers([{ grpcMethods: [{ service: "shop.Cart" }] }], [{ grpcMethods: [{ service: "shop.Cart", method: "Get" }] }])).toBe(true);
    expect(accessCovers([{ grpcMethods: [{ service: "shop.Cart", method: "Get" }] }], [{ grpcMethods: [{ service: "shop.Cart" }] }])).toBe(false);
  });

  it("describes a change dimension by dimension", () => {
    expect(describeChange([get], [{ methods: ["GET", "POST"], paths: [{ kind: "prefix", value: "/api/" }] }])).toEqual(["methods +POST"]);
    expect(describeChange([get], [{ methods: ["GET"] }])).toEqual(["any path (restriction dropped)"]);
    expect(describeChange([{}], [get])).toEqual(["methods restricted to GET", "paths restricted to /api/*"]);
  });
});

describe("CODEOWNERS", () => {
  const rules = parseCodeowners(["# comment", "*            @platform", "/teams/      @teams-lead", "teams/cart.ts @cart-team # inline", "docs/**/*.md @docs", "*.yaml"].join("\n"));
  it("applies the last matching rule, with gitignore-style patterns", () => {
    expect(ownersOf(rules, "mesh.ts")).toEqual(["@platform"]);
    expect(ownersOf(rules, "teams/web.ts")).toEqual(["@teams-lead"]);
    expect(ownersOf(rules, "teams/cart.ts")).toEqual(["@cart-team"]);
    expect(ownersOf(rules, "docs/a/b/c.md")).toEqual(["@docs"]);
    expect(ownersOf(rules, "deploy/x.yaml")).toEqual([]);
  });
});

describe("meshc diff", () => {
  let repo: string;
  const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=test", "-c", "user.email=test@example.com", ...args], { cwd: repo, encoding: "utf8" });
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
    fs.writeFileSync(path.join(repo, file), text);
  };
  const mesh = (calls: string, apiMtls = "") => `import { defineMesh } from "meshc";
import { api } from "./teams/api.js";

export default defineMesh(
  { name: "shop", services: { web: { ports: { http: { port: 80 } } }, worker: { ports: {} }, ...api } },
  (s) => ({
    ingress: [{ name: "public", routes: [{ paths: ["/*"], to: s.web.ports.http }] }],
    calls: [${calls}],
  }),
);
${apiMtls}`;
  const team = (mtls: string) => `import { services } from "meshc";
export const api = services({ api: { ports: { http: { port: 8080${mtls} } } } });
`;

  beforeAll(() => {
    repo = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "meshc-diff-")));
    git("init", "-q", "-b", "main");
    write("deploy/mesh.ts", mesh(`{ from: s.web, to: s.api.ports.http, methods: ["GET"], paths: ["/orders/*"], timeout: "2s" }`));
    write("deploy/teams/api.ts", team(""));
    write(".github/CODEOWNERS", "* @platform\n/deploy/teams/ @api-team\n");
    git("add", "-A");
    git("commit", "-q", "-m", "base");
    // The change under review: a new method and a new caller of api, its mTLS relaxed, a longer timeout.
    write("deploy/mesh.ts", mesh(`{ from: s.web, to: s.api.ports.http, methods: ["GET", "POST"], paths: ["/orders/*"], timeout: "5s" },
      { from: s.worker, to: s.api.ports.http }`));
    write("deploy/teams/api.ts", team(`, mtls: "permissive"`));
    git("add", "-A");
    git("commit", "-q", "-m", "widen");
  });
  afterAll(() => fs.rmSync(repo, { recursive: true, force: true }));

  it("reads the base from git (with its imports) and reports the widened edges as widened", async () => {
    const r = await cli(["diff", "--base", "HEAD~1", "deploy/mesh.ts", "--format", "json"], repo);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const diff = JSON.parse(r.stdout) as MeshDiff;
    expect(diff.widened).toBe(true);
    expect(diff.access.map((c) => [c.kind, c.widened, c.caller, c.callee, c.details])).toEqual([
      ["changed", true, "web", "api:http", ["methods +POST"]],
      ["added", true, "worker", "api:http", ["new caller", "any request (no restriction)"]],
    ]);
    expect(diff.mtls).toEqual([{ subject: "api:http", before: "strict", after: "permissive", relaxed: true, file: "deploy/teams/api.ts" }]);
    expect(diff.traffic).toEqual([
      { subject: "call web → api:http", kind: "changed", changes: [{ field: "timeout", before: "2s", after: "5s" }], file: "deploy/teams/api.ts" },
    ]);
    expect(diff.files).toEqual([{ file: "deploy/teams/api.ts", owners: ["@api-team"] }]);
    expect(git("status", "--porcelain")).toBe("");
  });

  it("exits 1 with --fail-on widened, and renders text and a Markdown comment with a Mermaid graph", async () => {
    expect((await cli(["diff", "--base", "HEAD~1", "deploy/mesh.ts", "--fail-on", "widened"], repo)).code).toBe(1);
    const text = await cli(["diff", "--base", "HEAD~1", "deploy/mesh.ts"], repo);
    expect(text.stdout).toContain("~ WIDENED  web → api:http: GET on /orders/* → GET, POST on /orders/* (methods +POST)");
    expect(text.stdout).toContain("+ WIDENED  worker → api:http: now allowed: any request (new caller; any request (no restriction))");
    const md = await cli(["diff", "--base", "HEAD~1", "deploy/mesh.ts", "--format", "markdown"], repo);
    expect(md.code).toBe(0);
    expect(md.stdout).toContain("> **Access widened.**");
    expect(md.stdout).toContain("| ⚠️ widened | `worker` | `api:http` |");
    expect(md.stdout).toMatch(/```mermaid\nflowchart LR\n[\s\S]*n0 -->\|"http: methods \+POST"\| n1[\s\S]*linkStyle 0 stroke:#d1242f/);
  });

  it("reports nothing widened when the head only narrows, and compares two files", async () => {
    const narrowed = await cli(["diff", "--base", "HEAD", "deploy/mesh.ts", "--fail-on", "widened"], repo);
    expect(narrowed.stdout).toContain("No policy changes.");
    expect(narrowed.code).toBe(0);
    write("old.ts", fs.readFileSync(path.join(repo, "deploy/mesh.ts"), "utf8").replace('"./teams/api.js"', '"./deploy/teams/api.js"'));
    write("new.ts", fs.readFileSync(path.join(repo, "old.ts"), "utf8").replace(`, "POST"`, ""));
    try {
      const r = await cli(["diff", "old.ts", "new.ts", "--format", "json", "--fail-on", "widened"], repo);
      expect(r.code).toBe(0);
      const diff = JSON.parse(r.stdout) as MeshDiff;
      expect(diff.widened).toBe(false);
      expect(diff.access.map((c) => [c.kind, c.narrowed, c.details])).toEqual([["changed", true, ["methods −POST"]]]);
    } finally {
      fs.rmSync(path.join(repo, "old.ts"));
      fs.rmSync(path.join(repo, "new.ts"));
    }
  });

  it("treats a mesh that did not exist at the base as all new, and rejects an unknown revision", async () => {
    const r = await cli(["diff", "--base", "HEAD~1", "deploy/new-mesh.ts", "--format", "json"], repo).catch((e: unknown) => e);
    expect((r as { code: number }).code).toBe(1); // no such head file: it does not compile
    write("deploy/copy.ts", fs.readFileSync(path.join(repo, "deploy/mesh.ts"), "utf8"));
    try {
      const added = JSON.parse((await cli(["diff", "--base", "HEAD", "deploy/copy.ts", "--format", "json"], repo)).stdout) as MeshDiff;
      expect(added.services.added).toEqual(["api", "web", "worker"]);
      expect(added.access.every((c) => c.kind === "added")).toBe(true);
    } finally {
      fs.rmSync(path.join(repo, "deploy/copy.ts"));
    }
    const bad = await cli(["diff", "--base", "no-such-ref", "deploy/mesh.ts"], repo);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown git revision "no-such-ref"');
  });
});
