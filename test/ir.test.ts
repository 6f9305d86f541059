// The IR of each example, as golden files: what every target reads. Refresh on purpose with
// `npx vitest run test/ir.test.ts -u` and read the diff.
import { describe, expect, it } from "vitest";
import { compileMesh } from "../compiler/compile.js";
import type { MeshIR } from "../compiler/ir.js";
import { compileSource, example } from "./helpers/mesh.js";

describe.each(["bookinfo", "online-boutique"])("the IR of %s", (name) => {
  const result = compileMesh(example(name));

  it("compiles without diagnostics", () => {
    expect(result.diagnostics).toEqual([]);
  });

  it("matches its golden file", async () => {
    await expect(JSON.stringify(result.ir, null, 2) + "\n").toMatchFileSnapshot(`./__snapshots__/${name}.ir.json`);
  });

  it("is resolved: SPIFFE ids computed, references resolved, lists sorted", () => {
    const ir = result.ir as MeshIR;
    for (const s of ir.services) {
      expect(s.identity.spiffeId).toBe(`spiffe://${ir.trustDomain}/ns/${s.namespace}/sa/${s.serviceAccount}`);
    }
    const ids = new Set(ir.services.map((s) => s.id));
    for (const c of ir.calls) {
      if (c.from.kind === "service") expect(ids.has(c.from.service)).toBe(true);
      if (c.to.kind === "service") expect(ids.has(c.to.service)).toBe(true);
    }
    const sorted = (xs: string[]) => [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect(ir.services.map((s) => s.id)).toEqual(sorted(ir.services.map((s) => s.id)));
    expect(ir.calls.map((c) => c.id)).toEqual(sorted(ir.calls.map((c) => c.id)));
    // Every node points back into the mesh's own files.
    const files = new Set<string>();
    JSON.stringify(ir, (k, v) => (k === "file" && typeof v === "string" ? (files.add(v), v) : v));
    for (const f of files) expect(f.startsWith("/") || f.includes("\\")).toBe(false);
  });
});

describe("bookinfo's IR says what the mesh says", () => {
  const ir = compileMesh(example("bookinfo")).ir!;
  it("resolves defaults and overrides", () => {
    const calls = Object.fromEntries(ir.calls.map((c) => [c.id, c]));
    const pd = calls["bookinfo/productpage->bookinfo/details:http"]!;
    expect(pd).toMatchObject({ methods: ["GET"], timeoutMs: 2000, retries: { attempts: 2, perTryTimeoutMs: 500, on: ["5xx", "reset"] } });
    // Inherited from the mesh default traffic policy.
    expect(calls["bookinfo/productpage->bookinfo/reviews:http"]!.timeoutMs).toBe(3000);
    const reviews = ir.services.find((s) => s.name === "reviews")!;
    expect(reviews.versions.map((v) => [v.name, v.selector, v.workload?.image])).toEqual([
      ["v1", { app: "reviews", version: "v1" }, "docker.io/istio/examples-bookinfo-reviews-v1:1.20.2"],
      ["v2", { app: "reviews", version: "v2" }, "docker.io/istio/examples-bookinfo-reviews-v2:1.20.2"],
      ["v3", { app: "reviews", version: "v3" }, "docker.io/istio/examples-bookinfo-reviews-v3:1.20.2"],
    ]);
    expect(reviews.versions[0]!.workload!.env).toEqual([{ name: "LOG_DIR", value: "/tmp/logs" }]);
    const route = ir.routes.find((r) => r.id === "bookinfo/reviews:http")!;
    expect(route.rules.map((r) => [r.match?.headers, r.destinations.map((d) => [d.version, d.weight])])).toEqual([
      [[{ name: "end-user", match: { kind: "exact", value: "jason" } }], [["v2", 100]]],
      [undefined, [["v1", 50], ["v3", 50]]],
    ]);
  });
});

describe("calls on one edge", () => {
  // Three calls from web to api's http port, in two orders: ids follow content, not order.
  const calls = [
    `{ from: s.web, to: s.api.ports.http, methods: ["POST"], paths: ["/orders"] }`,
    `{ from: s.web, to: s.api.ports.http, methods: ["GET"], paths: ["/items/*"] }`,
    `{ from: s.other, to: s.api.ports.http, methods: ["GET"] }`,
  ];
  const mesh = (order: readonly string[]) => `import { defineMesh } from "meshc";
export default defineMesh(
  {
    name: "edges",
    services: {
      web: { ports: { http: { port: 8080, protocol: "http" } } },
      other: { ports: { http: { port: 8080, protocol: "http" } } },
      api: { ports: { http: { port: 8080, protocol: "http" } } },
    },
  },
  (s) => ({ calls: [${order.join(",\n    ")}] }),
);
`;
  const idsByContent = (order: readonly string[]) => {
    const result = compileSource(mesh(order));
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    return result.ir!.calls.map((c) => [c.id, c.methods, c.paths?.map((p) => p.value)]);
  };

  it("are numbered by their content, whatever order they are declared in", () => {
    const expected = [
      // JSON of ["GET"] sorts before ["POST"]: the GET call is the edge's first.
      ["default/other->default/api:http", ["GET"], undefined],
      ["default/web->default/api:http", ["GET"], ["/items/"]],
      ["default/web->default/api:http#2", ["POST"], ["/orders"]],
    ];
    expect(idsByContent(calls)).toEqual(expected);
    expect(idsByContent([...calls].reverse())).toEqual(expected);
  });
});
