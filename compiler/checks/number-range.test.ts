import { describe, it } from "vitest";
import { expectDiagnostics } from "./harness.js";
import { numberRange } from "./number-range.js";

describe("NumberOutOfRange", () => {
  it("flags ports, weights, percentages, counts and statuses out of range", () => {
    expectDiagnostics(
      numberRange,
      `
      import { defineMesh } from "meshc";
      export default defineMesh(
        { name: "m", services: {
          api: { ports: { http: { port: 70000, targetPort: 8080 } }, versions: { v1: {}, v2: { workload: { replicas: -1 } } }, traffic: { circuitBreaker: { maxConnections: 0 } } },
        } },
        (s) => ({
          routes: { api: { http: [{ to: [{ version: "v1", weight: 150 }, { version: "v2", weight: -50 }], fault: { abort: { httpStatus: 99, percent: 10 } } }] } },
          ingress: [{ name: "public", routes: [{ to: s.api.ports.http, retries: { attempts: 101 } }] }],
        }),
      );
      `,
      [
        { code: "MESH106", severity: "error", message: `port is 70000; it must be an integer from 1 to 65535.`, line: 4 },
        { code: "MESH106", severity: "error", message: `workload.replicas is -1; it must be an integer from 0 to 10000.`, line: 4 },
        { code: "MESH106", severity: "error", message: `circuitBreaker.maxConnections is 0; it must be an integer from 1 to 1000000.`, line: 4 },
        { code: "MESH106", severity: "error", message: `weight is 150; it must be between 0 and 100.`, line: 7 },
        { code: "MESH106", severity: "error", message: `weight is -50; it must be between 0 and 100.`, line: 7 },
        { code: "MESH106", severity: "error", message: `fault.abort.httpStatus is 99; it must be an HTTP status from 200 to 599.`, line: 7 },
        { code: "MESH106", severity: "error", message: `retries.attempts is 101; it must be an integer from 0 to 100.`, line: 8 },
      ],
    );
  });

  it("accepts values at the edges of their ranges", () => {
    expectDiagnostics(
      numberRange,
      `
      import { defineMesh } from "meshc";
      export default defineMesh(
        { name: "m", services: {
          api: { ports: { http: { port: 65535, targetPort: 1 } }, versions: { v1: {}, v2: {} }, workload: { replicas: 0 }, rateLimit: { requests: 1, burst: 0 } },
        } },
        (s) => ({
          routes: { api: { http: [{ to: [{ version: "v1", weight: 100 }, { version: "v2", weight: 0 }], fault: { abort: { httpStatus: 599, percent: 100 } }, mirror: { version: "v2", percent: 0 } }] } },
          ingress: [{ name: "public", port: 1, routes: [{ to: s.api.ports.http, retries: { attempts: 0 } }] }],
        }),
      );
      `,
      [],
    );
  });
});
