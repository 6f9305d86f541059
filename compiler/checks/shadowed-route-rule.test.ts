import { describe, it } from "vitest";
import { expectDiagnostics } from "./harness.js";
import { shadowedRouteRule } from "./shadowed-route-rule.js";

describe("ShadowedRouteRule", () => {
  it("flags rules an earlier rule with the same or a broader match hides", () => {
    expectDiagnostics(
      shadowedRouteRule,
      `
      import { defineMesh } from "meshc";
      export default defineMesh(
        { name: "m", services: { api: { ports: { http: { port: 80 } }, versions: { v1: {}, v2: {} } } } },
        (s) => ({ routes: { api: { http: [
          { match: { paths: ["/api/*"] }, to: "v1" },
          { match: { paths: ["/api/v2/*"], methods: ["GET"] }, to: "v2" },
          { match: { headers: { "x-user": { prefix: "test-" } } }, to: "v2" },
          { match: { headers: { "x-user": { exact: "test-jason" }, "x-beta": { exact: "1" } } }, to: "v2" },
          { match: { paths: ["/api/*"] }, to: "v2" },
          { to: "v1" },
        ] } } }),
      );
      `,
      [
        { code: "MESH119", severity: "warning", message: `Rule 2 of the route "api:http" never matches: rule 1 before it matches every request it would.`, line: 6, related: [5] },
        { code: "MESH119", severity: "warning", message: `Rule 4 of the route "api:http" never matches: rule 3 before it matches every request it would.`, line: 8, related: [7] },
        { code: "MESH119", severity: "warning", message: `Rule 5 of the route "api:http" never matches: rule 1 before it matches every request it would.`, line: 9, related: [5] },
      ],
    );
  });

  it("accepts narrower rules first, disjoint matches, different regexes and a catch-all last", () => {
    expectDiagnostics(
      shadowedRouteRule,
      `
      import { defineMesh } from "meshc";
      export default defineMesh(
        { name: "m", services: { api: { ports: { http: { port: 80 } }, versions: { v1: {}, v2: {} } } } },
        (s) => ({ routes: { api: { http: [
          { match: { paths: ["/api/v2/*"], methods: ["GET"] }, to: "v2" },
          { match: { paths: ["/api/*"] }, to: "v1" },
          { match: { paths: ["/static/*", "/api/*"], methods: ["GET"] }, to: "v1" },
          { match: { headers: { "x-user": { regex: "^a" } } }, to: "v2" },
          { match: { headers: { "x-user": { regex: "^b" } } }, to: "v2" },
          { match: { methods: ["POST"] }, to: "v2" },
          { to: "v1" },
        ] } } }),
      );
      `,
      [],
    );
  });
});
