import { describe, it } from "vitest";
import { expectDiagnostics } from "./harness.js";
import { unreachableService } from "./unreachable-service.js";

describe("UnreachableService", () => {
  it("flags a service that nothing calls and no ingress routes to", () => {
    expectDiagnostics(
      unreachableService,
      `
      import { defineMesh } from "meshc";
      export default defineMesh(
        { name: "m", services: {
          web: { ports: { http: { port: 80 } } },
          orphan: { ports: { http: { port: 80 } } },
        } },
        (s) => ({
          ingress: [{ name: "public", routes: [{ to: s.web.ports.http }] }],
          calls: [{ from: s.orphan, to: s.orphan.ports.http }],
        }),
      );
      `,
      [{ code: "MESH110", severity: "warning", message: 'Service "orphan" is unreachable: no service may call it and no ingress routes to it.', line: 5 }],
    );
  });

  it("accepts callers, ingress routes, mirrors, wildcard callers and port-less clients", () => {
    expectDiagnostics(
      unreachableService,
      `
      import { defineMesh, anyService } from "meshc";
      export default defineMesh(
        { name: "m", services: {
          web: { ports: { http: { port: 80 } } },
          api: { ports: { http: { port: 80 } } },
          shadow: { ports: { http: { port: 80 } } },
          open: { ports: { http: { port: 80 } } },
          loadgen: { ports: {} },
        } },
        (s) => ({
          ingress: [{ name: "public", routes: [{ to: s.web.ports.http }] }],
          calls: [{ from: s.web, to: s.api.ports.http }, { from: anyService, to: s.open.ports.http, methods: ["GET"] }],
          routes: { api: { http: [{ mirror: { to: s.shadow.ports.http } }] } },
        }),
      );
      `,
      [],
    );
  });
});
