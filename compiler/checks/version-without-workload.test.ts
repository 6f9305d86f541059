import { describe, it } from "vitest";
import { expectDiagnostics } from "./harness.js";
import { versionWithoutWorkload } from "./version-without-workload.js";

describe("VersionWithoutWorkload", () => {
  it("flags splits and mirrors to a version without a workload when its siblings have one", () => {
    expectDiagnostics(
      versionWithoutWorkload,
      `
      import { defineMesh } from "meshc";
      export default defineMesh(
        { name: "m", services: { api: { ports: { http: { port: 80 } }, versions: {
          v1: { workload: { image: "api:1" } },
          v2: {},
        } } } },
        (s) => ({ routes: { api: { http: [
          { match: { methods: ["GET"] }, to: [{ version: "v1", weight: 90 }, { version: "v2", weight: 10 }] },
          { to: "v1", mirror: { version: "v2", percent: 5 } },
        ] } } }),
      );
      `,
      [
        {
          code: "MESH120",
          severity: "warning",
          message: `Rule 1 of the route "api:http" sends traffic to version "v2" of "api", which has no workload, while version "v1" has one.`,
          line: 8,
          related: [5],
        },
        {
          code: "MESH120",
          severity: "warning",
          message: `The mirror of rule 2 of the route "api:http" sends traffic to version "v2" of "api", which has no workload, while version "v1" has one.`,
          line: 9,
          related: [5],
        },
      ],
    );
  });

  it("accepts versions that all have workloads, none that do, and a zero weight", () => {
    expectDiagnostics(
      versionWithoutWorkload,
      `
      import { defineMesh } from "meshc";
      export default defineMesh(
        { name: "m", services: {
          api: { ports: { http: { port: 80 } }, workload: { image: "api:1" }, versions: { v1: {}, v2: {} } },
          web: { ports: { http: { port: 80 } }, versions: { v1: {}, v2: {} } },
          db: { ports: { http: { port: 80 } }, versions: { v1: { workload: { image: "db:1" } }, v2: {} } },
        } },
        (s) => ({ routes: {
          api: { http: [{ to: "v2" }] },
          web: { http: [{ to: "v2" }] },
          db: { http: [{ to: [{ version: "v1", weight: 100 }, { version: "v2", weight: 0 }] }] },
        } }),
      );
      `,
      [],
    );
  });
});
