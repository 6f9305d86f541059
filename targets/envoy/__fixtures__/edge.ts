/**
 * A mesh that says what the examples do not: external hosts of every protocol, a TCP port,
 * permissive mTLS, a caller-any call, several calls on one edge with different policies,
 * consistent hashing, connection pools, retry budgets, a gRPC abort, a mirror to another service,
 * a route without a catch-all, and a TLS ingress with host names in a namespace of its own.
 */
export const edgeMesh = `
import { anyService, defineMesh } from "meshc";

export default defineMesh(
  {
    name: "edge",
    namespace: "shop",
    defaults: { egress: "registry-only", traffic: { timeout: "5s" } },
    services: {
      web: {
        ports: { http: { port: 80, targetPort: 8080, protocol: "http" }, metrics: { port: 9090, protocol: "http", mtls: "permissive" } },
        rateLimit: { requests: 10, per: "minute" },
        workload: { image: "example/web:1" },
      },
      orders: {
        ports: { grpc: { port: 5000, targetPort: 9000, protocol: "grpc" } },
        versions: { v1: {}, v2: {} },
        workload: { image: "example/orders:1" },
        traffic: {
          loadBalancer: { consistentHash: { header: "x-user" } },
          connectionPool: { connectTimeout: "250ms", idleTimeout: "5m", maxRequestsPerConnection: 100 },
          circuitBreaker: { maxRequests: 50, maxRetries: 5 },
        },
      },
      shadow: { ports: { grpc: { port: 5000, protocol: "grpc" } }, workload: { image: "example/orders:2" } },
      auth: { namespace: "payments", ports: { grpc: { port: 7100, protocol: "grpc" } }, workload: { image: "example/auth:1" } },
      cache: { ports: { redis: { port: 6379, protocol: "tcp" } }, traffic: { connectionPool: { idleTimeout: "1h" } }, workload: { image: "redis:7" } },
      api: { ports: { http: { port: 8080, protocol: "http2" } }, traffic: { loadBalancer: "least-request" }, workload: { image: "example/api:1" } },
    },
    external: {
      stripe: { host: "api.stripe.com" },
      legacy: {
        host: "legacy.example.com",
        ports: {
          web: { port: 80, protocol: "http" },
          secure: { port: 8443, protocol: "tls" },
          db: { port: 5432, protocol: "tcp" },
          rpc: { port: 9000, protocol: "grpc" },
        },
      },
    },
  },
  (s) => ({
    ingress: [
      {
        name: "public",
        tls: { secretName: "shop-tls" },
        hosts: ["shop.example.com"],
        gateway: { namespace: "edge", serviceAccount: "edge-gateway" },
        routes: [
          { paths: ["/api/*"], methods: ["GET", "POST"], to: s.api.ports.http, timeout: "3s" },
          { paths: ["/*"], to: s.web.ports.http },
        ],
      },
    ],
    calls: [
      { from: s.web, to: s.orders.ports.grpc, grpcMethods: ["shop.Orders/Get"], timeout: "1s" },
      { from: s.web, to: s.orders.ports.grpc, grpcMethods: ["shop.Orders/*"], timeout: "10s", retries: { attempts: 3, on: ["unavailable"], budget: { percent: 25 } } },
      { from: s.orders, to: s.stripe.ports.https, timeout: "2s" },
      { from: s.orders, to: s.legacy.ports.web, methods: ["GET"] },
      { from: s.orders, to: s.legacy.ports.secure },
      { from: s.orders, to: s.legacy.ports.db },
      { from: s.orders, to: s.legacy.ports.rpc },
      { from: anyService, to: s.auth.ports.grpc },
      { from: [s.web, s.orders], to: s.cache.ports.redis },
      { from: s.api, to: s.cache.ports.redis, methods: ["GET"] },
      { from: s.web, to: s.api.ports.http, paths: ["/v1/*"] },
      { from: s.web, to: s.web.ports.metrics },
    ],
    routes: {
      orders: {
        grpc: [
          { match: { headers: { "x-canary": { exact: "1" } } }, to: "v2", fault: { abort: { grpcStatus: "UNAVAILABLE", percent: 0.5 } } },
          {
            to: [{ version: "v1", weight: 90 }, { version: "v2", weight: 10 }],
            mirror: { to: s.shadow.ports.grpc, percent: 5 },
            retries: { attempts: 1, on: ["cancelled"], budget: { percent: 10 } },
          },
        ],
      },
      api: { http: [{ match: { paths: ["/v1/*"], methods: ["GET"] }, timeout: "500ms" }] },
    },
  }),
);
`;
