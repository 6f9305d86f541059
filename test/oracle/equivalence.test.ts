// Every target's output does what mesh.ts says: each registered evaluator plug-in (exported as
// `oraclePlugin` from test/evaluators/<name>.ts, see EvaluatorPlugin in evaluator.ts) decides every
// probe of both examples and of generated meshes from the target's objects alone, and must agree
// with the intent oracle, or the target reported a MESH2xx for the declaration at stake.
//
// `npm test` checks 200 generated meshes per target with a fixed seed. `npm run fuzz` runs
// MESHC_FUZZ_RUNS meshes (10,000) with a fresh seed (or MESHC_FUZZ_SEED) and prints what it
// checked. The comparison is shown to bite: a wrong evaluator, and a target output with one
// thing changed, both fail it.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Artifact } from "../../compiler/artifact.js";
import { compileMesh } from "../../compiler/compile.js";
import type { Diagnostic } from "../../compiler/diagnostics.js";
import type { MeshIR } from "../../compiler/ir.js";
import { targets } from "../../targets/index.js";
import { compileSource, example, repoRoot } from "../helpers/mesh.js";
import { meshArbitrary, renderMesh } from "./arbitrary.js";
import { compareWithOracle, describeMismatch, type Comparison, type EvaluatorPlugin, type TargetEvaluator } from "./evaluator.js";
import { enumerateProbes } from "./probes.js";

const FUZZ = process.env.MESHC_FUZZ_RUNS !== undefined;
const RUNS = Number(process.env.MESHC_FUZZ_RUNS ?? process.env.MESHC_EQUIVALENCE_RUNS ?? 200);
const SEED = Number(process.env.MESHC_FUZZ_SEED ?? (FUZZ ? Date.now() % 2 ** 31 : 31_337));
/** Probes per generated mesh (a deterministic sample when there are more): the examples get all of theirs. */
const PROBE_CAP = Number(process.env.MESHC_FUZZ_PROBES ?? 300);
/** A fuzz run takes hours; a failing CI run shrinks for a while. */
const LONG = FUZZ ? 48 * 3_600_000 : 900_000;
/** The targets that enforce the mesh's policy, and so must each have an evaluator. */
const POLICY_TARGETS = ["kubernetes", "envoy", "istio", "linkerd"];
const NOW = new Date("2025-01-01T00:00:00Z");
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "meshc-equivalence-"));
afterAll(() => fs.rmSync(stateDir, { recursive: true, force: true }));

/** Every `oraclePlugin` exported by test/evaluators/*.ts. */
async function loadPlugins(): Promise<EvaluatorPlugin[]> {
  const dir = path.join(repoRoot, "test", "evaluators");
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts")).sort() : [];
  const plugins: EvaluatorPlugin[] = [];
  for (const f of files) {
    const mod = (await import(path.join(dir, f))) as { oraclePlugin?: EvaluatorPlugin };
    if (mod.oraclePlugin) plugins.push(mod.oraclePlugin);
  }
  return plugins.sort((a, b) => (a.target < b.target ? -1 : 1));
}

const plugins = await loadPlugins();
const registered = new Set(targets.map((t) => t.name));
const active = plugins.filter((p) => registered.has(p.target));

interface Built {
  readonly ir: MeshIR;
  readonly outputs: Map<string, { artifacts: readonly Artifact[]; diagnostics: readonly Diagnostic[] }>;
}

function runTarget(built: Built, name: string) {
  let out = built.outputs.get(name);
  if (!out) {
    const target = targets.find((t) => t.name === name);
    if (!target) throw new Error(`no target "${name}" is registered`);
    out = target.run(built.ir, { stateDir, now: NOW });
    built.outputs.set(name, out);
  }
  return out;
}

