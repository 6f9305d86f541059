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

  it("gives a request admitted through another service's call or a mirror that call's or the callee's policy", () => {
    // web and admin share an identity, so admin's DELETE grant admits web's DELETEs too; api's
    // route mirrors to audit, so audit admits what web may send to api. Those requests are not
    // web's own calls: they get admin's call policy and audit's own traffic policy.
    const { ir } = compileSource(`
import { defineMesh } from "meshc";
const workload = { image: "registry.example.com/app:1.0.0" };
export default defineMesh(
  {
    name: "shop",
    namespace: "shop",
    services: {
      web: { serviceAccount: "front", ports: { http: { port: 80, protocol: "http" } }, workload },
      admin: { serviceAccount: "front", ports: { http: { port: 80, protocol: "http" } }, workload },
      api: { ports: { http: { port: 8080, protocol: "http" } }, workload, traffic: { timeout: "3s", retries: { attempts: 3 } } },
      audit: { ports: { http: { port: 8080, protocol: "http" } }, workload, traffic: { timeout: "1s", retries: { attempts: 1 } } },
    },
  },
  (s) => ({
    calls: [
      { from: s.web, to: s.api.ports.http, methods: ["GET"], timeout: "2s", retries: { attempts: 2 } },
      { from: s.admin, to: s.api.ports.http, methods: ["DELETE"], timeout: "5s" },
      { from: s.web, to: s.audit.ports.http, paths: ["/audit/*"], timeout: "2s" },
    ],
    routes: { api: { http: [{ mirror: { to: s.audit.ports.http, percent: 10 } }] } },
  }),
);
`);
    const c = compare(ir!);
    expect(c.mismatches.map(describeMismatch)).toEqual([]);
    expect(c.excused.map(describeMismatch)).toEqual([]);
    expect(c.unsupported).toBe(0);
    const routes = (listener: string) => {
      const envoy = envoyTarget.run(ir!, { stateDir: "/nonexistent" });
      const cm = envoy.artifacts.find((a) => a.path === "envoy/shop/configmap-web-envoy.yaml") as { yaml: { data: Record<string, string> } };
      const boot = YAML.parse(cm.yaml.data["envoy.yaml"]!);
      const l = boot.static_resources.listeners.find((x: { name: string }) => x.name === listener);
      return l.filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes.map((r: { name: string; route: { timeout: string } }) => `${r.name} ${r.route.timeout}`);
    };
    expect(routes("outbound|api.shop:http")).toEqual(["call:shop/web->shop/api:http/rule-0 2s", "call:shop/admin->shop/api:http/rule-0 5s"]);
    expect(routes("outbound|audit.shop:http")).toEqual(["call:shop/web->shop/audit:http/default 2s", "mirrored/default 1s"]);
  });
});
