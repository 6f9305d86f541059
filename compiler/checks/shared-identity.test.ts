import { describe, it } from "vitest";
import { expectDiagnostics } from "./harness.js";
import { sharedIdentity } from "./shared-identity.js";

describe("SharedIdentity", () => {
  it("flags services that run as one service account, pointing at each", () => {
    expectDiagnostics(
      sharedIdentity,
      `
      import { defineMesh } from "meshc";
      export default defineMesh({ name: "m", services: {
        cart: { serviceAccount: "shop", ports: { http: { port: 80 } } },
        orders: { serviceAccount: "shop", ports: { http: { port: 80 } } },
        pay: { serviceAccount: "shop", ports: { http: { port: 80 } } },
        web: { serviceAccount: "web", ports: { http: { port: 80 } } },
      } });
      `,
      [
        {
          code: "MESH117",
          severity: "warning",
          message: `Services "cart", "orders", "pay" share the service account "shop" (spiffe://cluster.local/ns/default/sa/shop): authorization cannot tell them apart, so each may make the others' calls.`,
          line: 4,
          related: [3, 5],
        },
      ],
    );
  });

  it("accepts one identity per service, and equal account names in different namespaces", () => {
    expectDiagnostics(
      sharedIdentity,
      `
      import { defineMesh } from "meshc";
      export default defineMesh({ name: "m", services: {
        cart: { ports: { http: { port: 80 } } },
        orders: { serviceAccount: "shop", ports: { http: { port: 80 } } },
        pay: { namespace: "payments", serviceAccount: "shop", ports: { http: { port: 80 } } },
      } });
      `,
      [],
    );
  });
});