/** The plug-in's evaluator over the targets' output, and the comparison with the oracle on every probe. */
function check(
  plugin: EvaluatorPlugin,
  built: Built,
  options: { cap?: number; mutate?: (artifacts: readonly Artifact[]) => Artifact[]; wrap?: (e: TargetEvaluator) => TargetEvaluator } = {},
): Comparison {
  const { mutate, wrap } = options;
  const own = runTarget(built, plugin.target);
  const all = new Map<string, readonly Artifact[]>();
  for (const name of [plugin.target, ...(plugin.needs ?? [])]) all.set(name, runTarget(built, name).artifacts);
  const artifacts = mutate ? mutate(own.artifacts) : own.artifacts;
  all.set(plugin.target, artifacts);
  const base = plugin.evaluator({ target: plugin.target, artifacts, diagnostics: own.diagnostics, all });
  return compareWithOracle(built.ir, wrap ? wrap(base) : base, enumerateProbes(built.ir, options.cap !== undefined ? { cap: options.cap } : {}), own.diagnostics);
}

const failure = (c: Comparison) => c.mismatches.slice(0, 10).map(describeMismatch);

describe("evaluator plug-ins", () => {
  it("every policy target has one", () => {
    const missing = POLICY_TARGETS.filter((t) => registered.has(t) && !plugins.some((p) => p.target === t));
    expect(missing, "export `oraclePlugin: EvaluatorPlugin` from test/evaluators/<target>.ts").toEqual([]);
  });
});

const examples = new Map<string, Built>();
beforeAll(() => {
  for (const name of ["bookinfo", "online-boutique"]) {
    const { ir } = compileMesh(example(name), { skipTypeCheck: true });
    if (!ir) throw new Error(`${name} does not compile`);
    examples.set(name, { ir, outputs: new Map() });
  }
});

/** Generated meshes compiled once and shared by every plug-in (the same seed draws the same meshes). */
const generated = new Map<string, Built>();
function builtFor(source: string): Built {
  const hit = generated.get(source);
  if (hit) return hit;
  const result = compileSource(source, { skipTypeCheck: true });
  if (!result.ir || result.diagnostics.some((d) => d.severity === "error")) {
    throw new Error(`a generated mesh does not compile:\n${result.diagnostics.map((d) => `${d.code} ${d.message}`).join("\n")}\n${source}`);
  }
  const built = { ir: result.ir, outputs: new Map() };
  // A fuzz run is too long to keep every mesh; it compiles each mesh once for every plug-in anyway.
  if (!FUZZ) generated.set(source, built);
  return built;
}

const totals = { meshes: 0, probes: 0, excused: 0, unsupported: 0, targets: new Set<string>(), failed: new Set<string>() };
afterAll(() => {
  if (totals.targets.size + totals.failed.size === 0) return;
  const failed = totals.failed.size > 0 ? `; failed: ${[...totals.failed].join(", ")}` : "";
  console.log(
    `oracle equivalence: ${totals.meshes} generated meshes, ${totals.probes} probes compared, ${totals.excused} excused by MESH2xx, ${totals.unsupported} unsupported, ${totals.targets.size + totals.failed.size} targets (agree: ${[...totals.targets].join(", ") || "none"}${failed}), seed ${SEED}`,
  );
});

/** One plug-in on one generated mesh: the property every mesh must satisfy. */
function agrees(plugin: EvaluatorPlugin, built: Built, source: string, count = true): void {
  const c = check(plugin, built, { cap: PROBE_CAP });
  expect(failure(c), source).toEqual([]);
  if (!count) return;
  totals.probes += c.probes;
  totals.excused += c.excused.length;
  totals.unsupported += c.unsupported;
}

const pluginProperty = (plugin: EvaluatorPlugin, count = true) =>
  fc.property(meshArbitrary(), (mesh) => {
    const source = renderMesh(mesh);
    agrees(plugin, builtFor(source), source, count);
  });

