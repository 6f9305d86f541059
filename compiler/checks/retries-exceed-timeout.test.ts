import { describe, it } from "vitest";
import { expectDiagnostics } from "./harness.js";
import { retriesExceedTimeout } from "./retries-exceed-timeout.js";

describe("RetriesExceedTimeout", () => {
  it("flags retries whose tries do not fit in the timeout, once per declaration", () => {
    expectDiagnostics(
      retriesExceedTimeout,
      `
      import { defineMesh } from "meshc";
      const http = { ports: { http: { port: 80 } } };
      export default defineMesh(
        { name: "m", services: { web: http, api: http, db: { ...http, traffic: { timeout: "1s", retries: { attempts: 1, perTryTimeout: "600ms" } } } } },
        (s) => ({
          calls: [
            { from: s.web, to: s.api.ports.http, timeout: "3s", retries: { attempts: 1, perTryTimeout: "2s" } },
            { from: [s.web, s.api], to: s.db.ports.http },
          ],
          ingress: [{ name: "public", routes: [{ to: s.web.ports.http, timeout: "1s", retries: { attempts: 3, perTryTimeout: "500ms" } }] }],
        }),
      );
      `,
      [
        {
          code: "MESH114",
          severity: "warning",
          message: "The retry policy allows 2 tries of up to 600ms each (1200ms) within a timeout of 1s; the last tries are cut short or never start.",
          line: 4,
          related: [4],
        },
        {
          code: "MESH114",
          severity: "warning",
          message: "The retry policy allows 2 tries of up to 2s each (4s) within a timeout of 3s; the last tries are cut short or never start.",
          line: 7,
          related: [7],
        },
        {
          code: "MESH114",
          severity: "warning",
          message: "The retry policy allows 4 tries of up to 500ms each (2s) within a timeout of 1s; the last tries are cut short or never start.",
          line: 10,
          related: [10],
        },
      ],
    );
  });

  it("accepts retries that fit, and retries without a per-try timeout", () => {
    expectDiagnostics(
      retriesExceedTimeout,
      `
      import { defineMesh } from "meshc";
      const http = { ports: { http: { port: 80 } } };
      export default defineMesh(
        { name: "m", defaults: { traffic: { timeout: "2s", retries: { attempts: 5 } } }, services: { web: http, api: http } },
        (s) => ({
          calls: [{ from: s.web, to: s.api.ports.http, timeout: "3s", retries: { attempts: 2, perTryTimeout: "1s" } }],
          routes: { api: { http: [{ timeout: "1s", retries: { attempts: 1, perTryTimeout: "500ms" } }] } },
        }),
      );
      `,
      [],
    );
  });
});
