import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import type { CallIR, HttpMethod, MeshIR, PathMatchIR, Protocol, ServiceIR, Span } from "../../compiler/ir.js";
import { authorize, type LinkerdObject } from "../../test/evaluators/linkerd.js";
import { describe as describeProbe, intended, probes } from "../../test/evaluators/mesh-intent.js";
import { FIXTURE_NOW, fixtureStateDir } from "../certs/__fixtures__/ca.js";
import { linkerdTarget } from "./index.js";
import { byShape, planGrpcRoutes, planHttpRoutes, simulateHttp, uncachedPlanners, type GrpcGrant, type HttpGrant } from "./route-plan.js";

// The registered target reads the mesh CA (for Linkerd's identity): a copy of the test CA.
const ca = fixtureStateDir();
afterAll(ca.dispose);

const span = (line: number): Span => ({ file: "mesh.ts", line, column: 1, endLine: line, endColumn: 2 });
const grant = (identity: string, methods: string[] | undefined, paths: PathMatchIR[] | undefined, line = 1): HttpGrant => ({
  identity,
  ...(methods ? { methods } : {}),
  paths: paths ? [paths] : [],
  span: span(line),
});
const exact = (value: string): PathMatchIR => ({ kind: "exact", value });
const prefix = (value: string): PathMatchIR => ({ kind: "prefix", value });

describe("planHttpRoutes", () => {
  it("needs no routes when every caller may send everything", () => {
    expect(planHttpRoutes([grant("a", undefined, undefined), grant("b", undefined, undefined)])).toEqual({ serverIdentities: ["a", "b"], groups: [], mismatches: [] });
  });

  it("cuts overlapping method sets into cells, one route per set of callers", () => {
    const plan = planHttpRoutes([grant("a", ["GET"], undefined), grant("b", ["GET", "POST"], undefined)]);
    expect(plan.groups).toEqual([
      { identities: ["a", "b"], matches: [{ path: { type: "PathPrefix", value: "/" }, method: "GET" }] },
      { identities: ["b"], matches: [{ path: { type: "PathPrefix", value: "/" }, method: "POST" }] },
    ]);
    expect(plan.mismatches).toEqual([]);
    for (const [method, ids] of [["GET", ["a", "b"]], ["POST", ["b"]], ["DELETE", []]] as const) {
      expect(simulateHttp(plan.groups, plan.serverIdentities, method, "/x").identities).toEqual(ids);
    }
  });

  it("keeps a catch-all route when some callers are authorized on the whole Server", () => {
    const plan = planHttpRoutes([grant("a", ["GET"], undefined), grant("b", undefined, undefined)]);
    expect(plan.serverIdentities).toEqual(["b"]);
    expect(plan.groups.map((g) => g.identities)).toEqual([[], ["a"]]);
    expect(simulateHttp(plan.groups, plan.serverIdentities, "DELETE", "/x").identities).toEqual(["b"]);
  });

  it("writes a prefix with nothing beneath it as a regex when its segment boundary matters", () => {
    const plan = planHttpRoutes([grant("a", undefined, [prefix("/static/"), exact("/login")])]);
    expect(plan.groups[0]!.matches.map((m) => m.path)).toEqual([
      { type: "Exact", value: "/login" },
      { type: "RegularExpression", value: "/static/.*" },
    ]);
    expect(simulateHttp(plan.groups, [], "GET", "/static").identities).toEqual([]);
  });

  it("keeps the readable PathPrefix where the boundary gets the same callers", () => {
    const plan = planHttpRoutes([grant("a", undefined, [prefix("/static/"), exact("/static")])]);
    expect(plan.groups[0]!.matches.map((m) => m.path.type)).toEqual(["Exact", "PathPrefix"]);
    expect(plan.mismatches).toEqual([]);
  });

  it("writes a prefix with rules beneath it as a regex of exactly its own paths when needed", () => {
    const plan = planHttpRoutes([grant("a", undefined, [prefix("/api/")]), grant("b", undefined, [prefix("/api/admin/")])]);
    // PathPrefix "/api/" would also take "/api", which the mesh gives nobody; a plain "/api/.*"
    // would tie with the cell beneath it. The regex leaves out what "/api/admin/*" covers, and
    // that cell, a regex too, leaves "/api/admin" to the cell above.
    expect(plan.groups).toEqual([
      { identities: ["a"], matches: [{ path: { type: "RegularExpression", value: "/api/(?:[^a].*|a(?:[^d].*|d(?:[^m].*|m(?:[^i].*|i(?:[^n].*|n(?:[^/].*)?)?)?)?)?)?" } }] },
      { identities: ["a", "b"], matches: [{ path: { type: "RegularExpression", value: "/api/admin/.*" } }] },
    ]);
    expect(plan.mismatches).toEqual([]);
    for (const [path, ids] of [["/api", []], ["/api/", ["a"]], ["/api/x", ["a"]], ["/api/admin", ["a"]], ["/api/admin/x", ["a", "b"]], ["/api/adminx", ["a"]]] as const) {
      expect([path, simulateHttp(plan.groups, [], "GET", path).identities]).toEqual([path, ids]);
    }
  });
});

