// A mesh that exercises what the examples do not: two namespaces, per-port and per-service mTLS
// (permissive, disabled), a TCP service with versions and a fractional split, gRPC faults,
// per-call timeouts that differ for one caller, `anyService`, a mirror to another service, a
// retry budget (and a conflicting one), consistent hashing, connection pool settings, plain
// HTTP, HTTPS and TCP external hosts, an ingress whose routes meet a service's route rules, and a
// TLS ingress on a shared gateway in a namespace the mesh does not own.
import type { MeshIR } from "../../compiler/ir.js";
import { compileSource } from "../../test/helpers/mesh.js";

export const SHOP_MESH = `
import { anyService, defineMesh } from "meshc";

export default defineMesh(
  {
    name: "shop",
    namespace: "shop",
    trustDomain: "shop.example",
    defaults: { mtls: "strict", egress: "allow-any", traffic: { timeout: "5s" } },
    services: {
      web: {
        ports: { http: { port: 80, targetPort: 8080, protocol: "http" }, metrics: { port: 9090, protocol: "http", mtls: "permissive" } },
        labels: { team: "storefront" },
      },
      api: {
        namespace: "backend",
        serviceAccount: "api-sa",
        ports: { http: { port: 8080, protocol: "http" }, grpc: { port: 9000, protocol: "grpc" } },
        versions: { stable: { labels: { track: "stable" } }, canary: { labels: { track: "canary" } } },
        traffic: {
          retries: { attempts: 3, perTryTimeout: "1s", on: ["5xx"], budget: { percent: 25, minRetriesPerSecond: 5 } },
          loadBalancer: { consistentHash: { header: "x-user" } },
          connectionPool: { idleTimeout: "5m", maxRequestsPerConnection: 100 },
          circuitBreaker: { maxRetries: 4 },
        },
      },
      db: { namespace: "backend", ports: { pg: { port: 5432, protocol: "tcp" } }, versions: { a: {}, b: {} }, rateLimit: { requests: 10 } },
      legacy: { ports: { http: { port: 8000, protocol: "http" } }, mtls: "disabled" },
      shadow: { namespace: "backend", ports: { http: { port: 8080, protocol: "http" } } },
      worker: { ports: {} },
      audit: { ports: { http: { port: 7000, protocol: "http" } }, mtls: "permissive" },
    },
    external: {
      stripe: { host: "api.stripe.com" },
      weather: { host: "weather.example.com", ports: { http: { port: 80, protocol: "http" } } },
      ldap: { host: "ldap.example.com", ports: { ldap: { port: 389, protocol: "tcp" } } },
    },
  },
  (s) => ({
    ingress: [
      {
        name: "public",
        routes: [
          { paths: ["/api/*"], methods: ["GET", "POST"], to: s.api.ports.http, timeout: "3s" },
          { paths: ["/*"], to: s.web.ports.http },
        ],
      },
      {
        name: "admin",
        hosts: ["admin.shop.example"],
        tls: { secretName: "admin-shop-example-tls" },
        gateway: { namespace: "istio-ingress", serviceAccount: "istio-ingressgateway", labels: { istio: "ingressgateway" }, targetPort: 8443 },
        routes: [{ paths: ["/admin/*"], methods: ["GET"], to: s.web.ports.http }],
      },
    ],
    calls: [
      { from: s.web, to: s.api.ports.http, methods: ["GET"], paths: ["/v1/*"], timeout: "2s" },
      { from: s.web, to: s.api.ports.http, methods: ["POST"], paths: ["/v1/orders"], timeout: "10s", retries: { attempts: 0 } },
      { from: s.worker, to: s.api.ports.grpc, grpcMethods: ["shop.Api/*"], retries: { attempts: 2, budget: { percent: 50 } } },
      { from: anyService, to: s.web.ports.metrics, methods: ["GET"], paths: ["/metrics"] },
      { from: s.api, to: s.db.ports.pg, timeout: "1s" },
      { from: s.web, to: s.legacy.ports.http },
      { from: s.api, to: s.stripe.ports.https },
      { from: s.worker, to: s.weather.ports.http, timeout: "1s", retries: { attempts: 1 } },
      { from: s.api, to: s.weather.ports.http, methods: ["GET"] },
      { from: s.worker, to: s.ldap.ports.ldap },
      { from: [s.web, s.worker], to: s.audit.ports.http, methods: ["POST"] },
    ],
    routes: {
      api: {
        http: [
          { match: { headers: { "x-canary": { exact: "1" } }, paths: ["/v1/*"] }, to: "canary", timeout: "4s" },
          {
            match: { methods: ["POST"] },
            to: [
              { version: "stable", weight: 90 },
              { version: "canary", weight: 10 },
            ],
            fault: { abort: { httpStatus: 503, percent: 1 } },
          },
          { to: "stable", mirror: { to: s.shadow.ports.http, percent: 5 } },
        ],
        grpc: [{ to: "stable", fault: { abort: { grpcStatus: "UNAVAILABLE", percent: 2 } } }],
      },
      db: {
        pg: [
          {
            to: [
              { version: "a", weight: 33.3 },
              { version: "b", weight: 66.7 },
            ],
          },
        ],
      },
    },
  }),
);
`;

/** The shop mesh's IR (type-checked, like a user's mesh). */
export function compileShop(): MeshIR {
  const result = compileSource(SHOP_MESH);
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  if (!result.ir || errors.length > 0) throw new Error(`the shop fixture does not compile: ${errors.map((d) => d.message).join("; ")}`);
  return result.ir;
}
