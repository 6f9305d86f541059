import { describe, it } from "vitest";
import { expectDiagnostics } from "./harness.js";
import { wildcardAllow } from "./wildcard-allow.js";

describe("WildcardAllow", () => {
  it("flags any caller allowed any request", () => {
    expectDiagnostics(
      wildcardAllow,
      `
      import { defineMesh, anyService } from "meshc";
      export default defineMesh(
        { name: "m", services: { api: { ports: { http: { port: 80 } } } }, external: { stripe: { host: "api.stripe.com" } } },
        (s) => ({ calls: [
          { from: anyService, to: s.api.ports.http },
          { from: anyService, to: s.stripe.ports.https },
        ] }),
      );
      `,
      [
        { code: "MESH116", severity: "warning", message: `Any service may send any request to port "http" of "api": the allow has no method, path or gRPC method restriction.`, line: 5 },
        { code: "MESH116", severity: "warning", message: `Any service may send any request to port "https" of external host "stripe": the allow has no method, path or gRPC method restriction.`, line: 6 },
      ],
    );
  });

  it("accepts a restricted wildcard and named callers", () => {
    expectDiagnostics(
      wildcardAllow,
      `
      import { defineMesh, anyService } from "meshc";
      export default defineMesh(
        { name: "m", services: { web: { ports: {} }, api: { ports: { http: { port: 80 } } } } },
        (s) => ({ calls: [
          { from: anyService, to: s.api.ports.http, paths: ["/healthz"] },
          { from: s.web, to: s.api.ports.http },
        ] }),
      );
      `,
      [],
    );
  });
});
