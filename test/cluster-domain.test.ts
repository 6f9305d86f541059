// A cluster set up with another DNS domain than cluster.local (the kubelet's `--cluster-domain`):
// every host meshc writes must use it, or Istio's routes and Envoy's upstreams name Services that
// do not resolve. Checked with the same evaluators and oracle as the default domain.
import fs from "node:fs";
import YAML from "yaml";
import { describe, expect, it } from "vitest";
import type { Artifact } from "../compiler/artifact.js";
import { serialize } from "../compiler/writer.js";
import { envoyTarget } from "../targets/envoy/index.js";
import { istioTarget } from "../targets/istio/index.js";
import { kubernetesTarget } from "../targets/kubernetes/index.js";
import { envoyOracleEvaluator, type ArtifactLike } from "./evaluators/envoy.js";
import { compareIstioWithOracle, istioObjectsOf } from "./evaluators/istio.js";
import { compileSource, summarize } from "./helpers/mesh.js";
import { compareWithOracle, describeMismatch } from "./oracle/evaluator.js";
import { enumerateProbes } from "./oracle/probes.js";

const bookinfo = fs.readFileSync(new URL("../examples/bookinfo/mesh.ts", import.meta.url), "utf8");
const withDomain = (domain: string) => bookinfo.replace(`    name: "bookinfo",\n`, `    name: "bookinfo",\n    clusterDomain: ${JSON.stringify(domain)},\n`);
const DOMAIN = "k8s.internal";
const yamlOf = (a: Artifact) => ("yaml" in a ? a.yaml : undefined);
const textOf = (artifacts: readonly Artifact[]) => artifacts.map((a) => serialize(a).toString("utf8")).join("\n");

describe("a custom cluster domain", () => {
  const compiled = compileSource(withDomain(DOMAIN));
  const ir = compiled.ir!;

  it("defaults to cluster.local", () => {
    expect(withDomain(DOMAIN)).not.toBe(bookinfo);
    expect(compileSource(bookinfo).ir!.clusterDomain).toBe("cluster.local");
    expect(ir.clusterDomain).toBe(DOMAIN);
  });

  it("names every Istio host under it, and Istio still does what the mesh says", () => {
    const out = istioTarget.run(ir, { stateDir: "/nonexistent" });
    const hosts = out.artifacts.flatMap((a) => {
      const o = yamlOf(a) as { kind?: string; spec?: { host?: string; hosts?: string[] } } | undefined;
      return o?.kind === "DestinationRule" ? [o.spec!.host!] : o?.kind === "VirtualService" ? (o.spec!.hosts ?? []) : [];
    });
    // In-mesh hosts; the ingress gateway's VirtualService matches any authority ("*").
    const inMesh = hosts.filter((h) => h !== "*");
    expect(inMesh.length).toBeGreaterThan(3);
    for (const h of inMesh) expect(h).toMatch(/^[a-z0-9-]+\.bookinfo\.svc\.k8s\.internal$/);
    expect(textOf(out.artifacts)).not.toContain("svc.cluster.local");
    const c = compareIstioWithOracle(ir, istioObjectsOf(out.artifacts), out.diagnostics);
    expect(c.mismatches.map(describeMismatch)).toEqual([]);
    expect(c.probes).toBeGreaterThan(100);
  });

  it("points every Envoy upstream at it, and Envoy still does what the mesh says", () => {
    const envoy = envoyTarget.run(ir, { stateDir: "/nonexistent" });
    const kube = kubernetesTarget.run(ir, { stateDir: "/nonexistent" });
    const configs = envoy.artifacts.filter((a) => (yamlOf(a) as { kind?: string } | undefined)?.kind === "ConfigMap");
    expect(configs.length).toBeGreaterThan(3);
    const text = textOf(configs);
    expect(text).toContain(".svc.k8s.internal");
    expect(text).not.toContain("svc.cluster.local");
    // The evaluator resolves Service names the way this cluster's DNS does: under its domain only.
    const evaluator = envoyOracleEvaluator(envoy.artifacts as readonly ArtifactLike[], kube.artifacts as readonly ArtifactLike[], (t) => YAML.parse(t), DOMAIN);
    const c = compareWithOracle(ir, evaluator, enumerateProbes(ir), envoy.diagnostics);
    expect(c.mismatches.map(describeMismatch)).toEqual([]);
    expect(c.probes).toBeGreaterThan(100);
  });

  it("is diagnosed at its line when it is not a DNS domain", () => {
    const bad = compileSource(withDomain("Cluster_Local"));
    expect(bad.ir).toBeUndefined();
    const line = withDomain("Cluster_Local").split("\n").findIndex((l) => l.includes("clusterDomain")) + 1;
    expect(summarize(bad).join("\n")).toMatch(new RegExp(`MESH\\d+ ${line}:\\d+ .*clusterDomain.*DNS domain`));
  });
});
