import { describe, it } from "vitest";
import { expectDiagnostics } from "./harness.js";
import { splitWeights } from "./split-weights.js";

describe("SplitWeights", () => {
  it("flags splits whose weights do not sum to 100", () => {
    expectDiagnostics(
      splitWeights,
      `
      import { defineMesh } from "meshc";
      export default defineMesh(
        { name: "m", services: { reviews: { ports: { http: { port: 80 } }, versions: { v1: {}, v2: {} } } } },
        (s) => ({ routes: { reviews: { http: [
          { match: { methods: ["GET"] }, to: [{ version: "v1", weight: 50 }, { version: "v2", weight: 40 }] },
          { to: [{ version: "v1", weight: 80 }, { version: "v2", weight: 30 }] },
        ] } } }),
      );
      `,
      [
        { code: "MESH104", severity: "error", message: `The split of "reviews:http" has weights summing to 90, not 100.`, line: 5 },
        { code: "MESH104", severity: "error", message: `The split of "reviews:http" has weights summing to 110, not 100.`, line: 6 },
      ],
    );
  });

  it("accepts weights summing to 100 (float noise included), single versions and no destinations", () => {
    expectDiagnostics(
      splitWeights,
      `
      import { defineMesh } from "meshc";
      export default defineMesh(
        { name: "m", services: { reviews: { ports: { http: { port: 80 } }, versions: { v1: {}, v2: {}, v3: {} } } } },
        (s) => ({ routes: { reviews: { http: [
          { match: { methods: ["GET"] }, to: [{ version: "v1", weight: 33.3 }, { version: "v2", weight: 33.3 }, { version: "v3", weight: 33.4 }] },
          { match: { methods: ["POST"] }, to: "v2" },
          { match: { methods: ["PUT"] } },
          { to: [{ version: "v1", weight: 100 }] },
        ] } } }),
      );
      `,
      [],
    );
  });
});