describe("planGrpcRoutes", () => {
  it("ranks methods above their service above the catch-all", () => {
    const plan = planGrpcRoutes([
      { identity: "a", methods: [{ service: "s.S", method: "Get" }], span: span(1) },
      { identity: "b", methods: [{ service: "s.S" }], span: span(2) },
      { identity: "c", span: span(3) },
    ]);
    expect(plan.serverIdentities).toEqual(["c"]);
    expect(plan.groups).toEqual([
      { identities: [], matches: [{}] },
      { identities: ["a", "b"], matches: [{ service: "s.S", method: "Get" }] },
      { identities: ["b"], matches: [{ service: "s.S" }] },
    ]);
    expect(plan.mismatches).toEqual([]);
  });
});

// ── Property: the generated objects authorize what the mesh says, or the difference is reported ──

const IDENTITIES = ["a", "b", "c"] as const;
const METHODS: HttpMethod[] = ["GET", "POST", "DELETE"];
const PATHS: PathMatchIR[] = [exact("/"), exact("/a"), exact("/a/b"), prefix("/a/"), prefix("/a/b/"), prefix("/a"), prefix("/ab"), prefix("/b/"), exact("/b")];

interface SyntheticCall {
  readonly from: (typeof IDENTITIES)[number] | "any";
  readonly methods?: HttpMethod[];
  readonly paths?: PathMatchIR[];
}

function service(name: string, protocol: Protocol, line: number): ServiceIR {
  return {
    id: `shop/${name}`,
    key: name,
    name,
    namespace: "shop",
    serviceAccount: name,
    identity: { namespace: "shop", serviceAccount: name, spiffeId: `spiffe://cluster.local/ns/shop/sa/${name}`, principal: `cluster.local/ns/shop/sa/${name}` },
    labels: {},
    selector: { app: name },
    ports: [{ name: "http", port: 80, targetPort: 8080, protocol, mtls: "strict", span: span(line), fieldSpans: {} }],
    versions: [],
    mtls: "strict",
    traffic: { loadBalancer: { kind: "round-robin", declared: false } },
    span: span(line),
    fieldSpans: {},
  };
}

function syntheticMesh(calls: readonly SyntheticCall[]): MeshIR {
  const services = [service("api", "http", 1), ...IDENTITIES.map((n, i) => service(n, "http", 2 + i))];
  const callIRs = calls.map((c, i): CallIR => ({
    id: `${c.from}->api#${i}`,
    from: c.from === "any" ? { kind: "any" as const } : { kind: "service" as const, service: `shop/${c.from}` },
    to: { kind: "service", service: "shop/api", port: "http" },
    protocol: "http",
    ...(c.methods ? { methods: c.methods } : {}),
    ...(c.paths ? { paths: c.paths } : {}),
    span: span(10 + i),
    fieldSpans: c.paths ? { paths: span(10 + i) } : ({} as Record<string, Span>),
  }));
  return {
    name: "shop",
    trustDomain: "cluster.local",
    clusterDomain: "cluster.local",
    namespace: "shop",
    namespaces: ["shop"],
    mtls: "strict",
    egress: "allow-any",
    certificates: { keyAlgorithm: "ecdsa-p256", issuer: "meshc", rootLifetimeMs: 1, intermediateLifetimeMs: 1, leafLifetimeMs: 1, span: span(1) },
    services,
    external: [],
    identities: services.map((s) => ({ ...s.identity, services: [s.id] })),
    calls: callIRs,
    routes: [],
    ingresses: [],
    span: span(1),
    fieldSpans: {},
  };
}

const subset = <T>(items: readonly T[]) => fc.subarray([...items], { minLength: 1 });
const callArb: fc.Arbitrary<SyntheticCall> = fc.record(
  {
    from: fc.constantFrom(...IDENTITIES, "any" as const),
    methods: subset(METHODS),
    paths: subset(PATHS),
  },
  { requiredKeys: ["from"] },
);

const randomPath = fc.array(fc.constantFrom("/", "a", "b", "x"), { maxLength: 6 }).map((cs) => `/${cs.join("")}`);

