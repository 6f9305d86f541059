import { describe, it } from "vitest";
import { expectDiagnostics } from "./harness.js";
import { mtlsNotStrict } from "./mtls-not-strict.js";

describe("MtlsNotStrict", () => {
  it("flags services and ports that accept plaintext in a strict mesh", () => {
    expectDiagnostics(
      mtlsNotStrict,
      `
      import { defineMesh } from "meshc";
      export default defineMesh({ name: "m", defaults: { mtls: "strict" }, services: {
        legacy: { mtls: "permissive", ports: { http: { port: 80 } } },
        api: { ports: { http: { port: 80 }, metrics: { port: 9090, mtls: "disabled" } } },
      } });
      `,
      [
        { code: "MESH115", severity: "warning", message: `Service "legacy" accepts plaintext: its mTLS mode is "permissive" while the mesh default is "strict".`, line: 3 },
        { code: "MESH115", severity: "warning", message: `Port "metrics" of "api" accepts plaintext: its mTLS mode is "disabled" while the mesh default is "strict".`, line: 4 },
      ],
    );
  });

  it("accepts a strict mesh, and a mesh whose default is not strict", () => {
    expectDiagnostics(
      mtlsNotStrict,
      `
      import { defineMesh } from "meshc";
      export default defineMesh({ name: "m", services: {
        api: { mtls: "strict", ports: { http: { port: 80, mtls: "strict" } } },
      } });
      `,
      [],
    );
    expectDiagnostics(
      mtlsNotStrict,
      `
      import { defineMesh } from "meshc";
      export default defineMesh({ name: "m", defaults: { mtls: "permissive" }, services: {
        api: { ports: { http: { port: 80 } } },
      } });
      `,
      [],
    );
  });
});
