// What `meshc build` writes is applied with `kubectl apply -k out/<target>`: kustomize itself (the
// one built into kubectl; .ci/run installs Debian's kubernetes-client where kubectl is missing)
// must read every target's kustomization.yaml and the files it lists, in both layouts, and give
// back exactly the objects the target made: none lost, none added, none changed.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { buildMesh, type BuildResult } from "../compiler/build.js";
import type { OutputLayout } from "../compiler/writer.js";
import { FIXTURE_NOW, fixtureStateDir } from "../targets/certs/__fixtures__/ca.js";
import { example } from "./helpers/mesh.js";

function kustomize(dir: string): unknown[] {
  let out: string;
  try {
    out = execFileSync("kubectl", ["kustomize", dir], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === "ENOENT") throw new Error("kubectl is not installed (Debian: apt-get install kubernetes-client; .ci/run does this)");
    throw new Error(`kubectl kustomize ${dir} failed: ${e.stderr ?? e.message}`);
  }
  return YAML.parseAllDocuments(out).map((d) => d.toJS() as unknown);
}

/** Objects as sorted canonical JSON, so kustomize's order and key order do not matter. */
function canonical(objects: readonly unknown[]): string[] {
  const sortKeys = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sortKeys) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, x]) => [k, sortKeys(x)])) : v;
  return objects.map((o) => JSON.stringify(sortKeys(o))).sort();
}

describe.each(["bookinfo", "online-boutique"])("kubectl kustomize on %s", (name) => {
  const tmp: string[] = [];
  const built = new Map<OutputLayout, { out: string; result: BuildResult }>();
  const state = fixtureStateDir();
  beforeAll(() => {
    for (const layout of ["namespace", "object"] as const) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "meshc-kustomize-"));
      tmp.push(dir);
      const out = path.join(dir, "out");
      const result = buildMesh(example(name), { outDir: out, layout, stateDir: state.dir, includeSecrets: true, now: FIXTURE_NOW });
      expect(result.ok, result.diagnostics.map((d) => d.message).join("\n")).toBe(true);
      built.set(layout, { out, result });
    }
  });
  afterAll(() => {
    tmp.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
    state.dispose();
  });

  it.each(["namespace", "object"] as const)("reads back every target's objects exactly (layout %s)", (layout) => {
    const { out, result } = built.get(layout)!;
    const targets = fs.readdirSync(out).filter((t) => fs.existsSync(path.join(out, t, "kustomization.yaml")));
    expect(targets.sort()).toEqual(["certs", "envoy", "istio", "kubernetes", "linkerd"]);
    for (const target of targets) {
      const expected = result.artifacts.filter((a) => a.path.startsWith(`${target}/`) && "yaml" in a && a.kubernetes).map((a) => (a as { yaml: unknown }).yaml);
      expect(expected.length, target).toBeGreaterThan(0);
      expect(canonical(kustomize(path.join(out, target))), target).toEqual(canonical(expected));
    }
  });
});