describe("the Linkerd objects for any set of calls to one port", () => {
  it("authorize exactly what the mesh allows, with nothing to report", () => {
    fc.assert(
      fc.property(fc.array(callArb, { minLength: 1, maxLength: 5 }), fc.array(randomPath, { maxLength: 12 }), (calls, extraPaths) => {
        const ir = syntheticMesh(calls);
        const result = linkerdTarget.run(ir, { stateDir: ca.dir, now: FIXTURE_NOW });
        expect(result.diagnostics).toEqual([]);
        const objects = result.artifacts.flatMap((a) => ("yaml" in a ? [a.yaml as LinkerdObject] : []));
        const wrong: string[] = [];
        const declared = probes(ir).filter((p) => p.service.name === "api");
        // Beyond the paths around the declared ones, arbitrary paths over the same letters.
        const extra = declared.flatMap((p) => (p.request.kind === "http" && p.request.path === "/" ? extraPaths.map((path) => ({ ...p, request: { ...p.request, path } })) : []));
        for (const probe of [...declared, ...extra]) {
          const client = probe.caller.kind === "identity" ? { identity: `${probe.caller.serviceAccount}.shop.serviceaccount.identity.linkerd.cluster.local`, ip: "10.0.0.1" } : { ip: "10.0.0.2" };
          const d = authorize({ objects }, { namespace: "shop", labels: { app: "api" } }, 8080, client, probe.request);
          if (d.ambiguous || d.allowed !== intended(ir, probe)) wrong.push(`${describeProbe(probe)}: ${d.reason}`);
        }
        expect(wrong).toEqual([]);
      }),
      // LINKERD_PLAN_RUNS=5000 explores further with a fresh seed.
      process.env.LINKERD_PLAN_RUNS ? { numRuns: Number(process.env.LINKERD_PLAN_RUNS) } : { numRuns: 200, seed: 20240611 },
    );
  });
});

// ── Property: a Server's plan is its shape's plan, whoever the callers are ──

// Names that sort differently from their order of first appearance, and `*`.
const NAMES = ["zeta.ns", "alpha.ns", "mid.ns", "*"];
const httpGrantArb: fc.Arbitrary<HttpGrant> = fc.record({
  identity: fc.constantFrom(...NAMES),
  methods: fc.option(subset(METHODS), { nil: undefined }),
  paths: fc.array(subset(PATHS), { maxLength: 2 }),
  line: fc.nat(99),
}).map(({ identity, methods, paths, line }) => ({ identity, ...(methods ? { methods } : {}), paths, span: span(line) }));
const grpcGrantArb: fc.Arbitrary<GrpcGrant> = fc.record({
  identity: fc.constantFrom(...NAMES),
  methods: fc.option(subset([{ service: "a.S" }, { service: "a.S", method: "Get" }, { service: "a.S", method: "Put" }, { service: "b.T" }, { service: "b.T", method: "Get" }]), { nil: undefined }),
  line: fc.nat(99),
}).map(({ identity, methods, line }) => ({ identity, ...(methods ? { methods } : {}), span: span(line) }));
/** The same grants with every identity but `*` renamed by `rename`. */
const renamed = <G extends { identity: string }>(grants: readonly G[], rename: readonly string[]) =>
  grants.map((g) => ({ ...g, identity: g.identity === "*" ? "*" : rename[NAMES.indexOf(g.identity)]! }));

describe("plans by shape", () => {
  // Each case first plans the same shape under other names, so the plan compared is a cached one.
  const others = fc.shuffledSubarray(["b.ns", "a.ns", "c.ns"], { minLength: 3, maxLength: 3 });
  const sameAsOwn = <G extends { identity: string }>(arb: fc.Arbitrary<G>, cached: (grants: G[]) => unknown, own: (grants: G[]) => unknown) =>
    fc.assert(
      fc.property(fc.array(arb, { minLength: 1, maxLength: 5 }), others, (grants, names) => {
        cached(renamed(grants, names));
        expect(cached(grants)).toEqual(own(grants));
      }),
      { numRuns: 300, seed: 20261127 },
    );
  it("equal the HTTP planner's own plan", () => sameAsOwn(httpGrantArb, planHttpRoutes, uncachedPlanners.http));
  it("put identities and spans back into mismatches, and leave notes alone", () => {
    // No generated grants make the planners report a mismatch, so a planner that always does.
    const planner = (grants: readonly GrpcGrant[]) => ({
      serverIdentities: [],
      groups: [],
      mismatches: [{ request: "GET /", expected: grants.filter((g) => g.identity !== "*").map((g) => g.identity), actual: ["(depends on route creation order)"], spans: grants.map((g) => g.span) }],
    });
    const cache = new Map();
    const grants = (a: string, b: string): GrpcGrant[] => [
      { identity: a, span: span(1) },
      { identity: b, span: span(2) },
      { identity: "*", span: span(3) },
    ];
    byShape(grants("x.ns", "y.ns"), () => null, planner, cache);
    expect(byShape(grants("zeta.ns", "alpha.ns"), () => null, planner, cache)).toEqual({
      serverIdentities: [],
      groups: [],
      mismatches: [{ request: "GET /", expected: ["alpha.ns", "zeta.ns"], actual: ["(depends on route creation order)"], spans: [span(1), span(2), span(3)] }],
    });
    expect(cache.size).toBe(1);
  });
  it("equal the gRPC planner's own plan", () => sameAsOwn(grpcGrantArb, planGrpcRoutes, uncachedPlanners.grpc));
});
