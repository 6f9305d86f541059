// The build's worker thread: Envoy runs and writes beside the other targets, and nothing about
// the result may tell. A worker loads compiled JavaScript only, so these builds run meshc from
// dist/ (built by `npm test` before vitest); from the sources, every target runs on the main thread.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PARALLEL_FROM, type buildMesh as BuildMesh, type BuildOptions, type BuildResult } from "./build.js";
import { FIXTURE_NOW, fixtureStateDir } from "../targets/certs/__fixtures__/ca.js";
import { writeMesh } from "../test/bench/generate.mjs";
import { example, repoRoot, scratch } from "../test/helpers/mesh.js";

const built = path.join(repoRoot, "dist/compiler/build.js");
let buildMesh: typeof BuildMesh;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "meshc-build-worker-"));
const state = fixtureStateDir();

beforeAll(async () => {
  ({ buildMesh } = (await import(pathToFileURL(built).href)) as { buildMesh: typeof BuildMesh });
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  state.dispose();
});

/** Every file under `dir`, with its bytes and permission bits. */
function readTree(dir: string): Map<string, { text: string; mode: number }> {
  const files = new Map<string, { text: string; mode: number }>();
  for (const f of fs.readdirSync(dir, { recursive: true }).map(String).sort()) {
    const full = path.join(dir, f);
    if (fs.statSync(full).isFile()) files.set(f.split(path.sep).join("/"), { text: fs.readFileSync(full, "utf8"), mode: fs.statSync(full).mode & 0o777 });
  }
  return files;
}

const build = (entry: string, out: string, options: BuildOptions) =>
  buildMesh(entry, { outDir: out, stateDir: state.dir, now: FIXTURE_NOW, includeSecrets: true, skipTypeCheck: true, ...options });

/** What is left beside an output folder: a failed build leaves no staging folder behind. */
const siblings = (out: string) => fs.readdirSync(path.dirname(out)).filter((f) => f.startsWith(`.${path.basename(out)}.`));

