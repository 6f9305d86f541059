import { describe, expect, it } from "vitest";
import { diagnose, expectDiagnostics } from "./harness.js";
import { retryAmplification } from "./retry-amplification.js";

describe("RetryAmplification", () => {
  it("flags the hop where a chain's tries pass 10 requests, naming the chain", () => {
    expectDiagnostics(
      retryAmplification,
      `
      import { defineMesh } from "meshc";
      const http = { ports: { http: { port: 80 } } };
      const retry = { attempts: 2 };
      export default defineMesh(
        { name: "m", services: { web: http, api: http, db: http, cache: http } },
        (s) => ({
          ingress: [{ name: "public", routes: [{ to: s.web.ports.http, retries: { attempts: 1 } }] }],
          calls: [
            { from: s.web, to: s.api.ports.http, retries: retry },
            { from: s.api, to: s.db.ports.http, retries: { attempts: 2 } },
            { from: s.db, to: s.cache.ports.http, retries: retry },
          ],
        }),
      );
      `,
      [
        {
          code: "MESH112",
          severity: "warning",
          message: 'The call chain ingress "public" → web → api → db can send 18 requests to "db" for one request (2 × 3 × 3 tries), more than 10.',
          line: 10,
          related: [7, 3],
        },
      ],
    );
  });

  it("counts route rules' retries, which override the call's", () => {
    expectDiagnostics(
      retryAmplification,
      `
      import { defineMesh } from "meshc";
      const http = { ports: { http: { port: 80 } } };
      export default defineMesh(
        { name: "m", services: { web: http, api: http, db: http } },
        (s) => ({
          calls: [
            { from: s.web, to: s.api.ports.http, retries: { attempts: 3 } },
            { from: s.api, to: s.db.ports.http },
          ],
          routes: { db: { http: [{ match: { methods: ["GET"] }, retries: { attempts: 4 } }, {}] } },
        }),
      );
      `,
      [
        {
          code: "MESH112",
          severity: "warning",
          message: 'The call chain web → api → db can send 20 requests to "db" for one request (4 × 5 tries), more than 10.',
          line: 10,
          related: [7],
        },
      ],
    );
  });

  it("accepts chains that stay at 10 requests or fewer", () => {
    expectDiagnostics(
      retryAmplification,
      `
      import { defineMesh } from "meshc";
      const http = { ports: { http: { port: 80 } } };
      export default defineMesh(
        { name: "m", services: { web: http, api: http, db: http } },
        (s) => ({
          calls: [
            { from: s.web, to: s.api.ports.http, retries: { attempts: 2 } },
            { from: s.api, to: s.db.ports.http, retries: { attempts: 2 } },
            { from: s.db, to: s.web.ports.http, retries: { attempts: 0 } },
          ],
        }),
      );
      `,
      [],
    );
  });

  it("walks a call chain 20,000 services deep without overflowing the stack", () => {
    // s0 → s1 → … → s19999; hops 15000 and 18000 try 4 times each: 16 requests reach s18001.
    // (A recursive walk overflowed from about 8,000 services deep.)
    const seen = diagnose(
      retryAmplification,
      `
      import { defineMesh } from "meshc";
      const N = 20000;
      const services: Record<string, { ports: { http: { port: number } } }> = {};
      for (let i = 0; i < N; i++) services["s" + i] = { ports: { http: { port: 80 } } };
      export default defineMesh({ name: "m", services }, (s: any) => ({
        calls: Array.from({ length: N - 1 }, (_, i) => ({
          from: s["s" + i],
          to: s["s" + (i + 1)].ports.http,
          ...(i === 15000 || i === 18000 ? { retries: { attempts: 3 } } : {}),
        })),
      }));
      `,
    );
    expect(seen.map((d) => [d.code, d.line, d.related])).toEqual([["MESH112", 9, [9]]]);
    const message = seen[0]!.message;
    expect(message.startsWith("The call chain s0 → s1 → s2 → ")).toBe(true);
    expect(message.endsWith(' → s17999 → s18000 → s18001 can send 16 requests to "s18001" for one request (4 × 4 tries), more than 10.')).toBe(true);
    expect(message.split(" → ")).toHaveLength(18002);
  });
});
