import { describe, it } from "vitest";
import { egressOpen } from "./egress-open.js";
import { expectDiagnostics } from "./harness.js";

describe("EgressOpen", () => {
  it("flags egress left open", () => {
    expectDiagnostics(
      egressOpen,
      `
      import { defineMesh } from "meshc";
      export default defineMesh({
        name: "m",
        defaults: { egress: "allow-any" },
        services: { api: { ports: { http: { port: 80 } } } },
        external: { stripe: { host: "api.stripe.com" } },
      });
      `,
      [
        {
          code: "MESH118",
          severity: "warning",
          message: `Egress is "allow-any": every workload can reach any host outside the mesh, not only the 1 declared external host.`,
          line: 4,
        },
      ],
    );
  });

  it("accepts registry-only egress, the default", () => {
    expectDiagnostics(
      egressOpen,
      `
      import { defineMesh } from "meshc";
      export default defineMesh({ name: "m", services: { api: { ports: { http: { port: 80 } } } } });
      `,
      [],
    );
  });
});
