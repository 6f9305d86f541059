import { describe, it } from "vitest";
import { expectDiagnostics } from "./harness.js";
import { timeoutBudget } from "./timeout-budget.js";

describe("TimeoutBudget", () => {
  it("flags a caller whose timeout is shorter than the callee's slowest call", () => {
    expectDiagnostics(
      timeoutBudget,
      `
      import { defineMesh } from "meshc";
      const http = { ports: { http: { port: 80 } } };
      export default defineMesh(
        { name: "m", services: { web: { ...http, traffic: { timeout: "1s" } }, api: http, db: http, mail: http } },
        (s) => ({
          ingress: [{ name: "public", routes: [{ to: s.web.ports.http }] }],
          calls: [
            { from: s.web, to: s.api.ports.http, timeout: "2s" },
            { from: s.api, to: s.db.ports.http, timeout: "1s" },
            { from: s.api, to: s.mail.ports.http, retries: { attempts: 2, perTryTimeout: "1s" } },
          ],
        }),
      );
      `,
      [
        {
          code: "MESH113",
          severity: "warning",
          message: `Ingress "public" gives "web" 1s, but "web"'s own call to "api" can take 2s.`,
          line: 6,
          related: [4, 8],
        },
        {
          code: "MESH113",
          severity: "warning",
          message: `The call from "web" gives "api" 2s, but "api"'s own call to "mail" can take 3s.`,
          line: 8,
          related: [8, 10],
        },
      ],
    );
  });

  it("accepts callers that wait at least as long as the callee's slowest call, and unbounded calls", () => {
    expectDiagnostics(
      timeoutBudget,
      `
      import { defineMesh } from "meshc";
      const http = { ports: { http: { port: 80 } } };
      export default defineMesh(
        { name: "m", services: { web: http, api: http, db: http, mail: http } },
        (s) => ({
          calls: [
            { from: s.web, to: s.api.ports.http, timeout: "2s" },
            { from: s.api, to: s.db.ports.http, timeout: "2s" },
            { from: s.api, to: s.mail.ports.http },
            { from: s.db, to: s.mail.ports.http },
          ],
        }),
      );
      `,
      [],
    );
  });
});
