import { describe, it } from "vitest";
import { expectDiagnostics } from "./harness.js";
import { unknownService } from "./unknown-service.js";

describe("UnknownService", () => {
  it("flags calls, routes, mirrors and ingress routes to undeclared services, with a suggestion", () => {
    expectDiagnostics(
      unknownService,
      `
      import { defineMesh } from "meshc";
      const port = (service: string) => ({ kind: "port", service, port: "http" }) as never;
      export default defineMesh(
        { name: "m", services: { reviews: { ports: { http: { port: 80 } } } } },
        (s) => ({
          calls: [{ from: { kind: "service", name: "productpage", ports: {} } as never, to: port("reviws") }],
          routes: { ratings: { http: [{ mirror: { to: port("shadow") } }] } } as never,
          ingress: [{ name: "public", routes: [{ to: port("reveiws") }] }],
        }),
      );
      `,
      [
        { code: "MESH100", severity: "error", message: `The call's caller refers to unknown service "productpage".`, line: 6 },
        { code: "MESH100", severity: "error", message: `The call refers to unknown service "reviws". Did you mean "reviews"?`, line: 6 },
        { code: "MESH100", severity: "error", message: `The route refers to unknown service "ratings".`, line: 7 },
        { code: "MESH100", severity: "error", message: `The mirror refers to unknown service "shadow".`, line: 7 },
        { code: "MESH100", severity: "error", message: `Ingress "public" refers to unknown service "reveiws". Did you mean "reviews"?`, line: 8 },
      ],
    );
  });

  it("accepts references to declared services and external hosts", () => {
    expectDiagnostics(
      unknownService,
      `
      import { defineMesh } from "meshc";
      export default defineMesh(
        { name: "m", services: { web: { ports: { http: { port: 80 } } }, api: { ports: { http: { port: 80 } } } }, external: { stripe: { host: "api.stripe.com" } } },
        (s) => ({
          calls: [{ from: s.web, to: s.api.ports.http }, { from: s.api, to: s.stripe.ports.https }],
          routes: { api: { http: [{ mirror: { to: s.web.ports.http } }] } },
          ingress: [{ name: "public", routes: [{ to: s.web.ports.http }] }],
        }),
      );
      `,
      [],
    );
  });
});
