/**
 * The generated configs, run through an evaluator of Envoy's semantics (test/evaluators/envoy.ts),
 * against what the mesh declares: every (caller, callee, port, method, path) probe of both
 * examples, straight at the callee's sidecar (a caller that bypasses its own) and end to end
 * through the caller's sidecar, and for allowed HTTP probes, where the route table sends them.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { Artifact } from "../../compiler/artifact.js";
import type { MeshIR } from "../../compiler/ir.js";
import { compiledExample } from "./__fixtures__/examples.js";
import { mismatches, mutateBootstrap } from "./__fixtures__/intent.js";

describe.each(["bookinfo", "online-boutique"])("the evaluated envoy configs of %s do what the mesh says", (name) => {
  let ir: MeshIR;
  let artifacts: readonly Artifact[];
  beforeAll(() => {
    ({ ir } = compiledExample(name));
    artifacts = compiledExample(name).result.artifacts;
  });

  it("for every probe: zero mismatches", () => {
    const { lines, probes } = mismatches(ir, artifacts);
    expect(lines).toEqual([]);
    // bookinfo: 1,266 probes; online-boutique: 3,249.
    expect(probes).toBeGreaterThan(1000);
  });
});

describe("a mutated config is caught", () => {
  let ir: MeshIR;
  let artifacts: readonly Artifact[];
  beforeAll(() => {
    ({ ir } = compiledExample("bookinfo"));
    artifacts = compiledExample("bookinfo").result.artifacts;
  });
  const inboundRbac = (b: any) => b.static_resources.listeners.find((l: any) => l.name === "inbound|http").filter_chains[0].filters[0].typed_config.http_filters[0].typed_config;

  it("ratings admitting productpage instead of reviews", () => {
    const mutated = mutateBootstrap(artifacts, "ratings-envoy", (b) => {
      const policy = inboundRbac(b).rules.policies["call:bookinfo/reviews->bookinfo/ratings:http"];
      policy.principals[0].authenticated.principal_name.exact = "spiffe://cluster.local/ns/bookinfo/sa/bookinfo-productpage";
    });
    const { lines } = mismatches(ir, mutated);
    expect(lines).toContain("inbound spiffe://cluster.local/ns/bookinfo/sa/bookinfo-productpage → ratings-v1:http GET /: envoy allows, mesh denies");
    expect(lines).toContain("inbound spiffe://cluster.local/ns/bookinfo/sa/bookinfo-reviews → ratings-v1:http GET /: envoy denies, mesh allows");
    expect(lines.some((l) => l.startsWith("call reviews-v1 → bookinfo/ratings:http GET /: envoy denies"))).toBe(true);
  });

  it("details allowing any method", () => {
    const mutated = mutateBootstrap(artifacts, "details-envoy", (b) => {
      inboundRbac(b).rules.policies["call:bookinfo/productpage->bookinfo/details:http"].permissions = [{ any: true }];
    });
    expect(mismatches(ir, mutated).lines).toContain(
      "inbound spiffe://cluster.local/ns/bookinfo/sa/bookinfo-productpage → details-v1:http DELETE /: envoy allows, mesh denies",
    );
  });

  it("productpage's reviews split changed to 90/10", () => {
    const mutated = mutateBootstrap(artifacts, "productpage-envoy", (b) => {
      const l = b.static_resources.listeners.find((x: any) => x.name === "outbound|reviews.bookinfo:http");
      const split = l.filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[1].route.weighted_clusters.clusters;
      split[0].weight = 90;
      split[1].weight = 10;
    });
    expect(mismatches(ir, mutated).lines).toContain(
      "route productpage-v1 → bookinfo/reviews:http GET /: envoy splits 10:reviews-v3 90:reviews-v1, mesh 50:reviews-v1 50:reviews-v3",
    );
  });

  it("the jason rule moved after the catch-all", () => {
    const mutated = mutateBootstrap(artifacts, "productpage-envoy", (b) => {
      const l = b.static_resources.listeners.find((x: any) => x.name === "outbound|reviews.bookinfo:http");
      l.filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes.reverse();
    });
    expect(mismatches(ir, mutated).lines).toContain(
      "route productpage-v1 → bookinfo/reviews:http GET / (jason): envoy splits 50:reviews-v1 50:reviews-v3, mesh 100:reviews-v2",
    );
  });
});
