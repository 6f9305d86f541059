import { describe, it } from "vitest";
import { durationRange } from "./duration-range.js";
import { expectDiagnostics } from "./harness.js";

describe("DurationOutOfRange", () => {
  it("flags zero, negative and absurdly long durations, once per declaration", () => {
    expectDiagnostics(
      durationRange,
      `
      import { defineMesh } from "meshc";
      export default defineMesh(
        {
          name: "m",
          defaults: { traffic: { timeout: "0s" } },
          certificates: { leafLifetime: "400d" },
          services: { web: { ports: { http: { port: 80 } } }, api: { ports: { http: { port: 80 } }, traffic: { retries: { attempts: 1, perTryTimeout: "-5ms" } } } },
        },
        (s) => ({ calls: [{ from: s.web, to: s.api.ports.http, timeout: "48h" }] }),
      );
      `,
      [
        { code: "MESH105", severity: "error", message: `timeout is 0s; it must be between 1ms and 24h.`, line: 5 },
        { code: "MESH105", severity: "error", message: `certificates.leafLifetime is 9600h; it must be between 1ms and 8784h.`, line: 6 },
        { code: "MESH105", severity: "error", message: `retries.perTryTimeout is -5ms; it must be between 1ms and 24h.`, line: 7 },
        { code: "MESH105", severity: "error", message: `timeout is 48h; it must be between 1ms and 24h.`, line: 9 },
      ],
    );
  });

  it("accepts durations within range", () => {
    expectDiagnostics(
      durationRange,
      `
      import { defineMesh } from "meshc";
      export default defineMesh(
        { name: "m", defaults: { traffic: { timeout: "15s" } }, services: { web: { ports: { http: { port: 80 } } }, api: { ports: { http: { port: 80 } } } } },
        (s) => ({ calls: [{ from: s.web, to: s.api.ports.http, timeout: "24h", retries: { attempts: 2, perTryTimeout: "1ms" } }] }),
      );
      `,
      [],
    );
  });
});
