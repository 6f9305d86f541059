import { describe, it } from "vitest";
import { callCycle } from "./call-cycle.js";
import { expectDiagnostics } from "./harness.js";

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
});
