// meshc as a user gets it: the packed package installed into a scratch project, which imports
// "meshc" through the package's own `exports`, type-checks, checks and builds a mesh.
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PARALLEL_FROM } from "../compiler/build.js";
import { writeMesh } from "./bench/generate.mjs";
import { repoRoot } from "./helpers/mesh.js";

const npm = (args: string[], cwd: string) => execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

describe("the packed package", () => {
  let project: string;

  beforeAll(() => {
    project = fs.mkdtempSync(path.join(os.tmpdir(), "meshc-pack-"));
    // dist/ is already built by `npm test`; packing must not rebuild it under running tests.
    const tarball = npm(["pack", "--ignore-scripts", "--pack-destination", project, "--json"], repoRoot);
    const file = (JSON.parse(tarball) as { filename: string }[])[0]!.filename;
    fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "acme-mesh", private: true, type: "module" }));
    npm(["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", path.join(project, file)], project);
    fs.writeFileSync(
      path.join(project, "mesh.ts"),
      `import { defineMesh, type ServiceSpec } from "meshc";
const web: ServiceSpec = { ports: { http: { port: 8080 } } };
export default defineMesh({ name: "acme", namespace: "acme", services: { web, api: { ports: { grpc: { port: 9090, protocol: "grpc" } } } } },
  (s) => ({ calls: [{ from: s.web, to: s.api.ports.grpc, grpcMethods: ["acme.Api/*"], timeout: "1s" }] }));
`,
    );
    fs.writeFileSync(
      path.join(project, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: "nodenext", target: "es2022", skipLibCheck: false }, files: ["mesh.ts"] }),
    );
  }, 300_000);

  afterAll(() => fs.rmSync(project, { recursive: true, force: true }));

  it("ships only the built package", () => {
    const files = (fs.readdirSync(path.join(project, "node_modules/meshc"), { recursive: true }) as string[]).map((f) => f.split(path.sep).join("/"));
    expect(files).toContain("dist/dsl/index.d.ts");
    expect(files).toContain("dist/bundle/meshc.js");
    expect(files.some((f) => f.endsWith(".test.js") || f.startsWith("test/") || f.startsWith("examples/"))).toBe(false);
  });

  it("type-checks a user's mesh with the user's own tsc, resolving meshc through its exports", () => {
    const tsc = path.join(project, "node_modules/typescript/bin/tsc");
    expect(execFileSync(process.execPath, [tsc, "-p", "."], { cwd: project, encoding: "utf8" })).toBe("");
    fs.writeFileSync(path.join(project, "bad.ts"), `import { defineMesh } from "meshc";\nexport default defineMesh({ name: "x", services: { a: { ports: { http: { port: 1 } } } } }, (s) => ({ calls: [{ from: s.a, to: s.b.ports.http }] }));\n`);
    let out = "";
    try {
      execFileSync(process.execPath, [tsc, "--ignoreConfig", "--strict", "--noEmit", "--module", "nodenext", "bad.ts"], { cwd: project, encoding: "utf8" });
    } catch (error) {
      out = String((error as { stdout: string }).stdout);
    }
    expect(out).toMatch(/bad\.ts\(2,\d+\): error TS2339: Property 'b' does not exist/);
  });

  it("resolves every entry of its exports, and builds with the worker thread from there", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { exports: Record<string, unknown> };
    const subpaths = Object.keys(manifest.exports).map((k) => (k === "." ? "meshc" : `meshc/${k.slice(2)}`));
    expect(subpaths).toContain("meshc/compiler");
    // Each subpath imported as a user's program does, from the scratch project. meshc/pulumi needs
    // its optional peers (@pulumi/*), which this project lacks: it must fail on them, not on meshc.
    const load = (subpath: string) => execFileSync(process.execPath, ["--input-type=module", "-e", `const m = await import(${JSON.stringify(subpath)}); console.log(Object.keys(m).length)`], { cwd: project, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    for (const subpath of subpaths.filter((p) => p !== "meshc/pulumi" && p !== "meshc/package.json")) {
      expect(Number(load(subpath).trim()), subpath).toBeGreaterThan(0);
    }
    expect(() => load("meshc/pulumi")).toThrow(/Cannot find package '@pulumi\//);
    // The build's worker thread loads its module from the installed package's dist/.
    const script = `import { buildMesh } from "meshc/compiler";
const r = await buildMesh("mesh.ts", { outDir: "out-worker", parallel: true, skipTypeCheck: true });
console.log(JSON.stringify({ ok: r.ok, worker: r.timings["write:worker"] > 0, errors: r.diagnostics.filter((d) => d.severity === "error").map((d) => d.message) }));`;
    const result = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: project, encoding: "utf8" })) as { ok: boolean; worker: boolean; errors: string[] };
    expect(result).toEqual({ ok: true, worker: true, errors: [] });
    expect(fs.readdirSync(path.join(project, "out-worker/envoy")).length).toBeGreaterThan(1);
  });

  it("checks and builds through the installed bin (the CLI's bundle), with its worker thread", () => {
    const bin = path.join(project, "node_modules/.bin/meshc");
    const version = (JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { version: string }).version;
    expect(execFileSync(bin, ["--version"], { cwd: project, encoding: "utf8" }).trim()).toBe(version);
    expect(execFileSync(bin, ["check", "mesh.ts"], { cwd: project, encoding: "utf8" })).toContain("mesh.ts: ok (2 services, 1 calls)");
    execFileSync(bin, ["build", "mesh.ts", "--out", "out"], { cwd: project, encoding: "utf8" });
    expect(fs.existsSync(path.join(project, "out/manifest.json"))).toBe(true);
    // A mesh large enough for the worker (PARALLEL_FROM services): the bundle runs the build
    // command from dist/, which starts the worker from there.
    const large = writeMesh(path.join(project, "large"), { services: PARALLEL_FROM, layout: "teams" });
    const build = spawnSync(bin, ["build", large, "--target", "kubernetes,envoy", "--out", "out-large", "--timings"], { cwd: project, encoding: "utf8" });
    expect(build.status, build.stderr).toBe(0);
    expect(build.stderr.includes("\n  write:worker "), build.stderr).toBe(os.availableParallelism() > 1);
    expect(fs.readdirSync(path.join(project, "out-large/envoy")).length).toBeGreaterThan(1);
  }, 60_000);
});
