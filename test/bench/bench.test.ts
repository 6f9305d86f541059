// `npm run bench` itself, at its smallest (N = 10, one run of each measurement): it must run on
// what `npm run build` leaves in dist/ and fill in every row it prints. Nothing here looks at how
// long anything took (the machine is noisy); only that each measurement ran and makes sense.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "../helpers/mesh.js";

interface MeshResult {
  readonly services: number;
  readonly layout: string;
  readonly meshc: { readonly ok: boolean; readonly errors: number; readonly targets: readonly string[]; readonly files: number; readonly envoyProbeBytes: number; readonly timings: Record<string, number> };
  readonly tsc: { readonly wall: number };
  readonly watch: { readonly status: number; readonly recheck: number; readonly recheckCheckerAlone: number; readonly recheckWarm: number };
  readonly checkWall: number;
}

describe("npm run bench", () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "meshc-bench-test-"));
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it("runs at N = 10 and reports every measurement, with the issue's targets listed", () => {
    const json = path.join(work, "results.json");
    const run = spawnSync(process.execPath, ["test/bench/bench.mjs", "--sizes", "10", "--runs", "1", "--work", path.join(work, "meshes"), "--json", json], { cwd: repoRoot, encoding: "utf8" });
    expect(run.status, run.stderr + run.stdout).toBe(0);
    const results = JSON.parse(fs.readFileSync(json, "utf8")) as { meshes: MeshResult[]; cdk8s: Record<string, { status: number; files: number }>; targets: { name: string; detail: string }[] };
    expect(results.meshes.map((m) => `${m.services}/${m.layout}`)).toEqual(["10/single", "10/teams"]);
    for (const m of results.meshes) {
      expect(m.meshc.ok, `${m.layout}: meshc build failed`).toBe(true);
      expect(m.meshc.errors).toBe(0);
      expect(m.meshc.targets).toEqual(["kubernetes", "certs", "envoy", "istio", "linkerd"]);
      expect(m.meshc.files).toBeGreaterThan(0);
      expect(m.meshc.envoyProbeBytes).toBeGreaterThan(1000);
      expect(m.meshc.timings.typecheck).toBeGreaterThan(0);
      expect(m.tsc.wall).toBeGreaterThan(0);
      expect(m.checkWall).toBeGreaterThan(0);
      expect(m.watch.status).toBe(0);
      expect(m.watch.recheck).toBeGreaterThan(0);
      expect(m.watch.recheckCheckerAlone).toBeGreaterThan(0);
      expect(m.watch.recheckWarm).toBeGreaterThan(0);
    }
    expect(results.cdk8s["10"]).toMatchObject({ status: 0, files: 1 });
    // Every target of the issue is listed, each waiting for the sizes this run did not measure.
    expect(results.targets).toHaveLength(13);
    expect(run.stdout).toContain("Issue 10 targets (ratios from this run)");
  }, 180_000);
});
