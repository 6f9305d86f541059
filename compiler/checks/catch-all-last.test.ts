import { describe, it } from "vitest";
import { catchAllLast } from "./catch-all-last.js";
import { expectDiagnostics } from "./harness.js";

describe("CatchAllNotLast", () => {
  it("flags a rule without a match before other rules", () => {
    expectDiagnostics(
      catchAllLast,
      `
      import { defineMesh } from "meshc";
      export default defineMesh(
        { name: "m", services: { reviews: { ports: { http: { port: 80 } }, versions: { v1: {}, v2: {} } } } },
        (s) => ({ routes: { reviews: { http: [
          { to: "v1" },
          { match: { headers: { "end-user": { exact: "jason" } } }, to: "v2" },
        ] } } }),
      );
      `,
      [
        { code: "MESH109", severity: "error", message: `A catch-all rule of the route "reviews:http" is not the last rule; the rules after it never match.`, line: 5, related: [6] },
      ],
    );
  });

  it("accepts a catch-all last", () => {
    expectDiagnostics(
      catchAllLast,
      `
      import { defineMesh } from "meshc";
      export default defineMesh(
        { name: "m", services: { reviews: { ports: { http: { port: 80 } }, versions: { v1: {}, v2: {} } } } },
        (s) => ({ routes: { reviews: { http: [
          { match: { headers: { "end-user": { exact: "jason" } } }, to: "v2" },
          { to: "v1" },
        ] } } }),
      );
      `,
      [],
    );
  });
});
