import { describe, expect, it } from "vitest";
import { callCycle } from "./call-cycle.js";
import { diagnose, expectDiagnostics } from "./harness.js";

describe("CallCycle", () => {
  it("reports each cycle once, as an info, with every call on it", () => {
    expectDiagnostics(
      callCycle,
      `
      import { defineMesh } from "meshc";
      const http = { ports: { http: { port: 80 } } };
      export default defineMesh(
        { name: "m", services: { a: http, b: http, c: http, d: http, e: http } },
        (s) => ({ calls: [
          { from: s.a, to: s.b.ports.http },
          { from: s.b, to: s.c.ports.http },
          { from: s.c, to: s.a.ports.http },
          { from: s.c, to: s.d.ports.http },
          { from: s.e, to: s.e.ports.http },
        ] }),
      );
      `,
      [
        { code: "MESH122", severity: "info", message: `Calls form a cycle: "a" → "b" → "c" → "a".`, line: 6, related: [7, 8] },
        { code: "MESH122", severity: "info", message: `Calls form a cycle: "e" → "e".`, line: 10 },
      ],
    );
  });

  it("accepts a call graph without cycles", () => {
    expectDiagnostics(
      callCycle,
      `
      import { defineMesh } from "meshc";
      const http = { ports: { http: { port: 80 } } };
      export default defineMesh(
        { name: "m", services: { a: http, b: http, c: http } },
        (s) => ({ calls: [
          { from: s.a, to: s.b.ports.http },
          { from: s.a, to: s.c.ports.http },
          { from: s.b, to: s.c.ports.http },
        ] }),
      );
      `,
      [],
    );
  });

  it("finds a cycle through 20,000 services without overflowing the stack", () => {
    const seen = diagnose(
      callCycle,
      `
      import { defineMesh } from "meshc";
      const N = 20000;
      const services: Record<string, { ports: { http: { port: number } } }> = {};
      for (let i = 0; i < N; i++) services["s" + i] = { ports: { http: { port: 80 } } };
      export default defineMesh({ name: "m", services }, (s: any) => ({
        calls: Array.from({ length: N }, (_, i) => ({ from: s["s" + i], to: s["s" + ((i + 1) % N)].ports.http })),
      }));
      `,
    );
    expect(seen.map((d) => [d.code, d.line, d.related?.length])).toEqual([["MESH122", 6, 19999]]);
    expect(seen[0]!.message.startsWith('Calls form a cycle: "s0" → "s1" → "s2" → ')).toBe(true);
    expect(seen[0]!.message.endsWith(' → "s19998" → "s19999" → "s0".')).toBe(true);
  });
});
