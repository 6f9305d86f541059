import { describe, it } from "vitest";
import { expectDiagnostics } from "./harness.js";
import { protocolMismatch } from "./protocol-mismatch.js";

describe("ProtocolMismatch", () => {
  it("flags HTTP rules on TCP and gRPC ports, gRPC methods on HTTP/1, and HTTP routing to TCP", () => {
    expectDiagnostics(
      protocolMismatch,
      `
      import { defineMesh } from "meshc";
      export default defineMesh(
        { name: "m", services: {
          web: { ports: { http: { port: 80, protocol: "http" } } },
          cart: { ports: { grpc: { port: 7070, protocol: "grpc" } } },
          redis: { ports: { redis: { port: 6379, protocol: "tcp" } } },
        } },
        (s) => ({
          calls: [
            { from: [s.web, s.cart], to: s.redis.ports.redis, methods: ["GET"] },
            { from: s.web, to: s.cart.ports.grpc, paths: ["/cart/*"] },
            { from: s.cart, to: s.web.ports.http, grpcMethods: ["shop.Web/Get"] },
          ],
          routes: { redis: { redis: [{ match: { headers: { "x-user": { exact: "a" } } } }, {}] } },
          ingress: [{ name: "public", routes: [{ to: s.redis.ports.redis }] }],
        }),
      );
      `,
      [
        {
          code: "MESH111",
          severity: "error",
          message: 'The call uses HTTP methods on port "redis" of "redis", whose protocol is tcp: the proxy sees only connections there, not requests, so it cannot enforce them.',
          line: 10,
        },
        {
          code: "MESH111",
          severity: "error",
          message:
            'The call uses HTTP paths on port "grpc" of "cart", whose protocol is grpc: every gRPC request is a POST to /package.Service/Method, so restrict gRPC methods with `grpcMethods` instead.',
          line: 11,
        },
        {
          code: "MESH111",
          severity: "error",
          message: "The call uses gRPC methods on port \"http\" of \"web\", whose protocol is http: gRPC needs HTTP/2; declare the port's protocol as grpc.",
          line: 12,
        },
        {
          code: "MESH111",
          severity: "error",
          message: 'Rule 1 of the route "redis:redis" uses request matches on port "redis" of "redis", whose protocol is tcp: a TCP port carries connections, not requests.',
          line: 14,
        },
        {
          code: "MESH111",
          severity: "error",
          message: 'Ingress "public" uses HTTP routing on port "redis" of "redis", whose protocol is tcp: the gateway forwards HTTP requests, which a TCP port does not serve.',
          line: 15,
        },
      ],
    );
  });

  it("accepts rules that match their ports, including gRPC methods on HTTP/2 and a plain TCP allow", () => {
    expectDiagnostics(
      protocolMismatch,
      `
      import { defineMesh } from "meshc";
      export default defineMesh(
        { name: "m", services: {
          web: { ports: { http: { port: 80, protocol: "http" }, h2: { port: 81, protocol: "http2" } } },
          cart: { ports: { grpc: { port: 7070, protocol: "grpc" } } },
          redis: { ports: { redis: { port: 6379, protocol: "tcp" } } },
        } },
        (s) => ({
          calls: [
            { from: s.cart, to: s.redis.ports.redis },
            { from: s.web, to: s.cart.ports.grpc, grpcMethods: ["shop.Cart/*"] },
            { from: s.cart, to: s.web.ports.http, methods: ["GET"], paths: ["/api/*"] },
            { from: s.cart, to: s.web.ports.h2, grpcMethods: ["shop.Web/Get"] },
          ],
          routes: { redis: { redis: [{}] } },
          ingress: [{ name: "public", routes: [{ paths: ["/*"], to: s.web.ports.http }] }],
        }),
      );
      `,
      [],
    );
  });
});
