/**
 * A mesh the examples do not cover, for the Kubernetes target's tests: services in two
 * namespaces, a gateway in a namespace of its own, a caller-any service, an external host, and a
 * route mirroring to another service.
 */
export function shopMesh(egress: "registry-only" | "allow-any"): string {
  return `
import { anyService, defineMesh } from "meshc";

export default defineMesh(
  {
    name: "shop",
    namespace: "shop",
    defaults: { egress: "${egress}" },
    services: {
      web: { ports: { http: { port: 80, targetPort: 8080, protocol: "http" } }, workload: { image: "ghcr.io/acme/web:1" } },
      orders: {
        ports: { grpc: { port: 5000, targetPort: 9000, protocol: "grpc" }, admin: { port: 9901, protocol: "http" } },
        versions: { v1: {}, v2: {} },
        workload: { image: "ghcr.io/acme/orders:1" },
      },
      "orders-shadow": { ports: { grpc: { port: 5000, targetPort: 9000, protocol: "grpc" } }, workload: { image: "ghcr.io/acme/orders:2" } },
      payments: { namespace: "payments", ports: { grpc: { port: 7000, protocol: "grpc" } }, workload: { image: "ghcr.io/acme/payments:1" } },
      auth: { namespace: "payments", ports: { grpc: { port: 7100, protocol: "grpc" } }, workload: { image: "ghcr.io/acme/auth:1" } },
      cache: { ports: { redis: { port: 6379, protocol: "tcp" } }, workload: { image: "redis:alpine" } },
    },
    external: { stripe: { host: "api.stripe.com" } },
  },
  (s) => ({
    ingress: [
      {
        name: "public",
        tls: { secretName: "shop-tls" },
        gateway: { namespace: "edge", serviceAccount: "edge-gateway" },
        routes: [{ paths: ["/*"], to: s.web.ports.http }],
      },
    ],
    calls: [
      { from: s.web, to: s.orders.ports.grpc },
      { from: s.orders, to: s.payments.ports.grpc },
      { from: s.payments, to: s.stripe.ports.https },
      { from: anyService, to: s.auth.ports.grpc },
      { from: [s.web, s.orders], to: s.cache.ports.redis },
    ],
    routes: { orders: { grpc: [{ to: "v1", mirror: { to: s["orders-shadow"].ports.grpc, percent: 10 } }] } },
  }),
);
`;
}
