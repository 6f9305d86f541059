// The DSL's promise: references to things that do not exist, and malformed values, fail to
// type-check in the editor. These tests type-check small meshes with the TypeScript compiler API.
import { describe, expect, it } from "vitest";
import { compileSource } from "./helpers/mesh.js";

const mesh = (policy: string, services = "") => `import { defineMesh, anyService } from "meshc";
export default defineMesh(
  {
    name: "shop",
    services: {
      web: { ports: { http: { port: 8080 } } },
      cart: { ports: { grpc: { port: 7070, protocol: "grpc" } }, versions: { v1: {}, v2: {} } },${services}
    },
  },
  (s) => (${policy}),
);
`;

const tsErrors = (source: string) =>
  compileSource(source).diagnostics.map((d) => `${d.code} ${d.span?.line}:${d.span?.column}`);

describe("the DSL's types", () => {
  it("accept a correct mesh", () => {
    const r = compileSource(
      mesh(`{
      calls: [{ from: s.web, to: s.cart.ports.grpc, grpcMethods: ["shop.Cart/Get"], timeout: "250ms", retries: { attempts: 2, perTryTimeout: "1s" } },
              { from: anyService, to: s.web.ports.http, methods: ["GET"], paths: ["/api/*"] }],
      routes: { cart: { grpc: [{ match: { headers: { "x-canary": { exact: "1" } } }, to: "v2" }, { to: [{ version: "v1", weight: 90 }, { version: "v2", weight: 10 }] }] } },
    }`),
    );
    // Analyzers may warn (the wildcard allow is deliberate here); the types accept it.
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(r.ir?.calls).toHaveLength(2);
  });

  it("reject a misspelt service handle", () => {
    expect(tsErrors(mesh(`{ calls: [{ from: s.web, to: s.crat.ports.grpc }] }`))).toEqual(["TS2339 10:42"]);
  });

  it("reject a call to an undeclared port", () => {
    expect(tsErrors(mesh(`{ calls: [{ from: s.web, to: s.cart.ports.http }] }`))).toEqual(["TS2339 10:53"]);
  });

  it("reject a split to an undeclared version, in either form", () => {
    expect(tsErrors(mesh(`{ routes: { cart: { grpc: [{ match: { paths: ["/a"] }, to: "v3" }, { to: [{ version: "v4", weight: 100 }] }] } } }`))).toEqual([
      "TS2322 10:66",
      "TS2322 10:87",
    ]);
  });

  it("reject a route on an undeclared service or port", () => {
    expect(tsErrors(mesh(`{ routes: { kart: { grpc: [{ to: "v1" }] } } }`))).toEqual(["TS2353 10:23"]);
    expect(tsErrors(mesh(`{ routes: { cart: { http: [{ to: "v1" }] } } }`))).toEqual(["TS2353 10:31"]);
  });

  it("reject a malformed duration", () => {
    expect(tsErrors(mesh(`{ calls: [{ from: s.web, to: s.cart.ports.grpc, timeout: "5 seconds" }] }`))).toEqual(["TS2322 10:59"]);
  });

  it("reject an unknown HTTP method and an unknown protocol", () => {
    expect(tsErrors(mesh(`{ calls: [{ from: s.web, to: s.cart.ports.grpc, methods: ["FETCH"] }] }`))).toEqual(["TS2322 10:69"]);
    expect(tsErrors(mesh(`{}`, `\n      db: { ports: { pg: { port: 5432, protocol: "postgres" } } },`))).toEqual(["TS2322 8:40"]);
  });

  it("leave a misspelt field of a service to meshc's schema check, at the field", () => {
    // Checking every service spec for unknown keys in the type system quadruples type-check time
    // on large meshes; the zod schema reports it with a did-you-mean at the same line instead.
    const r = compileSource(mesh(`{}`, `\n      db: { ports: { pg: { port: 5432 } }, serviceAcount: "db" },`));
    expect(r.diagnostics.map((d) => `${d.code} ${d.span?.line}:${d.span?.column} ${d.message}`)).toEqual([
      'MESH011 8:44 services.db: unknown field "serviceAcount". Did you mean "serviceAccount"?',
    ]);
  });
});
