import { beforeAll, describe, expect, it } from "vitest";
import type { MeshIR } from "../../compiler/ir.js";
import { generatedMesh, serviceName } from "./__fixtures__/generated-mesh.js";
import { envoyTarget } from "./index.js";

/** Each service's bootstrap text, by service name. */
function bootstraps(ir: MeshIR): Map<string, string> {
  const result = envoyTarget.run(ir, { stateDir: "/nonexistent" });
  expect(result.diagnostics).toEqual([]);
  const out = new Map<string, string>();
  for (const a of result.artifacts) {
    if (!("yaml" in a)) continue;
    const o = a.yaml as { kind: string; metadata: { name: string }; data?: Record<string, string> };
    if (o.kind === "ConfigMap") out.set(o.metadata.name.replace(/-envoy$/, ""), o.data!["envoy.yaml"]!);
  }
  return out;
}

describe("a service's config size depends on its own edges, not on the mesh's size", () => {
  const FAN_OUT = 3;
  let small: Map<string, string>;
  let large: Map<string, string>;
  beforeAll(() => {
    small = bootstraps(generatedMesh(10, FAN_OUT));
    large = bootstraps(generatedMesh(1000, FAN_OUT));
  });

  it("builds one config per service", () => {
    expect(small.size).toBe(10);
    expect(large.size).toBe(1000);
  });

  it("gives every service exactly its three upstreams", () => {
    for (const text of [...small.values(), ...large.values()]) {
      expect(text.match(/- name: "outbound\|svc-\d{4}\.scale:http"/g)).toHaveLength(FAN_OUT);
      expect(text.match(/- name: "outbound\|8080\|\|svc-\d{4}\.scale"/g)).toHaveLength(FAN_OUT);
    }
  });

  it("writes byte-identical configs for a service with the same neighbours in a 10- and a 1,000-service mesh", () => {
    // svc-0005 calls 0006–0008 and is called by 0002–0004 in both meshes: nothing else may show.
    expect(large.get(serviceName(5))).toBe(small.get(serviceName(5)));
  });

  it("writes configs of exactly the same size for every service of both meshes (all names have the same length)", () => {
    const sizes = new Set([...small.values(), ...large.values()].map((t) => Buffer.byteLength(t)));
    expect([...sizes]).toHaveLength(1);
  });
});
