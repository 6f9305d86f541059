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
import { planObjects } from "../targets/pulumi/objects.js";
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
  beforeAll(async () => {
    for (const layout of ["namespace", "object"] as const) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "meshc-kustomize-"));
      tmp.push(dir);
      const out = path.join(dir, "out");
      const result = await buildMesh(example(name), { outDir: out, layout, stateDir: state.dir, includeSecrets: true, now: FIXTURE_NOW });
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

// The Envoy target's sidecar patches, as targets/envoy/README.md tells GitOps users to apply them:
// a kustomization of their own over out/kubernetes and out/envoy, one `patches:` entry per
// namespace's patches.yaml (kustomize >= 5.2.1 reads several patches from one file). With an older
// kustomize (Debian's kubernetes-client, say), the README's fallback: `--layout object`, one entry
// per patch file. Either way kustomize's strategic merge must give exactly the objects the Pulumi
// program deploys (its own merge, targets/pulumi/strategic-merge.ts).
function kustomizeVersion(): [number, number, number] {
  const out = execFileSync("kubectl", ["version", "--client", "-o", "json"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const match = /v?(\d+)\.(\d+)\.(\d+)/.exec((JSON.parse(out) as { kustomizeVersion?: string }).kustomizeVersion ?? "");
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [0, 0, 0];
}

function atLeast(version: readonly number[], wanted: readonly number[]): boolean {
  for (let i = 0; i < wanted.length; i++) if (version[i] !== wanted[i]) return version[i]! > wanted[i]!;
  return true;
}

describe.each(["bookinfo", "online-boutique"])("Envoy's sidecar patches through kustomize on %s", (name) => {
  it("patch every Deployment and Service as Pulumi's merge does", async () => {
    const version = kustomizeVersion();
    const bundled = atLeast(version, [5, 2, 1]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "meshc-kustomize-"));
    const state = fixtureStateDir();
    try {
      const out = path.join(dir, "out");
      const result = await buildMesh(example(name), { outDir: out, layout: bundled ? "namespace" : "object", targets: ["kubernetes", "envoy"], stateDir: state.dir, now: FIXTURE_NOW });
      expect(result.ok, result.diagnostics.map((d) => d.message).join("\n")).toBe(true);
      const namespaces = fs.readdirSync(path.join(out, "envoy")).filter((ns) => fs.statSync(path.join(out, "envoy", ns)).isDirectory());
      let patches: string[];
      if (bundled) {
        patches = namespaces.filter((ns) => fs.existsSync(path.join(out, "envoy", ns, "patches.yaml"))).map((ns) => `out/envoy/${ns}/patches.yaml`);
        // Nothing is left in a patches/ folder that no entry lists.
        expect(namespaces.filter((ns) => fs.existsSync(path.join(out, "envoy", ns, "patches")))).toEqual([]);
      } else {
        patches = namespaces.flatMap((ns) => (fs.existsSync(path.join(out, "envoy", ns, "patches")) ? fs.readdirSync(path.join(out, "envoy", ns, "patches")).map((f) => `out/envoy/${ns}/patches/${f}`) : []));
      }
      expect(patches.length).toBeGreaterThan(0);
      // `patches:` needs kustomize 3.1; before it, the same files go under patchesStrategicMerge.
      const entries = atLeast(version, [3, 1, 0]) ? { patches: patches.map((p) => ({ path: p })) } : { patchesStrategicMerge: patches };
      fs.writeFileSync(path.join(dir, "kustomization.yaml"), YAML.stringify({ resources: ["out/kubernetes", "out/envoy"], ...entries }));
      const plan = planObjects(result.artifacts);
      expect(plan.merged.length).toBe(result.artifacts.filter((a) => "yaml" in a && a.patch).length);
      expect(plan.patches).toEqual([]);
      const patched = kustomize(dir);
      expect(patched.filter((o) => JSON.stringify(o).includes("envoyproxy/envoy")).length).toBeGreaterThan(0);
      expect(canonical(patched)).toEqual(canonical(plan.objects.map((o) => o.object)));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      state.dispose();
    }
  });
});
