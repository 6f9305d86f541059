import { describe, it } from "vitest";
import { expectDiagnostics } from "./harness.js";
import { mirrorToSelf } from "./mirror-to-self.js";

describe("MirrorToSelf", () => {
  it("flags mirrors to the rule's own destination: an error when it takes all the traffic, a warning for part", () => {
    expectDiagnostics(
      mirrorToSelf,
      `
      import { defineMesh } from "meshc";
      export default defineMesh(
        { name: "m", services: { api: { ports: { http: { port: 80 } }, versions: { v1: {}, v2: {} } } } },
        (s) => ({ routes: { api: { http: [
          { match: { methods: ["GET"] }, to: "v1", mirror: { version: "v1" } },
          { match: { methods: ["POST"] }, to: [{ version: "v1", weight: 80 }, { version: "v2", weight: 20 }], mirror: { version: "v2", percent: 50 } },
          { match: { methods: ["PUT"] }, mirror: { version: "v2" } },
          { to: "v1", mirror: { to: s.api.ports.http } },
        ] } } }),
      );
      `,
      [
        {
          code: "MESH121",
          severity: "error",
          message: `Rule 1 of the route "api:http" mirrors to version "v1", which already receives this traffic: the same workload would serve mirrored requests twice.`,
          line: 5,
          related: [5],
        },
        {
          code: "MESH121",
          severity: "warning",
          message: `Rule 2 of the route "api:http" mirrors to version "v2", which already receives this traffic: the same workload would serve mirrored requests twice.`,
          line: 6,
          related: [6],
        },
        {
          code: "MESH121",
          severity: "warning",
          message: `Rule 3 of the route "api:http" mirrors to version "v2", which already receives this traffic: the same workload would serve mirrored requests twice.`,
          line: 7,
        },
        {
          code: "MESH121",
          severity: "error",
          message: `Rule 4 of the route "api:http" mirrors to its own port "http" of "api", which already receives this traffic: the same workload would serve mirrored requests twice.`,
          line: 8,
        },
      ],
    );
  });

  it("accepts mirrors to another version or service", () => {
    expectDiagnostics(
      mirrorToSelf,
      `
      import { defineMesh } from "meshc";
      export default defineMesh(
        { name: "m", services: {
          api: { ports: { http: { port: 80 } }, versions: { v1: {}, v2: {}, v3: {} } },
          shadow: { ports: { http: { port: 80 } } },
        } },
        (s) => ({ routes: { api: { http: [
          { match: { methods: ["GET"] }, to: [{ version: "v1", weight: 50 }, { version: "v3", weight: 50 }], mirror: { version: "v2" } },
          { to: "v1", mirror: { to: s.shadow.ports.http } },
        ] } } }),
      );
      `,
      [],
    );
  });
});
