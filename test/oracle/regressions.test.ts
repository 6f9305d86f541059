// Meshes on which `npm run fuzz` once found a target and the oracle disagreeing, kept so that the
// fix stays fixed: each plug-in must agree with the oracle on every probe, or have reported a
// MESH2xx for the declaration at stake. (The fixed-seed run in equivalence.test.ts does not draw them.)
import { describe, expect, it } from "vitest";
import { targets } from "../../targets/index.js";
import { oraclePlugin as envoy } from "../evaluators/envoy.js";
import { oraclePlugin as istio } from "../evaluators/istio.js";
import { oraclePlugin as kubernetes } from "../evaluators/network-policy.js";
import { oraclePlugin as linkerd } from "../evaluators/linkerd.js";
import { compileSource } from "../helpers/mesh.js";
import { renderMesh, type GenMesh } from "./arbitrary.js";
import { compareWithOracle, describeMismatch, type EvaluatorPlugin } from "./evaluator.js";
import { enumerateProbes } from "./probes.js";

const NOW = new Date("2025-01-01T00:00:00Z");

function compare(plugin: EvaluatorPlugin, mesh: GenMesh) {
  const { ir, diagnostics } = compileSource(renderMesh(mesh), { skipTypeCheck: true });
  expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const outputs = new Map([plugin.target, ...(plugin.needs ?? [])].map((name) => [name, targets.find((t) => t.name === name)!.run(ir!, { stateDir: "/nonexistent", now: NOW })]));
  const own = outputs.get(plugin.target)!;
  const evaluator = plugin.evaluator({ target: plugin.target, artifacts: own.artifacts, diagnostics: own.diagnostics, all: new Map([...outputs].map(([k, v]) => [k, v.artifacts])) });
  return { comparison: compareWithOracle(ir!, evaluator, enumerateProbes(ir!), own.diagnostics), diagnostics: own.diagnostics };
}

const found: { readonly name: string; readonly mesh: GenMesh; readonly check: (plugin: EvaluatorPlugin, r: ReturnType<typeof compare>) => void }[] = [
  {
    // Two services named "a" in two namespaces behind one ingress: the gateway's first route takes
    // every request, so nothing it sends reaches the second; the Envoy evaluator told the two
    // Deployments apart by name only and compared the first route's timeout with the second's.
    name: "two services of one name behind one ingress (seed 483772763, mesh 7298)",
    mesh: {"name": "a", "namespace": "a", "services": [{"key": "a", "serviceAccount": "sa-a", "ports": [{"name": "http", "port": 80, "protocol": "http"}, {"name": "metrics", "port": 1, "protocol": "http"}], "versions": ["v3"], "workload": true}, {"key": "b", "name": "a", "namespace": "aa", "ports": [{"name": "metrics", "port": 80, "protocol": "http2"}, {"name": "http", "port": 1, "protocol": "grpc"}], "versions": ["v3"], "workload": true}], "external": [], "calls": [], "routes": [], "ingress": [{"name": "public", "routes": [{"to": {"service": "a", "port": "metrics"}, "timeout": "100ms"}, {"to": {"service": "b", "port": "metrics"}}], "policy": 0}], "policies": 1},
    check: () => {},
  },
  {
    // Two Service ports, TCP permissive and gRPC strict, on one container port: Istio keeps one
    // mTLS mode per container port, and wrote the permissive one, admitting plaintext on the
    // strict port. It now keeps the strictest and reports both ports.
    name: "two mTLS modes and protocols on one container port (seed 483772763, mesh 7888)",
    mesh: {"name": "a", "namespace": "a", "services": [{"key": "a", "ports": [{"name": "a", "port": 5000, "protocol": "tcp", "targetPort": 5927, "mtls": "permissive"}, {"name": "http", "port": 5001, "protocol": "grpc", "targetPort": 5927}], "versions": [], "workload": false}], "external": [], "calls": [], "routes": [], "ingress": [], "policies": 1},
    check: (plugin, r) => {
      if (plugin.target !== "istio") return;
      // Each port of the pair, at its own line.
      expect(r.diagnostics.map((d) => `${d.message.slice(0, d.message.indexOf(":"))} ${d.span?.line}`)).toEqual([
        expect.stringMatching(/^istio cannot express two Service ports on one container port \d+$/),
        expect.stringMatching(/^istio cannot express two Service ports on one container port \d+$/),
      ]);
      expect(new Set(r.diagnostics.map((d) => d.span?.line)).size).toBe(2);
      expect(r.comparison.excused.length).toBeGreaterThan(0);
    },
  },
  {
    // Two HTTP Service ports on one container port, only one of them behind an ingress route:
    // Istio, Linkerd and NetworkPolicy authorize by container port, so the gateway reached both
    // silently; they now report both ports. (Envoy sidecars listen per Service port and agree.)
    name: "two Service ports on one container port, one behind an ingress (seed 486885928, mesh 7205)",
    mesh: {"name": "a", "namespace": "a", "services": [{"key": "a", "ports": [{"name": "a", "port": 5000, "protocol": "http", "targetPort": 5309}, {"name": "http", "port": 5001, "protocol": "http", "targetPort": 5309}], "versions": [], "workload": false}], "external": [], "calls": [], "routes": [], "ingress": [{"name": "public", "routes": [{"to": {"service": "a", "port": "a"}}], "policy": 0}], "policies": 1},
    check: () => {},
  },
];

describe.each([envoy, istio, kubernetes, linkerd].map((p) => [p.target, p] as const))("%s on meshes the fuzzer found", (_name, plugin) => {
  it.each(found.map((f) => [f.name, f] as const))("%s", (_label, f) => {
    const r = compare(plugin, f.mesh);
    expect(r.comparison.mismatches.map(describeMismatch)).toEqual([]);
    expect(r.comparison.probes).toBeGreaterThan(0);
    f.check(plugin, r);
  });
});
