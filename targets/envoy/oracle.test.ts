/**
 * The envoy output against the intent oracle (test/oracle/), a second, independent reading of
 * what the mesh means: every probe it enumerates, decided by the Envoy evaluator over the envoy
 * and kubernetes targets' output. A mismatch is excused only by a MESH200 of this target.
 */
import YAML from "yaml";
import { describe, expect, it } from "vitest";
import type { MeshIR } from "../../compiler/ir.js";
import { envoyOracleEvaluator, type ArtifactLike } from "../../test/evaluators/envoy.js";
import { compileSource } from "../../test/helpers/mesh.js";
import { compareWithOracle, describeMismatch } from "../../test/oracle/evaluator.js";
import { enumerateProbes } from "../../test/oracle/probes.js";
import { kubernetesTarget } from "../kubernetes/index.js";
import { compiledExample } from "./__fixtures__/examples.js";
import { edgeMesh } from "./__fixtures__/edge.js";
import { envoyTarget } from "./index.js";

function compare(ir: MeshIR) {
  const envoy = envoyTarget.run(ir, { stateDir: "/nonexistent" });
  const kube = kubernetesTarget.run(ir, { stateDir: "/nonexistent" });
  const evaluator = envoyOracleEvaluator(envoy.artifacts as readonly ArtifactLike[], kube.artifacts as readonly ArtifactLike[], (t) => YAML.parse(t));
  return compareWithOracle(ir, evaluator, enumerateProbes(ir), envoy.diagnostics);
}

describe("the envoy output agrees with the intent oracle", () => {
  it.each(["bookinfo", "online-boutique"])("%s", (name) => {
    const c = compare(compiledExample(name).ir);
    expect(c.mismatches.map(describeMismatch)).toEqual([]);
    expect(c.unsupported).toBe(0);
    expect(c.probes).toBeGreaterThan(400);
  });

  it("on a mesh using what the examples do not, up to what the target reports", () => {
    const c = compare(compileSource(edgeMesh).ir!);
    expect(c.mismatches.map(describeMismatch)).toEqual([]);
    // Nothing the target reports changes a decision the oracle makes here.
    expect(c.excused.map(describeMismatch)).toEqual([]);
    expect(c.unsupported).toBe(0);
    expect(c.probes).toBeGreaterThan(400);
  });
});
