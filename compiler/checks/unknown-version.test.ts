import { describe, it } from "vitest";
import { expectDiagnostics } from "./harness.js";
import { unknownVersion } from "./unknown-version.js";

describe("UnknownVersion", () => {
  it("flags destinations and mirrors naming undeclared versions, with a suggestion", () => {
    expectDiagnostics(
      unknownVersion,
      `
      import { defineMesh } from "meshc";
      export default defineMesh(
        { name: "m", services: {
          reviews: { ports: { http: { port: 80 } }, versions: { v1: {}, v2: {}, v3: {} } },
          ratings: { ports: { http: { port: 80 } } },
        } },
        (s) => ({ routes: {
          reviews: { http: [{ match: { methods: ["GET"] }, to: "v4" as never }, { to: "v1", mirror: { version: "v22" as never } }] },
          ratings: { http: [{ to: "v1" as never }] },
        } }),
      );
      `,
      [
        { code: "MESH103", severity: "error", message: `Rule 1 of the route "reviews:http" targets unknown version "v4" of service "reviews". Did you mean "v1"?`, line: 8 },
        { code: "MESH103", severity: "error", message: `The mirror of rule 2 of the route "reviews:http" targets unknown version "v22" of service "reviews". Did you mean "v2"?`, line: 8 },
        { code: "MESH103", severity: "error", message: `Rule 1 of the route "ratings:http" targets unknown version "v1" of service "ratings", which declares no versions.`, line: 9 },
      ],
    );
  });

  it("accepts declared versions", () => {
    expectDiagnostics(
      unknownVersion,
      `
      import { defineMesh } from "meshc";
      export default defineMesh(
        { name: "m", services: { reviews: { ports: { http: { port: 80 } }, versions: { v1: {}, v2: {} } } } },
        (s) => ({ routes: { reviews: { http: [{ to: [{ version: "v1", weight: 50 }, { version: "v2", weight: 50 }], mirror: { version: "v2" } }] } } }),
      );
      `,
      [],
    );
  });
});
