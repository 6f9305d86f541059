import { describe, it } from "vitest";
import { duplicateName } from "./duplicate-name.js";
import { expectDiagnostics } from "./harness.js";

describe("DuplicateName", () => {
  it("flags two services, ingresses or routes under one name, pointing at the first", () => {
    expectDiagnostics(
      duplicateName,
      `
      import { defineMesh } from "meshc";
      export default defineMesh(
        { name: "m", services: {
          api: { ports: { http: { port: 80 } } },
          apiCopy: { name: "api", ports: { http: { port: 80 } } },
          stripe: { ports: { http: { port: 80 } } },
        }, external: { stripe: { host: "api.stripe.com" } } },
        (s) => ({
          ingress: [{ name: "public", routes: [{ to: s.api.ports.http }] }, { name: "public", routes: [{ to: s.api.ports.http }] }],
          routes: { api: { http: [{}] } },
        }),
        (s) => ({ routes: { api: { http: [{}] } } }),
      );
      `,
      [
        { code: "MESH101", severity: "error", message: `Duplicate service "default/api".`, line: 5, related: [4] },
        { code: "MESH101", severity: "error", message: `Duplicate service or external host "stripe".`, line: 7, related: [6] },
        { code: "MESH101", severity: "error", message: `Duplicate ingress "public".`, line: 9, related: [9] },
        { code: "MESH101", severity: "error", message: `Duplicate route for "default/api:http".`, line: 12, related: [10] },
      ],
    );
  });

  it("accepts distinct names, and one name in two namespaces", () => {
    expectDiagnostics(
      duplicateName,
      `
      import { defineMesh } from "meshc";
      export default defineMesh(
        { name: "m", services: {
          api: { ports: { http: { port: 80 } } },
          apiStaging: { name: "api", namespace: "staging", ports: { http: { port: 80 } } },
        }, external: { stripe: { host: "api.stripe.com" } } },
        (s) => ({ ingress: [{ name: "public", routes: [{ to: s.api.ports.http }] }, { name: "admin", routes: [{ to: s.api.ports.http }] }] }),
      );
      `,
      [],
    );
  });
});
