import { describe, it } from "vitest";
import { duplicatePort } from "./duplicate-port.js";
import { expectDiagnostics } from "./harness.js";

describe("DuplicatePort", () => {
  it("flags two ports of one service with the same number", () => {
    expectDiagnostics(
      duplicatePort,
      `
      import { defineMesh } from "meshc";
      export default defineMesh({ name: "m", services: {
        api: { ports: {
          http: { port: 8080 },
          metrics: { port: 8080 },
        } },
      } });
      `,
      [
        { code: "MESH108", severity: "error", message: `Service "api" declares port 8080 twice ("http" and "metrics").`, line: 5, related: [4] },
      ],
    );
  });

  it("accepts distinct numbers, and one number on two services", () => {
    expectDiagnostics(
      duplicatePort,
      `
      import { defineMesh } from "meshc";
      export default defineMesh({ name: "m", services: {
        api: { ports: { http: { port: 8080 }, metrics: { port: 9090 } } },
        web: { ports: { http: { port: 8080 } } },
      } });
      `,
      [],
    );
  });
});
