// The zod schema catches what the type checker was told to ignore (casts, `any`, JSON), and each
// problem lands on the line of the field it is about.
import { describe, expect, it } from "vitest";
import { compileSource, summarize } from "./helpers/mesh.js";

const run = (source: string) => summarize(compileSource(source, { skipTypeCheck: true }));

describe("schema validation", () => {
  it("reports unknown fields with a did-you-mean, at the field", () => {
    expect(
      run(`import { defineMesh } from "meshc";
export default defineMesh({
  name: "x",
  services: {
    web: { ports: { http: { port: 80, protocl: "http" } } },
  },
});
`),
    ).toEqual(['MESH011 5:39 services.web.ports.http: unknown field "protocl". Did you mean "protocol"?']);
  });

  it("reports a malformed duration, a missing field and a wrong type", () => {
    expect(
      run(`import { defineMesh } from "meshc";
export default defineMesh({
  name: "x",
  services: {
    web: { ports: { http: { port: 80 } }, traffic: { timeout: "5 seconds" } },
    db: { ports: { pg: { protocol: "tcp" } } },
    api: { ports: { http: { port: "80" } } },
  },
} as any);
`),
    ).toEqual([
      'MESH014 5:54 services.web.traffic.timeout: "5 seconds" is not a duration.',
      'MESH012 6:20 services.db.ports.pg: missing required field "port".',
      'MESH010 7:29 services.api.ports.http.port: expected number, got the string "80".',
    ]);
  });

  it("reports values outside an enum and malformed paths and gRPC methods in policies", () => {
    expect(
      run(`import { defineMesh } from "meshc";
export default defineMesh({ name: "x", services: { a: { ports: { http: { port: 80 } } }, b: { ports: { g: { port: 90, protocol: "grpc" } } } } },
  (s: any) => ({
    calls: [
      { from: s.a, to: s.b.ports.g, grpcMethods: ["GetCart"] },
      { from: s.b, to: s.a.ports.http, methods: ["FETCH"], paths: ["api"] },
    ],
  }),
);
`),
    ).toEqual([
      'MESH013 5:51 calls[0].grpcMethods[0]: "GetCart" is not a gRPC method; write "package.Service/Method" or "package.Service/*".',
      'MESH013 6:50 calls[1].methods[0]: "FETCH" is not one of "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE".',
      'MESH013 6:68 calls[1].paths[0]: "api" is not a path pattern; write "/exact" or "/prefix/*".',
    ]);
  });

  it("reports a reference that is not a handle", () => {
    expect(
      run(`import { defineMesh } from "meshc";
export default defineMesh({ name: "x", services: { a: { ports: { http: { port: 80 } } } } },
  (s: any) => ({ calls: [{ from: "a", to: s.a.ports.http }] }),
);
`),
    ).toEqual(['MESH015 3:28 calls[0].from: expected a service handle, anyService, or a list of service handles, such as `from: s.productpage`.']);
  });

  it("locates an exception thrown by a policy function at the throwing line", () => {
    expect(
      run(`import { defineMesh } from "meshc";
export default defineMesh({ name: "x", services: { a: { ports: { http: { port: 80 } } } } },
  (s: any) => ({
    calls: [{ from: s.a, to: s.b.ports.http }],
  }),
);
`),
    ).toEqual(["MESH006 4:34 A policy function failed: Cannot read properties of undefined (reading 'ports')"]);
  });
});