if (FUZZ) {
  // One pass: each mesh is compiled once and handed to every plug-in; a plug-in that fails stops
  // being asked, the others go on. Each failure is then replayed alone (fast-check's `path`) and
  // shrunk to a small mesh.
  it(`every target on ${RUNS} generated meshes (seed ${SEED})`, () => {
    const firstFailure = new Map<string, number>();
    let index = 0;
    fc.assert(
      fc.property(meshArbitrary(), (mesh) => {
        const source = renderMesh(mesh);
        const built = builtFor(source);
        for (const plugin of active) {
          if (firstFailure.has(plugin.target)) continue;
          try {
            agrees(plugin, built, source);
          } catch {
            firstFailure.set(plugin.target, index);
          }
        }
        index++;
      }),
      { seed: SEED, numRuns: RUNS },
    );
    totals.meshes = index;
    for (const p of active) (firstFailure.has(p.target) ? totals.failed : totals.targets).add(p.target);
    const reports: string[] = [];
    for (const [target, at] of firstFailure) {
      try {
        fc.assert(pluginProperty(active.find((p) => p.target === target)!, false), { seed: SEED, path: String(at) });
      } catch (error) {
        reports.push(`${target} (mesh ${at + 1} of seed ${SEED}): ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    expect(reports).toEqual([]);
  }, LONG);
}

for (const plugin of active) {
  describe(`${plugin.target} agrees with the oracle`, () => {
    for (const name of ["bookinfo", "online-boutique"]) {
      it(`on ${name}`, () => {
        const c = check(plugin, examples.get(name)!);
        expect(failure(c)).toEqual([]);
        expect(c.probes - c.unsupported).toBeGreaterThan(0);
      });
    }

    it.skipIf(FUZZ)(`on ${RUNS} generated meshes (seed ${SEED})`, () => {
      totals.failed.add(plugin.target);
      fc.assert(pluginProperty(plugin), { seed: SEED, numRuns: RUNS });
      totals.failed.delete(plugin.target);
      totals.meshes = RUNS;
      totals.targets.add(plugin.target);
    }, LONG);

    it("fails when the evaluator is wrong", () => {
      const flipped = check(plugin, examples.get("bookinfo")!, {
        wrap: (e) => ({
          ...e,
          decide: (probe, request) => {
            const d = e.decide(probe, request);
            return d === "unsupported" || probe.caller.kind !== "service" ? d : { ...d, allowed: !d.allowed };
          },
        }),
      });
      expect(flipped.mismatches.length).toBeGreaterThan(0);
    });

    it("fails when one object of the target's output is changed", () => {
      // One object about bookinfo's ratings, which admits reviews' GETs on port 9080 only: for a
      // request-level target, the first (by path) in which GET becomes POST; for a
      // connection-level one, its NetworkPolicy (the only policy such a target writes), in which
      // 9080 becomes 9081. Everything else stays as generated.
      const request = requestLevel(plugin);
      const [from, to] = request ? [/\bGET\b/g, "POST"] : [/\b9080\b/g, "9081"];
      let changed: string | undefined;
      const mutate = (artifacts: readonly Artifact[]) =>
        artifacts.map((a) => {
          if (changed !== undefined || !a.path.includes("ratings") || (!request && !("yaml" in a && (a.yaml as { kind?: string }).kind === "NetworkPolicy"))) return a;
          const b = rewrite(a, from, to);
          if (JSON.stringify(b) === JSON.stringify(a)) return a;
          changed = a.path;
          return b;
        });
      let detected: boolean;
      try {
        detected = check(plugin, examples.get("bookinfo")!, { mutate }).mismatches.length > 0;
      } catch {
        detected = true; // an evaluator that refuses a broken output fails the suite too
      }
      expect(changed, "no object about ratings to change").toBeDefined();
      expect(detected, `changing ${changed} went unnoticed`).toBe(true);
    });
  });
}

function requestLevel(plugin: EvaluatorPlugin): boolean {
  const built = examples.get("bookinfo")!;
  const own = runTarget(built, plugin.target);
  const all = new Map<string, readonly Artifact[]>([[plugin.target, own.artifacts]]);
  for (const name of plugin.needs ?? []) all.set(name, runTarget(built, name).artifacts);
  return plugin.evaluator({ target: plugin.target, artifacts: own.artifacts, diagnostics: own.diagnostics, all }).layer !== "connection";
}

/** An artifact with every string (and every number, as text) rewritten. */
function rewrite(a: Artifact, from: RegExp, to: string): Artifact {
  const deep = (v: unknown): unknown => {
    if (typeof v === "string") return v.replace(from, to);
    if (typeof v === "number") {
      const s = String(v).replace(from, to);
      return s === String(v) ? v : Number(s);
    }
    if (Array.isArray(v)) return v.map(deep);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deep(x)]));
    return v;
  };
  if ("yaml" in a) return { ...a, yaml: deep(a.yaml) };
  if ("json" in a) return { ...a, json: deep(a.json) };
  return { ...a, text: a.text.replace(from, to) };
}