describe.skipIf(!fs.existsSync(built))("a build with its worker thread", () => {
  it.each(["bookinfo", "online-boutique"])("%s: the same files, modes, artifacts and diagnostics as on the main thread", async (name) => {
    const alone = path.join(tmp, `${name}-main`, "out");
    const beside = path.join(tmp, `${name}-worker`, "out");
    const a = await build(example(name), alone, { parallel: false });
    const b = await build(example(name), beside, { parallel: true });
    expect(a.ok && b.ok, b.diagnostics.map((d) => d.message).join("\n")).toBe(true);
    // The worker ran (it timed its writing), and only on request: not at this size by default.
    expect(b.timings["write:worker"]).toBeGreaterThan(0);
    expect(a.timings["write:worker"]).toBeUndefined();
    const files = readTree(beside);
    expect([...files.keys()].filter((f) => f.startsWith("envoy/")).length).toBeGreaterThan(2);
    expect(files).toEqual(readTree(alone));
    expect(b.written).toEqual(a.written);
    expect(b.diagnostics).toEqual(a.diagnostics);
    // Envoy's artifacts stay in the worker: the files are the output.
    const notEnvoy = a.artifacts.filter((x) => !x.path.startsWith("envoy/"));
    expect(notEnvoy.length).toBeGreaterThan(0);
    expect(b.artifacts).toEqual(notEnvoy);
    expect(siblings(beside)).toEqual([]);
  });

  it("the object layout: the same files from either thread", async () => {
    const alone = path.join(tmp, "object-main", "out");
    const beside = path.join(tmp, "object-worker", "out");
    const a = await build(example("online-boutique"), alone, { parallel: false, layout: "object" });
    const b = await build(example("online-boutique"), beside, { parallel: true, layout: "object" });
    expect(a.ok && b.ok).toBe(true);
    expect(b.timings["write:worker"]).toBeGreaterThan(0);
    const files = readTree(beside);
    expect([...files.keys()].filter((f) => f.startsWith("envoy/") && f.includes("/patches/")).length).toBeGreaterThan(2);
    expect(files).toEqual(readTree(alone));
    // Built again over itself: each thread links the files it would write unchanged.
    expect((await build(example("online-boutique"), beside, { parallel: true, layout: "object" })).ok).toBe(true);
    expect(readTree(beside)).toEqual(files);
    expect(siblings(beside)).toEqual([]);
  });

  it("takes the worker by default only from 200 services, never for Envoy alone, and only to write", async () => {
    const small = await build(example("bookinfo"), path.join(tmp, "default", "out"), {});
    expect(small.ok).toBe(true);
    expect(small.timings["write:worker"]).toBeUndefined();
    const envoy = await build(example("bookinfo"), path.join(tmp, "envoy-alone", "out"), { parallel: true, targets: ["envoy"] });
    expect(envoy.ok).toBe(true);
    expect(envoy.timings["write:worker"]).toBeUndefined();
    // Nothing written, nothing to write beside: the artifacts are the result.
    const unwritten = await buildMesh(example("bookinfo"), { stateDir: state.dir, now: FIXTURE_NOW, skipTypeCheck: true, parallel: true });
    expect(unwritten.ok).toBe(true);
    expect(unwritten.timings["target:envoy"]).toBeGreaterThan(0);
    expect(unwritten.artifacts.some((x) => x.path.startsWith("envoy/"))).toBe(true);
  });

  it("takes the worker by default at 200 services, through the CLI too, for the same files", async () => {
    const entry = writeMesh(path.join(tmp, "n200", "mesh"), { services: PARALLEL_FROM, layout: "teams" });
    const auto = await build(entry, path.join(tmp, "n200", "auto"), {});
    expect(auto.ok, auto.diagnostics.map((d) => d.message).join("\n")).toBe(true);
    // Not on one core, where the two threads would take turns.
    expect(auto.timings["write:worker"] !== undefined).toBe(os.availableParallelism() > 1);
    process.env.MESHC_PARALLEL = "0";
    try {
      const off = await build(entry, path.join(tmp, "n200", "off"), {});
      expect(off.timings["write:worker"]).toBeUndefined();
      expect(readTree(path.join(tmp, "n200", "auto"))).toEqual(readTree(path.join(tmp, "n200", "off")));
    } finally {
      delete process.env.MESHC_PARALLEL;
    }
    // As a user runs it, through the CLI's bundle, which runs the build command from dist/
    // (type-checked, the system's clock: no certificates, whose dates would differ).
    const targets = ["kubernetes", "envoy"];
    const cli = spawnSync(process.execPath, [path.join(repoRoot, "dist/bundle/meshc.js"), "build", entry, "--target", targets.join(","), "--out", path.join(tmp, "n200", "cli"), "--timings"], { encoding: "utf8" });
    expect(cli.status, cli.stdout + cli.stderr).toBe(0);
    expect(cli.stderr.includes("\n  write:worker "), cli.stderr).toBe(os.availableParallelism() > 1);
    const api = await build(entry, path.join(tmp, "n200", "api"), { targets, parallel: false });
    expect(api.ok).toBe(true);
    expect(readTree(path.join(tmp, "n200", "cli"))).toEqual(readTree(path.join(tmp, "n200", "api")));
  }, 60_000);

  it("an error from a target in the worker lands nothing; the last output stays", async () => {
    const out = path.join(tmp, "worker-error", "out");
    expect((await build(example("bookinfo"), out, { parallel: true })).ok).toBe(true);
    const before = readTree(out);
    // The sidecars' headless Service of "web" is "web-mesh": Envoy alone cannot build this mesh.
    const s = scratch({
      "mesh.ts": `import { defineMesh } from "meshc";
export default defineMesh({ name: "clash", services: {
  web: { ports: { http: { port: 80 } } },
  "web-mesh": { ports: { http: { port: 80 } } },
} }, (s) => ({ calls: [{ from: s.web, to: s["web-mesh"].ports.http }] }));
`,
    });
    try {
      const result = await build(s.file("mesh.ts"), out, { parallel: true });
      expect(result.ok).toBe(false);
      const errors = result.diagnostics.filter((d) => d.severity === "error");
      expect(errors.map((d) => `${d.code} ${d.target}`)).toEqual(["MESH101 envoy"]);
      expect(errors[0]!.message).toMatch(/web-mesh/);
      expect(readTree(out)).toEqual(before);
      expect(siblings(out)).toEqual([]);
    } finally {
      s.dispose();
    }
  });

  it("a worker that cannot start leaves its targets to the main thread", async () => {
    // A copy of dist/ without the worker's module (beside dist/, so that packages resolve).
    const copy = fs.mkdtempSync(path.join(repoRoot, ".test-build-worker-"));
    try {
      fs.cpSync(path.join(repoRoot, "dist"), path.join(copy, "dist"), { recursive: true });
      fs.rmSync(path.join(copy, "dist/compiler/build-worker.js"));
      const broken = ((await import(pathToFileURL(path.join(copy, "dist/compiler/build.js")).href)) as { buildMesh: typeof BuildMesh }).buildMesh;
      const out = path.join(tmp, "no-worker", "out");
      const result = await broken(example("online-boutique"), { outDir: out, stateDir: state.dir, now: FIXTURE_NOW, includeSecrets: true, skipTypeCheck: true, parallel: true });
      expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      expect(result.ok).toBe(true);
      expect(result.timings["write:worker"]).toBeUndefined();
      expect(result.artifacts.some((x) => x.path.startsWith("envoy/"))).toBe(true);
      // Built just after, so that both have the workload certificates kept in the state folder.
      const alone = path.join(tmp, "no-worker-main", "out");
      expect((await build(example("online-boutique"), alone, { parallel: false })).ok).toBe(true);
      expect(readTree(out)).toEqual(readTree(alone));
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });

  it("an error on the main thread lands nothing the worker wrote", async () => {
    const out = path.join(tmp, "main-error", "out");
    expect((await build(example("online-boutique"), out, { parallel: true })).ok).toBe(true);
    const before = readTree(out);
    // Years after the fixture CA expired: the certs target, on the main thread, refuses.
    const result: BuildResult = await build(example("online-boutique"), out, { parallel: true, now: new Date("2099-01-01T00:00:00Z") });
    expect(result.ok).toBe(false);
    expect(result.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.target}`)).toContain("MESH020 certs");
    // The worker's targets ran and wrote into the staging folder, which was removed.
    expect(result.timings["target:envoy"]).toBeGreaterThan(0);
    expect(readTree(out)).toEqual(before);
    expect(siblings(out)).toEqual([]);
  });
});
