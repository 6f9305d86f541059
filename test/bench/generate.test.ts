// A small smoke run of the benchmark's mesh generator (N = 10): both layouts must be meshes meshc
// accepts without errors, and they must declare the same mesh.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileMesh } from "../../compiler/compile.js";
import { generateMesh, PROBE_CALL, PROBE_REPLICAS, PROBE_SERVICE, probeFile, serviceName, teamCount, writeMesh, type Layout } from "./generate.mjs";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "meshc-bench-gen-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** The IR without source locations, which differ between layouts by design. */
function withoutSpans(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSpans);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => k !== "span" && k !== "fieldSpans" && !k.endsWith("Span"))
        .map(([k, v]) => [k, withoutSpans(v)]),
    );
  }
  return value;
}

describe("bench mesh generator", () => {
  const compiled = new Map<Layout, ReturnType<typeof compileMesh>>();
  for (const layout of ["single", "teams"] as const) {
    it(`writes a ${layout === "single" ? "one-file" : "one-file-per-team"} mesh of 10 services that checks without errors`, () => {
      const entry = writeMesh(path.join(root, layout), { services: 10, layout });
      const result = compileMesh(entry);
      compiled.set(layout, result);
      expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      expect(result.ir?.services.map((s) => s.name)).toEqual(Array.from({ length: 10 }, (_, i) => serviceName(i)));
      // Fan-out 3 where the callees exist (i + 1..3 < 10), plus svc-00005's external call.
      expect(result.ir?.calls.length).toBe(7 * 3 + 2 + 1 + 1);
      expect(result.ir?.routes.map((r) => r.service)).toEqual(["team-00/svc-00000"]);
      expect(result.ir?.external.map((e) => e.id)).toEqual(["ext-00", "ext-01", "ext-02"]);
      const edited = fs.readFileSync(path.join(root, layout, probeFile({ services: 10, layout })), "utf8");
      expect(edited).toContain(PROBE_CALL);
      // Once each: the watch benchmark edits them in place.
      expect(edited.split(PROBE_REPLICAS).length).toBe(2);
      expect(result.ir?.services.find((s) => s.name === PROBE_SERVICE)?.workload?.replicas).toBe(2);
    });
  }

  it("declares the same mesh in both layouts", () => {
    const single = compiled.get("single")?.ir;
    const teams = compiled.get("teams")?.ir;
    expect(single).toBeDefined();
    expect(withoutSpans(teams)).toEqual(withoutSpans(single));
  });

  it("keeps per-service text the same at every N, so per-proxy sizes compare", () => {
    const probeLines = (n: number) =>
      generateMesh({ services: n, layout: "single" })["mesh.ts"]!
        .split("\n")
        .filter((l) => l.includes(`"${PROBE_SERVICE}"`))
        .map((l) => l.replace(/team-\d\d/g, "team-NN"));
    expect(probeLines(1000)).toEqual(probeLines(10));
    expect(teamCount(10)).toBe(2);
    expect(teamCount(1000)).toBe(40);
    expect(teamCount(5000)).toBe(40);
    expect(Object.keys(generateMesh({ services: 1000, layout: "teams" })).length).toBe(41);
  });
});
