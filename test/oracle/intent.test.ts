// The intent oracle, rule by rule (see the semantics at the top of intent.ts), on the examples and
// on small meshes written for one rule each; then properties over generated meshes; then the
// comparison: a faithful evaluator agrees, deliberately wrong ones are caught, and a MESH2xx
// excuses a mismatch only where the target reported it.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { compileMesh } from "../../compiler/compile.js";
import type { Diagnostic } from "../../compiler/diagnostics.js";
import type { MeshIR, ServiceId } from "../../compiler/ir.js";
import { dedent } from "../../compiler/checks/harness.js";
import { compileSource, example } from "../helpers/mesh.js";
import { meshArbitrary, renderMesh } from "./arbitrary.js";
import { compareWithOracle, concreteRequest, oracleEvaluator, type TargetEvaluator } from "./evaluator.js";
import { decide, decideConnection, indexMesh, type Decision, type Probe, type ProbeCaller } from "./intent.js";
import { enumerateProbes, probeCallers, unknownIdentity, UNDECLARED_PATH } from "./probes.js";

const SEED = 424_242;
const RUNS = Number(process.env.MESHC_ORACLE_RUNS ?? 60);

/** Compiles a mesh written for a test (no type-check: fast) and insists it has no errors. */
function irOf(source: string): MeshIR {
  const result = compileSource(dedent(source), { skipTypeCheck: true });
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  expect(errors.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  return result.ir!;
}

const svc = (service: ServiceId): ProbeCaller => ({ kind: "service", service });
const ask = (ir: MeshIR, probe: Omit<Probe, "protocol"> & { protocol?: Probe["protocol"] }): Decision => {
  const port = ir.services.find((s) => s.id === probe.callee)?.ports.find((p) => p.name === probe.port);
  return decide(indexMesh(ir), { protocol: port?.protocol ?? "http", ...probe });
};
const allowed = (ir: MeshIR, probe: Parameters<typeof ask>[1]) => ask(ir, probe).allowed;

describe("the oracle on bookinfo", () => {
  let ir: MeshIR;
  beforeAll(() => {
    ir = compileMesh(example("bookinfo"), { skipTypeCheck: true }).ir!;
  });
  const get = (caller: ProbeCaller, callee: string, path = "/", method: Probe["method"] = "GET") => allowed(ir, { caller, callee: `bookinfo/${callee}`, port: "http", method, path });

  it("ratings admits reviews, with GET only", () => {
    expect(get(svc("bookinfo/reviews"), "ratings")).toBe(true);
    expect(get(svc("bookinfo/reviews"), "ratings", "/ratings/0")).toBe(true);
    expect(get(svc("bookinfo/reviews"), "ratings", "/", "POST")).toBe(false);
    expect(get(svc("bookinfo/reviews"), "ratings", "/", "HEAD")).toBe(false);
    for (const other of ["productpage", "details", "ratings"]) expect(get(svc(`bookinfo/${other}`), "ratings")).toBe(false);
  });

  it("details and reviews admit productpage with GET only, and nobody else", () => {
    for (const callee of ["details", "reviews"]) {
      expect(get(svc("bookinfo/productpage"), callee)).toBe(true);
      expect(get(svc("bookinfo/productpage"), callee, "/", "DELETE")).toBe(false);
      for (const other of ["details", "reviews", "ratings"]) expect(get(svc(`bookinfo/${other}`), callee)).toBe(false);
    }
    expect(get(svc("bookinfo/productpage"), "productpage")).toBe(false);
  });

  it("the ingress gateway reaches productpage on the routed paths only, with any method", () => {
    const gw: ProbeCaller = { kind: "ingress", ingress: "public" };
    expect(get(gw, "productpage", "/productpage")).toBe(true);
    expect(get(gw, "productpage", "/login", "POST")).toBe(true);
    expect(get(gw, "productpage", "/static/css/app.css")).toBe(true);
    expect(get(gw, "productpage", "/api/v1/products/0/reviews")).toBe(true);
    // Exact paths are exact; "/static/*" is the string prefix "/static/".
    expect(get(gw, "productpage", "/productpage/x")).toBe(false);
    expect(get(gw, "productpage", "/static")).toBe(false);
    expect(get(gw, "productpage", "/admin")).toBe(false);
    expect(get(gw, "details")).toBe(false);
    expect(get(gw, "reviews")).toBe(false);
  });

  it("refuses undeclared workloads and, mTLS being strict, plaintext", () => {
    const stranger: ProbeCaller = { kind: "identity", spiffeId: unknownIdentity(ir) };
    for (const callee of ["productpage", "details", "reviews", "ratings"]) {
      expect(get(stranger, callee)).toBe(false);
      expect(get({ kind: "plaintext" }, callee, "/productpage")).toBe(false);
    }
    expect(ask(ir, { caller: { kind: "plaintext" }, callee: "bookinfo/ratings", port: "http", method: "GET", path: "/" }).reason).toMatch(/strict/);
  });

  it("routes jason to reviews v2 and everyone else to the v1/v3 split, mirrored to v2", () => {
    const probe = { caller: svc("bookinfo/productpage"), callee: "bookinfo/reviews", port: "http", method: "GET" as const, path: "/reviews/0" };
    const jason = ask(ir, { ...probe, headers: { "end-user": "jason" } }).route!;
    expect(jason).toMatchObject({ route: "bookinfo/reviews:http", rule: 0, destinations: [{ version: "v2", weight: 100 }], timeoutMs: 3000, timeoutFrom: "call" });
    const others = ask(ir, { ...probe, headers: { "end-user": "ana" } }).route!;
    expect(others).toMatchObject({
      rule: 1,
      destinations: [
        { version: "v1", weight: 50 },
        { version: "v3", weight: 50 },
      ],
      mirror: { kind: "version", version: "v2", percent: 10 },
    });
    expect(ask(ir, probe).route!.rule).toBe(1);
  });

  it("delays jason's ratings requests by 7s on every version, and gives each caller its call's timeout and retries", () => {
    const ratings = ask(ir, { caller: svc("bookinfo/reviews"), callee: "bookinfo/ratings", port: "http", method: "GET", path: "/", headers: { "end-user": "jason" } }).route!;
    expect(ratings).toMatchObject({ rule: 0, destinations: "all", fault: { delay: { fixedMs: 7000, percent: 100 } }, timeoutMs: 1000 });
    const details = ask(ir, { caller: svc("bookinfo/productpage"), callee: "bookinfo/details", port: "http", method: "GET", path: "/" }).route!;
    expect(details).toEqual({ destinations: "all", timeoutMs: 2000, timeoutFrom: "call", retries: { attempts: 2, perTryTimeoutMs: 500, on: ["5xx", "reset"] }, retriesFrom: "call" });
    // The gateway's route has no timeout of its own: productpage's, i.e. the mesh default.
    const gw = ask(ir, { caller: { kind: "ingress", ingress: "public" }, callee: "bookinfo/productpage", port: "http", method: "GET", path: "/productpage" }).route!;
    expect(gw).toMatchObject({ destinations: "all", timeoutMs: 15_000, timeoutFrom: "ingress" });
  });

  it("probes the edges of every declared rule", () => {
    const probes = enumerateProbes(ir);
    const paths = new Set(probes.filter((p) => p.callee === "bookinfo/productpage").map((p) => p.path));
    for (const p of ["/productpage", "/productpage/", "/productpagex", "/static/", "/static/meshc-probe", "/static", "/api/v1/products/", UNDECLARED_PATH]) expect(paths).toContain(p);
    const ratings = probes.filter((p) => p.callee === "bookinfo/ratings");
    expect(new Set(ratings.map((p) => p.method))).toEqual(new Set(["GET", "POST"]));
    expect(ratings.some((p) => p.headers?.["end-user"] === "jason")).toBe(true);
    expect(ratings.some((p) => p.headers?.["end-user"] !== undefined && p.headers["end-user"] !== "jason")).toBe(true);
    const callers = new Set(probes.map((p) => JSON.stringify(p.caller)));
    expect(callers.size).toBe(ir.services.length + ir.ingresses.length + 2);
  });
});

describe("the oracle on online-boutique (gRPC)", () => {
  it("admits exactly the declared gRPC methods", () => {
    const ir = compileMesh(example("online-boutique"), { skipTypeCheck: true }).ir!;
    const index = indexMesh(ir);
    const grpcCalls = ir.calls.filter((c) => c.grpcMethods && c.to.kind === "service" && c.from.kind === "service");
    expect(grpcCalls.length).toBeGreaterThan(0);
    for (const c of grpcCalls) {
      if (c.to.kind !== "service" || c.from.kind !== "service") continue;
      const base = { caller: svc(c.from.service), callee: c.to.service, port: c.to.port, protocol: "grpc" as const };
      for (const m of c.grpcMethods!) expect(decide(index, { ...base, grpcMethod: `${m.service}/${m.method ?? "Anything"}` }).allowed).toBe(true);
      expect(decide(index, { ...base, grpcMethod: `${c.grpcMethods![0]!.service}/MeshcUndeclared` }).allowed).toBe(c.grpcMethods!.some((m) => m.method === undefined));
      expect(decide(index, { ...base, grpcMethod: "other.Service/Get" }).allowed).toBe(false);
    }
  });
});

describe("the oracle, rule by rule", () => {
  it("ANDs methods, paths and gRPC methods of one call, and ORs separate calls", () => {
    const ir = irOf(`
      import { defineMesh } from "meshc";
      export default defineMesh({ name: "m", services: {
        a: { ports: { http: { port: 80 } } },
        b: { ports: { http: { port: 80 } } },
      } }, (s) => ({ calls: [
        { from: s.a, to: s.b.ports.http, methods: ["GET"], paths: ["/api/*"] },
        { from: s.a, to: s.b.ports.http, methods: ["POST"], paths: ["/submit"] },
      ] }));
    `);
    const p = (method: Probe["method"], path: string) => allowed(ir, { caller: svc("default/a"), callee: "default/b", port: "http", method, path });
    expect(p("GET", "/api/x")).toBe(true);
    expect(p("POST", "/submit")).toBe(true);
    expect(p("POST", "/api/x")).toBe(false);
    expect(p("GET", "/submit")).toBe(false);
    expect(p("GET", "/api")).toBe(false);
  });

  it("treats a path ending in * as a plain string prefix", () => {
    const ir = irOf(`
      import { defineMesh } from "meshc";
      export default defineMesh({ name: "m", services: { a: { ports: { http: { port: 80 } } }, b: { ports: { http: { port: 80 } } } } },
        (s) => ({ calls: [{ from: s.a, to: s.b.ports.http, paths: ["/api*", "/exact"] }] }));
    `);
    const p = (path: string) => allowed(ir, { caller: svc("default/a"), callee: "default/b", port: "http", method: "GET", path });
    expect([p("/api"), p("/apis"), p("/api/v1"), p("/exact"), p("/exact/"), p("/exactly"), p("/ap")]).toEqual([true, true, true, true, false, false, false]);
  });

  it("reads a gRPC method as its request path, on gRPC and HTTP/2 ports", () => {
    const ir = irOf(`
      import { defineMesh } from "meshc";
      export default defineMesh({ name: "m", services: {
        a: { ports: { http: { port: 80 } } },
        b: { ports: { grpc: { port: 90, protocol: "grpc" }, h2: { port: 91, protocol: "http2" } } },
      } }, (s) => ({ calls: [
        { from: s.a, to: s.b.ports.grpc, grpcMethods: ["shop.Cart/Get", "shop.v1.Orders/*"] },
        { from: s.a, to: s.b.ports.h2, grpcMethods: ["shop.Cart/Get"], methods: ["POST"] },
      ] }));
    `);
    const g = (port: string, grpcMethod: string) => allowed(ir, { caller: svc("default/a"), callee: "default/b", port, grpcMethod });
    expect([g("grpc", "shop.Cart/Get"), g("grpc", "shop.Cart/Add"), g("grpc", "shop.v1.Orders/List"), g("grpc", "shop.v1.OrdersX/List")]).toEqual([true, false, true, false]);
    expect([g("h2", "shop.Cart/Get"), g("h2", "shop.Cart/Add")]).toEqual([true, false]);
    // On the HTTP/2 port the same request written as HTTP: the path is what counts.
    expect(allowed(ir, { caller: svc("default/a"), callee: "default/b", port: "h2", method: "POST", path: "/shop.Cart/Get" })).toBe(true);
    expect(allowed(ir, { caller: svc("default/a"), callee: "default/b", port: "h2", method: "GET", path: "/shop.Cart/Get" })).toBe(false);
  });

  it("lets anyService admit every identity (gateways and undeclared workloads too), never plaintext", () => {
    const ir = irOf(`
      import { anyService, defineMesh } from "meshc";
      export default defineMesh({ name: "m", services: { a: { ports: { http: { port: 80 } } }, b: { ports: { http: { port: 80 } } } } },
        (s) => ({ calls: [{ from: anyService, to: s.b.ports.http, methods: ["GET"] }], ingress: [{ name: "public", routes: [{ to: s.a.ports.http }] }] }));
    `);
    const p = (caller: ProbeCaller, method: Probe["method"] = "GET") => allowed(ir, { caller, callee: "default/b", port: "http", method, path: "/" });
    expect(p(svc("default/a"))).toBe(true);
    expect(p(svc("default/b"))).toBe(true);
    expect(p({ kind: "ingress", ingress: "public" })).toBe(true);
    expect(p({ kind: "identity", spiffeId: "spiffe://cluster.local/ns/elsewhere/sa/someone" })).toBe(true);
    expect(p(svc("default/a"), "POST")).toBe(false);
    expect(p({ kind: "plaintext" })).toBe(false);
  });

  it("decides by identity: a service sharing a caller's service account is admitted, and says so", () => {
    const ir = irOf(`
      import { defineMesh } from "meshc";
      export default defineMesh({ name: "m", services: {
        a: { serviceAccount: "shared", ports: { http: { port: 80 } } },
        b: { serviceAccount: "shared", ports: { http: { port: 80 } } },
        c: { ports: { http: { port: 80 } } },
      } }, (s) => ({ calls: [{ from: s.a, to: s.c.ports.http }] }));
    `);
    const a = ask(ir, { caller: svc("default/a"), callee: "default/c", port: "http", method: "GET", path: "/" });
    const b = ask(ir, { caller: svc("default/b"), callee: "default/c", port: "http", method: "GET", path: "/" });
    expect([a.allowed, a.viaSharedIdentity, b.allowed, b.viaSharedIdentity]).toEqual([true, false, true, true]);
    expect(b.reason).toMatch(/shared/);
    expect(decideConnection(indexMesh(ir), svc("default/b"), "default/c", "http").viaSharedIdentity).toBe(true);
  });

  it("admits plaintext only on permissive and disabled ports, and keeps identity grants in every mode", () => {
    const ir = irOf(`
      import { defineMesh } from "meshc";
      export default defineMesh({ name: "m", services: {
        a: { ports: { http: { port: 80 } } },
        u: { ports: { http: { port: 80 } } },
        b: { mtls: "permissive", ports: { http: { port: 80 }, metrics: { port: 9090, mtls: "disabled" }, secure: { port: 443, mtls: "strict" } } },
      } }, (s) => ({ calls: [
        { from: s.a, to: s.b.ports.http, methods: ["GET"] },
        { from: s.a, to: s.b.ports.metrics },
        { from: s.a, to: s.b.ports.secure },
        { from: s.u, to: s.a.ports.http },
      ] }));
    `);
    const p = (caller: ProbeCaller, port: string, method: Probe["method"] = "GET") => allowed(ir, { caller, callee: "default/b", port, method, path: "/metrics" });
    const plain: ProbeCaller = { kind: "plaintext" };
    expect([p(plain, "http"), p(plain, "http", "DELETE"), p(plain, "metrics"), p(plain, "secure")]).toEqual([true, true, true, false]);
    expect([p(svc("default/a"), "http"), p(svc("default/a"), "http", "DELETE"), p(svc("default/a"), "metrics"), p(svc("default/a"), "secure")]).toEqual([true, false, true, true]);
    // An undeclared service is refused in every mode: the intent; a target that cannot enforce it on a disabled port says so with a MESH2xx.
    expect([p(svc("default/u"), "http"), p(svc("default/u"), "metrics"), p(svc("default/u"), "secure")]).toEqual([false, false, false]);
  });

  it("admits a mirror's callers on the mirror's port, with what they may send to the mirrored port", () => {
    const ir = irOf(`
      import { defineMesh } from "meshc";
      export default defineMesh({ name: "m", services: {
        a: { ports: { http: { port: 80 } } },
        b: { ports: { http: { port: 80 } } },
        shadow: { ports: { http: { port: 80 } } },
      } }, (s) => ({
        calls: [{ from: s.a, to: s.b.ports.http, methods: ["GET"] }],
        routes: { b: { http: [{ mirror: { to: s.shadow.ports.http, percent: 5 } }] } },
        ingress: [{ name: "public", routes: [{ paths: ["/pub/*"], to: s.b.ports.http }] }],
      }));
    `);
    const p = (caller: ProbeCaller, method: Probe["method"], path = "/") => ask(ir, { caller, callee: "default/shadow", port: "http", method, path });
    expect(p(svc("default/a"), "GET").allowed).toBe(true);
    expect(p(svc("default/a"), "GET").reason).toMatch(/mirror/);
    expect(p(svc("default/a"), "POST").allowed).toBe(false);
    expect(p({ kind: "ingress", ingress: "public" }, "GET", "/pub/x").allowed).toBe(true);
    expect(p({ kind: "ingress", ingress: "public" }, "GET", "/private").allowed).toBe(false);
    expect(p(svc("default/b"), "GET").allowed).toBe(false);
    // The mirrored copy goes out with the route's rule; the caller's own request to b shows it.
    expect(ask(ir, { caller: svc("default/a"), callee: "default/b", port: "http", method: "GET", path: "/" }).route?.mirror).toEqual({ kind: "service", service: "default/shadow", port: "http", percent: 5 });
  });

  it("grants every ingress route whatever its order, to the gateway of that entry point only", () => {
    const ir = irOf(`
      import { defineMesh } from "meshc";
      export default defineMesh({ name: "m", services: { a: { ports: { http: { port: 80 } } }, b: { ports: { http: { port: 80 } } } } },
        (s) => ({ ingress: [
          { name: "public", routes: [{ paths: ["/api/*"], to: s.a.ports.http }, { paths: ["/api/admin"], methods: ["GET"], to: s.b.ports.http }] },
          { name: "internal", gateway: { serviceAccount: "internal-gw" }, routes: [{ to: s.a.ports.http }] },
        ] }));
    `);
    const p = (ingress: string, callee: string, method: Probe["method"], path: string) => allowed(ir, { caller: { kind: "ingress", ingress }, callee, port: "http", method, path });
    expect(p("public", "default/b", "GET", "/api/admin")).toBe(true);
    expect(p("public", "default/b", "POST", "/api/admin")).toBe(false);
    expect(p("public", "default/a", "DELETE", "/api/x")).toBe(true);
    expect(p("public", "default/a", "GET", "/other")).toBe(false);
    expect(p("internal", "default/a", "GET", "/other")).toBe(true);
    expect(p("internal", "default/b", "GET", "/api/admin")).toBe(false);
  });

  it("routes by the first matching rule, falls back to every version, and lets a rule's timeout win", () => {
    const ir = irOf(`
      import { defineMesh } from "meshc";
      export default defineMesh({ name: "m", services: {
        a: { ports: { http: { port: 80 } } },
        b: { ports: { http: { port: 80 } }, versions: { v1: {}, v2: {} }, traffic: { timeout: "5s", retries: { attempts: 3 } } },
      } }, (s) => ({
        calls: [{ from: s.a, to: s.b.ports.http, timeout: "2s" }],
        routes: { b: { http: [
          { match: { methods: ["POST"], paths: ["/orders/*"] }, to: "v2", timeout: "9s" },
          { match: { headers: { "x-canary": { regex: "yes|1" } } }, to: [{ version: "v1", weight: 10 }, { version: "v2", weight: 90 }] },
          { match: { headers: { "end-user": { prefix: "test-" } } }, to: "v1", retries: { attempts: 1 } },
        ] } },
      }));
    `);
    const r = (method: Probe["method"], path: string, headers?: Record<string, string>) =>
      ask(ir, { caller: svc("default/a"), callee: "default/b", port: "http", method, path, ...(headers ? { headers } : {}) }).route!;
    expect(r("POST", "/orders/1")).toMatchObject({ rule: 0, destinations: [{ version: "v2", weight: 100 }], timeoutMs: 9000, timeoutFrom: "rule" });
    expect(r("POST", "/orders/1", { "x-canary": "yes" }).rule).toBe(0);
    expect(r("GET", "/orders/1", { "x-canary": "yes" })).toMatchObject({ rule: 1, timeoutMs: 2000, timeoutFrom: "call" });
    expect(r("GET", "/", { "x-canary": "yesno" }).rule).toBeUndefined();
    expect(r("GET", "/", { "end-user": "test-ana" })).toMatchObject({ rule: 2, retries: { attempts: 1 }, retriesFrom: "rule" });
    // No rule matches: every version, the call's timeout; the call declares no retries, so b's.
    expect(r("GET", "/")).toEqual({ route: "default/b:http", destinations: "all", timeoutMs: 2000, timeoutFrom: "call", retries: { attempts: 3, on: ["5xx", "connect-failure", "refused-stream", "reset"] }, retriesFrom: "call" });
  });

  it("marks the policy ambiguous when two calls of one caller admit a request with different timeouts", () => {
    const ir = irOf(`
      import { defineMesh } from "meshc";
      export default defineMesh({ name: "m", services: { a: { ports: { http: { port: 80 } } }, b: { ports: { http: { port: 80 } } } } },
        (s) => ({ calls: [{ from: s.a, to: s.b.ports.http, timeout: "1s" }, { from: s.a, to: s.b.ports.http, methods: ["GET"], timeout: "2s" }] }));
    `);
    const r = (method: Probe["method"]) => ask(ir, { caller: svc("default/a"), callee: "default/b", port: "http", method, path: "/" }).route!;
    expect(r("GET").ambiguous).toBe(true);
    expect(r("POST")).toMatchObject({ timeoutMs: 1000 });
    expect(r("POST").ambiguous).toBeUndefined();
  });

  it("decides TCP ports by caller only, and gives no route to plaintext or undeclared callers", () => {
    const ir = irOf(`
      import { defineMesh } from "meshc";
      export default defineMesh({ name: "m", defaults: { mtls: "permissive" }, services: {
        a: { ports: { http: { port: 80 } } },
        db: { ports: { pg: { port: 5432, protocol: "tcp" } } },
      } }, (s) => ({ calls: [{ from: s.a, to: s.db.ports.pg }, { from: s.db, to: s.a.ports.http }] }));
    `);
    expect(allowed(ir, { caller: svc("default/a"), callee: "default/db", port: "pg" })).toBe(true);
    expect(allowed(ir, { caller: svc("default/db"), callee: "default/db", port: "pg" })).toBe(false);
    const plain = ask(ir, { caller: { kind: "plaintext" }, callee: "default/a", port: "http", method: "GET", path: "/" });
    expect([plain.allowed, plain.route]).toEqual([true, undefined]);
    expect(enumerateProbes(ir).filter((p) => p.callee === "default/db")).toHaveLength(probeCallers(ir).length);
  });

  it("refuses a port that does not exist and a caller that is not declared", () => {
    const ir = irOf(`
      import { defineMesh } from "meshc";
      export default defineMesh({ name: "m", services: { a: { ports: { http: { port: 80 } } } } });
    `);
    expect(ask(ir, { caller: svc("default/a"), callee: "default/a", port: "nope", method: "GET", path: "/" }).reason).toMatch(/no port/);
    expect(ask(ir, { caller: svc("default/ghost"), callee: "default/a", port: "http", method: "GET", path: "/" }).allowed).toBe(false);
    expect(ask(ir, { caller: { kind: "ingress", ingress: "ghost" }, callee: "default/a", port: "http", method: "GET", path: "/" }).allowed).toBe(false);
  });

  it("caps the probes of a huge mesh with a deterministic sample", () => {
    const ir = compileMesh(example("online-boutique"), { skipTypeCheck: true }).ir!;
    const all = enumerateProbes(ir);
    const capped = enumerateProbes(ir, { cap: 100 });
    expect(capped).toHaveLength(100);
    expect(enumerateProbes(ir, { cap: 100 })).toEqual(capped);
    // A sample keeps the original order.
    const keys = all.map((p) => JSON.stringify(p));
    const positions = capped.map((p) => keys.indexOf(JSON.stringify(p)));
    expect(positions.every((x, i) => x >= 0 && (i === 0 || x > positions[i - 1]!))).toBe(true);
  });
});

describe("the oracle on generated meshes", () => {
  const compiled = (source: string) => {
    const r = compileSource(source, { skipTypeCheck: true });
    if (!r.ir || r.diagnostics.some((d) => d.severity === "error")) throw new Error(`generated mesh does not compile:\n${r.diagnostics.map((d) => d.message).join("\n")}\n${source}`);
    return r.ir;
  };
  // One compile per mesh, several properties checked on it.
  it("never admits an undeclared caller, admits every declared call, and only narrows when a call is removed", () => {
    fc.assert(
      fc.property(meshArbitrary(), fc.nat(), (mesh, which) => {
        const ir = compiled(renderMesh(mesh));
        const index = indexMesh(ir);
        const probes = enumerateProbes(ir);
        const decisions = probes.map((p) => decide(index, p));
        probes.forEach((p, i) => {
          const d = decisions[i]!;
          const port = index.services.get(p.callee)!.ports.find((x) => x.name === p.port)!;
          if (p.caller.kind === "plaintext") expect(d.allowed).toBe(port.mtls !== "strict");
          // The undeclared workload gets in only where anyService is allowed.
          if (p.caller.kind === "identity" && d.allowed) expect(d.grants.every((g) => (g.kind === "call" ? g.call : g.kind === "mirror" && g.of.kind === "call" ? g.of.call : undefined)?.from.kind === "any")).toBe(true);
          if (d.allowed && p.caller.kind !== "plaintext") expect(d.grants.length).toBeGreaterThan(0);
          if (d.route && d.route.destinations !== "all") expect(d.route.destinations.reduce((a, x) => a + x.weight, 0)).toBe(100);
        });
        for (const c of ir.calls) {
          if (c.to.kind !== "service") continue;
          const to = c.to;
          const callers = c.from.kind === "any" ? [{ kind: "identity", spiffeId: unknownIdentity(ir) } as ProbeCaller] : [svc(c.from.service)];
          const protocol = index.services.get(to.service)!.ports.find((x) => x.name === to.port)!.protocol;
          const requests: Partial<Probe>[] =
            protocol === "tcp"
              ? [{}]
              : protocol === "grpc"
                ? (c.grpcMethods ?? [{ service: "any.Service", method: "Any" }]).map((g) => ({ grpcMethod: `${g.service}/${g.method ?? "Whatever"}` }))
                : (c.methods ?? ["GET" as const]).flatMap((method) => (c.paths ?? [{ kind: "exact" as const, value: "/" }]).map((path) => ({ method, path: path.kind === "prefix" ? `${path.value}more` : path.value })));
          for (const caller of callers) {
            for (const r of c.grpcMethods && protocol === "http2" ? [] : requests) {
              const d = decide(index, { caller, callee: to.service, port: to.port, protocol, ...r });
              expect(d.allowed, `${c.id} ${JSON.stringify(r)}: ${d.reason}`).toBe(true);
            }
          }
        }
        // Removing a call never admits more.
        if (ir.calls.length > 0) {
          const removed = ir.calls[which % ir.calls.length]!;
          const fewer = indexMesh({ ...ir, calls: ir.calls.filter((c) => c !== removed) });
          probes.forEach((p, i) => {
            if (decide(fewer, p).allowed) expect(decisions[i]!.allowed).toBe(true);
          });
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe("comparing an evaluator with the oracle", () => {
  let ir: MeshIR;
  beforeAll(() => {
    ir = compileMesh(example("bookinfo"), { skipTypeCheck: true }).ir!;
  });
  const mutate = (target: string, change: (probe: Probe, d: { allowed: boolean }) => boolean | undefined): TargetEvaluator => {
    const base = oracleEvaluator(ir, target);
    return {
      target,
      decide(probe, request) {
        const d = base.decide(probe, request);
        if (d === "unsupported") return d;
        const allowed = change(probe, d);
        return allowed === undefined ? d : { ...d, allowed };
      },
    };
  };

  it("finds no mismatch for an evaluator that implements the semantics", () => {
    const result = compareWithOracle(ir, oracleEvaluator(ir), enumerateProbes(ir), []);
    expect(result.mismatches).toEqual([]);
    expect(result.probes).toBeGreaterThan(300);
  });

  it("catches an evaluator that ignores methods, one that reads prefixes by path segment, and one that forgets the gateway", () => {
    const probes = enumerateProbes(ir);
    const ignoresMethods = mutate("t", (p, d) => (!d.allowed && p.caller.kind === "service" && p.method !== "GET" ? allowed(ir, { ...p, method: "GET" }) : undefined));
    expect(compareWithOracle(ir, ignoresMethods, probes, []).mismatches.map((m) => m.aspect)).toContain("allowed");
    // Gateway API's PathPrefix matches whole segments: "/static/" also admits "/static".
    const segmentPrefix = mutate("t", (p) => (p.caller.kind === "ingress" && p.path === "/static" ? true : undefined));
    const seg = compareWithOracle(ir, segmentPrefix, probes, []);
    expect(seg.mismatches.length).toBeGreaterThan(0);
    expect(new Set(seg.mismatches.map((m) => m.probe.path))).toEqual(new Set(["/static"]));
    const noGateway = mutate("t", (p) => (p.caller.kind === "ingress" ? false : undefined));
    expect(compareWithOracle(ir, noGateway, probes, []).mismatches.length).toBeGreaterThan(0);
  });

  it("catches a wrong split, a wrong timeout and wrong retries", () => {
    const probes = enumerateProbes(ir);
    const base = oracleEvaluator(ir, "t");
    const wrong: TargetEvaluator = {
      target: "t",
      decide(probe, request) {
        const d = base.decide(probe, request);
        if (d === "unsupported" || !d.route) return d;
        if (probe.callee === "bookinfo/reviews") return { ...d, route: { ...d.route, destinations: [{ version: "v1", weight: 100 }] } };
        if (probe.callee === "bookinfo/details") return { ...d, route: { ...d.route, timeoutMs: null, retries: { attempts: 3 } } };
        return d;
      },
    };
    const aspects = new Set(compareWithOracle(ir, wrong, probes, []).mismatches.map((m) => m.aspect));
    expect(aspects).toEqual(new Set(["destinations", "timeout", "retries"]));
  });

  it("excuses a mismatch only with a MESH2xx of that target at a declaration at stake", () => {
    const probes = enumerateProbes(ir);
    const dropsRatings = mutate("linkerd", (p) => (p.callee === "bookinfo/ratings" && p.caller.kind === "service" ? false : undefined));
    const call = ir.calls.find((c) => c.id === "bookinfo/reviews->bookinfo/ratings:http")!;
    const limit = (target: string, span = call.fieldSpans.methods ?? call.span): Diagnostic => ({ code: "MESH200", name: "UnsupportedFeature", severity: "warning", message: "x", span, target });
    expect(compareWithOracle(ir, dropsRatings, probes, []).mismatches.length).toBeGreaterThan(0);
    const excused = compareWithOracle(ir, dropsRatings, probes, [limit("linkerd")]);
    expect(excused.mismatches).toEqual([]);
    expect(excused.excused.length).toBeGreaterThan(0);
    // Another target's limit, or one about an unrelated declaration, excuses nothing.
    expect(compareWithOracle(ir, dropsRatings, probes, [limit("istio")]).mismatches.length).toBeGreaterThan(0);
    const details = ir.calls.find((c) => c.id === "bookinfo/productpage->bookinfo/details:http")!;
    expect(compareWithOracle(ir, dropsRatings, probes, [limit("linkerd", details.span)]).mismatches.length).toBeGreaterThan(0);
  });

  it("compares a connection-level evaluator with the connection decision, once per caller and port", () => {
    const probes = enumerateProbes(ir);
    const index = indexMesh(ir);
    const l4: TargetEvaluator = {
      target: "kubernetes",
      layer: "connection",
      decide: (p) => (p.caller.kind === "plaintext" ? "unsupported" : { allowed: decideConnection(index, p.caller, p.callee, p.port).allowed }),
    };
    const result = compareWithOracle(ir, l4, probes, []);
    expect(result.mismatches).toEqual([]);
    expect(result.probes).toBe(probeCallers(ir).length * ir.services.reduce((n, s) => n + s.ports.length, 0));
    expect(result.unsupported).toBe(ir.services.length);
  });

  it("hands evaluators the concrete request: identities, pod labels, Service port and container port", () => {
    const req = concreteRequest(ir, { caller: svc("bookinfo/reviews"), callee: "bookinfo/ratings", port: "http", protocol: "http", method: "GET", path: "/r" });
    expect(req).toMatchObject({
      source: { kind: "workload", namespace: "bookinfo", serviceAccount: "bookinfo-reviews", principal: "cluster.local/ns/bookinfo/sa/bookinfo-reviews", labels: { app: "reviews", version: "v1" } },
      destination: { service: "ratings", namespace: "bookinfo", host: "ratings.bookinfo.svc.cluster.local", port: 9080, targetPort: 9080, pods: [{ app: "ratings", version: "v1" }] },
      method: "GET",
      path: "/r",
    });
    const grpc = concreteRequest(ir, { caller: { kind: "ingress", ingress: "public" }, callee: "bookinfo/ratings", port: "http", protocol: "http", grpcMethod: "a.B/C" });
    expect(grpc).toMatchObject({ method: "POST", path: "/a.B/C", source: { serviceAccount: "public-gateway", labels: { app: "public-gateway" } } });
  });
});
