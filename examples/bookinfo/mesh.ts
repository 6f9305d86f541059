// Istio's Bookinfo sample (https://istio.io/latest/docs/examples/bookinfo/): four services, three
// versions of reviews; v2 and v3 call ratings. The traffic rules are the ones Istio's task pages
// walk through: requests from the user "jason" see reviews v2, everyone else a v1/v3 split.
import { defineMesh } from "meshc";

const image = (name: string) => `docker.io/istio/examples-bookinfo-${name}:1.20.2`;

export default defineMesh(
  {
    name: "bookinfo",
    namespace: "bookinfo",
    trustDomain: "cluster.local",
    defaults: {
      mtls: "strict",
      egress: "registry-only",
      traffic: { timeout: "15s" },
    },
    services: {
      productpage: {
        serviceAccount: "bookinfo-productpage",
        ports: { http: { port: 9080, protocol: "http" } },
        versions: { v1: {} },
        workload: { image: image("productpage-v1") },
      },
      details: {
        serviceAccount: "bookinfo-details",
        ports: { http: { port: 9080, protocol: "http" } },
        versions: { v1: {} },
        workload: { image: image("details-v1") },
      },
      reviews: {
        serviceAccount: "bookinfo-reviews",
        ports: { http: { port: 9080, protocol: "http" } },
        versions: {
          v1: { workload: { image: image("reviews-v1") } },
          v2: { workload: { image: image("reviews-v2") } },
          v3: { workload: { image: image("reviews-v3") } },
        },
        workload: { env: { LOG_DIR: "/tmp/logs" } },
        traffic: {
          outlierDetection: { consecutiveErrors: 5, interval: "10s", baseEjectionTime: "30s" },
          circuitBreaker: { maxConnections: 100, maxPendingRequests: 10 },
        },
      },
      ratings: {
        serviceAccount: "bookinfo-ratings",
        ports: { http: { port: 9080, protocol: "http" } },
        versions: { v1: {} },
        workload: { image: image("ratings-v1") },
        rateLimit: { requests: 100, per: "second", burst: 20 },
      },
    },
  },
  (s) => ({
    ingress: [
      {
        name: "public",
        port: 80,
        hosts: ["*"],
        routes: [
          { paths: ["/productpage", "/static/*", "/login", "/logout", "/api/v1/products/*"], to: s.productpage.ports.http },
        ],
      },
    ],
    calls: [
      {
        from: s.productpage,
        to: s.details.ports.http,
        methods: ["GET"],
        timeout: "2s",
        retries: { attempts: 2, perTryTimeout: "500ms", on: ["5xx", "reset"] },
      },
      { from: s.productpage, to: s.reviews.ports.http, methods: ["GET"], timeout: "3s" },
      { from: s.reviews, to: s.ratings.ports.http, methods: ["GET"], timeout: "1s" },
    ],
    routes: {
      reviews: {
        http: [
          { match: { headers: { "end-user": { exact: "jason" } } }, to: "v2" },
          {
            to: [
              { version: "v1", weight: 50 },
              { version: "v3", weight: 50 },
            ],
            mirror: { version: "v2", percent: 10 } },
        ],
      },
      ratings: {
        http: [
          {
            match: { headers: { "end-user": { exact: "jason" } } },
            fault: { delay: { fixed: "7s", percent: 100 } },
          },
          { to: "v1" },
        ],
      },
    },
  }),
);
