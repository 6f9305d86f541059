import { describe, it } from "vitest";
import { expectDiagnostics } from "./harness.js";
import { unknownPort } from "./unknown-port.js";

describe("UnknownPort", () => {
  it("flags calls (a service's call to itself too), routes, mirrors and ingress routes to undeclared ports", () => {
    expectDiagnostics(
      unknownPort,
      `
      import { defineMesh } from "meshc";
      const port = (service: string, port: string) => ({ kind: "port", service, port }) as never;
      export default defineMesh(
        { name: "m", services: {
          web: { ports: { http: { port: 80 } } },
          api: { ports: { http: { port: 80 }, grpc: { port: 90 } } },
        }, external: { stripe: { host: "api.stripe.com" } } },
        (s) => ({
          calls: [
            { from: s.web, to: port("api", "htp") },
            { from: s.api, to: port("api", "admin") },
            { from: s.api, to: port("stripe", "http") },
          ],
          routes: { api: { admin: [{ mirror: { to: port("web", "grpc") } }] } } as never,
          ingress: [{ name: "public", routes: [{ to: port("web", "https") }] }],
        }),
      );
      `,
      [
        { code: "MESH102", severity: "error", message: `The call refers to port "htp" of service "api", which has ports "grpc", "http". Did you mean "http"?`, line: 10 },
        { code: "MESH102", severity: "error", message: `The service's call to itself refers to port "admin" of its own service "api", which has ports "grpc", "http".`, line: 11 },
        { code: "MESH102", severity: "error", message: `The call refers to port "http" of service "stripe", which has ports "https". Did you mean "https"?`, line: 12 },
        { code: "MESH102", severity: "error", message: `The route refers to port "admin" of service "api", which has ports "grpc", "http".`, line: 14 },
        { code: "MESH102", severity: "error", message: `The mirror refers to port "grpc" of service "web", which has ports "http".`, line: 14 },
        { code: "MESH102", severity: "error", message: `Ingress "public" refers to port "https" of service "web", which has ports "http". Did you mean "http"?`, line: 15 },
      ],
    );
  });

  it("accepts declared ports", () => {
    expectDiagnostics(
      unknownPort,
      `
      import { defineMesh } from "meshc";
      export default defineMesh(
        { name: "m", services: { web: { ports: { http: { port: 80 } } }, api: { ports: { http: { port: 80 } } } }, external: { stripe: { host: "api.stripe.com" } } },
        (s) => ({
          calls: [{ from: s.web, to: s.api.ports.http }, { from: s.api, to: s.api.ports.http }, { from: s.api, to: s.stripe.ports.https }],
          routes: { api: { http: [{ mirror: { to: s.web.ports.http } }] } },
          ingress: [{ name: "public", routes: [{ to: s.web.ports.http }] }],
        }),
      );
      `,
      [],
    );
  });
});
