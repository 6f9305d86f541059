import { ConfigMap, Namespace, Secret, Service } from "kubernetes-models/v1";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Artifact } from "../../compiler/artifact.js";
import { buildMesh } from "../../compiler/build.js";
import { compileMesh } from "../../compiler/compile.js";
import type { MeshIR } from "../../compiler/ir.js";
import { serialize } from "../../compiler/writer.js";
import { authorize, type LinkerdObject } from "../../test/evaluators/linkerd.js";
import { describe as describeProbe, intended, probes, type Probe } from "../../test/evaluators/mesh-intent.js";
import { compileSource, example } from "../../test/helpers/mesh.js";
import { validateCustomResource } from "../../test/support/crd-validator.js";
import { FIXTURE_NOW, fixtureStateDir } from "../certs/__fixtures__/ca.js";
import { createLinkerdTarget, linkerdTarget, type LinkerdIdentityMaterial } from "./index.js";

type KubeObject = LinkerdObject & { metadata: { name: string; namespace?: string } };

const objects = (artifacts: readonly Artifact[]) => artifacts.flatMap((a) => ("yaml" in a ? [a.yaml as KubeObject] : []));
const golden = (artifacts: readonly Artifact[]) => artifacts.map((a) => `# ${a.path}\n${serialize(a).toString("utf8")}`).join("---\n");

const coreModels: Record<string, new (data: never) => { validate(): void; apiVersion: string; kind: string }> = { Namespace, Service, ConfigMap, Secret };

/** Issues the API server would raise for the object: CRD schema and CEL rules, or the core schema. */
function issuesOf(o: KubeObject): string[] {
  const Model = coreModels[o.kind];
  if (o.apiVersion === "v1" && Model) {
    const { apiVersion, kind, ...data } = o;
    const instance = new Model(data as never);
    try {
      instance.validate();
    } catch (error) {
      return [String(error)];
    }
    return `${apiVersion}/${kind}` === `${instance.apiVersion}/${instance.kind}` ? [] : [`${apiVersion}/${kind} is not ${instance.apiVersion}/${instance.kind}`];
  }
  return validateCustomResource(o, { requireStorageVersion: true }).map((i) => `${i.path}: ${i.message}${i.rule ? ` (${i.rule})` : ""}`);
}

// The registered target reads (and may create) the mesh CA: a copy of the fixed test CA keeps
// the trust anchor in the golden files stable.
const ca = fixtureStateDir();
afterAll(ca.dispose);

function run(ir: MeshIR | undefined) {
  if (!ir) throw new Error("the mesh did not compile");
  return linkerdTarget.run(ir, { stateDir: ca.dir, now: FIXTURE_NOW });
}

const identityOf = (ir: MeshIR, ns: string, sa: string) => `${sa}.${ns}.serviceaccount.identity.linkerd.${ir.trustDomain}`;

/** Linkerd's decision for a probe, on every pod of the service (each version's pods carry their own labels). */
function linkerdDecisions(ir: MeshIR, objs: readonly KubeObject[], probe: Probe) {
  const { service, port, caller, request } = probe;
  const pods = service.versions.length > 0 ? service.versions.map((v) => ({ ...service.labels, ...v.selector })) : [{ ...service.labels, ...service.selector }];
  const client = caller.kind === "identity" ? { identity: identityOf(ir, caller.namespace, caller.serviceAccount), ip: "10.1.2.3" } : { ip: "10.1.2.4" };
  return pods.map((labels) => authorize({ objects: objs }, { namespace: service.namespace, labels }, port.targetPort, client, request));
}

function mismatches(ir: MeshIR, objs: readonly KubeObject[]): string[] {
  const out: string[] = [];
  for (const probe of probes(ir)) {
    const want = intended(ir, probe);
    for (const d of linkerdDecisions(ir, objs, probe)) {
      if (d.ambiguous || d.allowed !== want) out.push(`${describeProbe(probe)}: mesh ${want ? "allows" : "denies"}, Linkerd ${d.allowed ? "allows" : "denies"}${d.ambiguous ? " (ambiguous)" : ""} — ${d.reason}`);
    }
  }
  return out;
}

describe.each(["bookinfo", "online-boutique"])("linkerd target: %s", (name) => {
  let ir: MeshIR;
  let result: ReturnType<typeof run>;
  beforeAll(() => {
    ir = compileMesh(example(name)).ir!;
    result = run(ir);
  });

  it("writes objects that validate strictly against the CRD schemas (with CEL rules) and the core schemas", () => {
    const all = objects(result.artifacts);
    expect(all.length).toBeGreaterThan(10);
    const issues = all.flatMap((o) => issuesOf(o).map((i) => `${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}: ${i}`));
    expect(issues).toEqual([]);
  });

  it("matches the golden files", async () => {
    await expect(golden(result.artifacts)).toMatchFileSnapshot(`./__snapshots__/${name}.yaml`);
  });

  it("is deterministic", () => {
    expect(golden(run(compileMesh(example(name)).ir).artifacts)).toBe(golden(result.artifacts));
  });

  it("authorizes exactly what the mesh allows, for every probe", () => {
    const all = probes(ir);
    expect(all.length).toBeGreaterThan(100);
    expect(all.some((p) => intended(ir, p))).toBe(true);
    expect(mismatches(ir, objects(result.artifacts))).toEqual([]);
  });

  it("puts every workload namespace under Linkerd with a default-deny inbound policy", () => {
    const namespaces = objects(result.artifacts).filter((o) => o.kind === "Namespace");
    expect(namespaces.map((n) => n.metadata.name)).toEqual(ir.namespaces);
    for (const n of namespaces) {
      expect(n.metadata.annotations).toMatchObject({ "linkerd.io/inject": "enabled", "config.linkerd.io/default-inbound-policy": "deny" });
    }
  });
});

describe("the evaluator comparison catches a broken policy", () => {
  let ir: MeshIR;
  let objs: KubeObject[];
  beforeAll(() => {
    ir = compileMesh(example("bookinfo")).ir!;
    objs = objects(run(ir).artifacts);
  });

  it("an identity added to a MeshTLSAuthentication", () => {
    const mutated = objs.map((o) =>
      o.kind === "MeshTLSAuthentication" && o.metadata.name === "ratings-http-from-bookinfo-reviews"
        ? { ...o, spec: { identities: [identityOf(ir, "bookinfo", "bookinfo-reviews"), identityOf(ir, "bookinfo", "bookinfo-details")] } }
        : o,
    );
    const found = mismatches(ir, mutated);
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((m) => m.startsWith("bookinfo/bookinfo-details → bookinfo/ratings:http GET"))).toBe(true);
  });

  it("a method dropped from a route", () => {
    const mutated = objs.map((o) => {
      if (o.kind !== "HTTPRoute" || o.metadata.name !== "details-http-from-bookinfo-productpage") return o;
      const spec = structuredClone(o.spec) as { rules: { matches: { method?: string }[] }[] };
      for (const r of spec.rules) for (const m of r.matches) delete m.method;
      return { ...o, spec };
    });
    expect(mismatches(ir, mutated).some((m) => m.startsWith("bookinfo/bookinfo-productpage → bookinfo/details:http POST"))).toBe(true);
  });

  it("a Server removed (the namespace default then denies)", () => {
    const mutated = objs.filter((o) => !(o.kind === "Server" && o.metadata.name === "reviews-http"));
    expect(mismatches(ir, mutated).some((m) => m.includes("→ bookinfo/reviews:http GET") && m.includes("mesh allows, Linkerd denies"))).toBe(true);
  });
});

describe("per-route authorization", () => {
  const mesh = (calls: string) => `
import { defineMesh } from "meshc";
export default defineMesh(
  {
    name: "shop",
    namespace: "shop",
    services: {
      api: { ports: { http: { port: 8080, protocol: "http" } } },
      web: { ports: { http: { port: 80, protocol: "http" } } },
      admin: { ports: { http: { port: 80, protocol: "http" } } },
      batch: { ports: { http: { port: 80, protocol: "http" } } },
    },
  },
  (s) => ({ calls: [${calls}] }),
);
`;

  function compile(calls: string) {
    const compiled = compileSource(mesh(calls));
    expect(compiled.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const ir = compiled.ir!;
    const result = run(ir);
    return { ir, result, objs: objects(result.artifacts) };
  }

  it("gives two callers with different methods on one port exactly theirs", () => {
    const { ir, result, objs } = compile(`
      { from: s.web, to: s.api.ports.http, methods: ["GET"] },
      { from: s.admin, to: s.api.ports.http, methods: ["GET", "POST", "DELETE"] },`);
    expect(result.diagnostics).toEqual([]);
    expect(mismatches(ir, objs)).toEqual([]);
    const routes = objs.filter((o) => o.kind === "HTTPRoute").map((o) => o.metadata.name).sort();
    expect(routes).toEqual(["api-http-from-admin", "api-http-from-admin-web"]);
  });

  it("keeps overlapping path prefixes apart, and callers allowed everything on the Server", () => {
    const { ir, result, objs } = compile(`
      { from: s.web, to: s.api.ports.http, paths: ["/api", "/api/*"], methods: ["GET"] },
      { from: s.admin, to: s.api.ports.http, paths: ["/api/admin/*", "/healthz"] },
      { from: s.batch, to: s.api.ports.http },`);
    expect(result.diagnostics).toEqual([]);
    expect(mismatches(ir, objs)).toEqual([]);
    const serverPolicy = objs.find((o) => o.kind === "AuthorizationPolicy" && o.metadata.name === "api-http");
    expect(serverPolicy?.spec).toMatchObject({ targetRef: { kind: "Server", name: "api-http" } });
  });

  it("separates a path prefix from the prefixes declared beneath it, at the segment boundary too", () => {
    const { ir, result, objs } = compile(`
      { from: s.web, to: s.api.ports.http, paths: ["/api/*"] },
      { from: s.admin, to: s.api.ports.http, paths: ["/api/v2/*"] },`);
    expect(result.diagnostics).toEqual([]);
    expect(mismatches(ir, objs)).toEqual([]);
    // PathPrefix "/api/" would also match "/api" (and tie with "/api/v2/" requests): a regex
    // of exactly web's own paths takes its place.
    const web = objs.find((o) => o.kind === "HTTPRoute" && o.metadata.name === "api-http-from-web");
    expect(web?.spec).toMatchObject({ rules: [{ matches: [{ path: { type: "RegularExpression" } }] }] });
  });
});

describe("compiling bookinfo for Linkerd", () => {
  it("reports every feature Linkerd lacks at its line in mesh.ts, as warnings", async () => {
    const built = await buildMesh(example("bookinfo"), { targets: ["linkerd"], stateDir: ca.dir, now: FIXTURE_NOW });
    expect(built.ok).toBe(true);
    const mesh200 = built.diagnostics.filter((d) => d.code === "MESH200");
    expect(mesh200.map((d) => `${d.severity} ${d.span?.file}:${d.span?.line} ${d.message.split(":")[0]}`)).toEqual([
      "warning mesh.ts:42 linkerd cannot express circuit-breaker limits",
      "warning mesh.ts:50 linkerd cannot express rate-limit bursts",
      "warning mesh.ts:71 linkerd cannot express retries on reset",
      "warning mesh.ts:85 linkerd cannot express request mirroring",
      "warning mesh.ts:92 linkerd cannot express fault injection",
    ]);
    expect(mesh200.every((d) => d.target === "linkerd")).toBe(true);
  });

  it("fails with --strict", async () => {
    const built = await buildMesh(example("bookinfo"), { targets: ["linkerd"], stateDir: ca.dir, now: FIXTURE_NOW, strict: true });
    expect(built.ok).toBe(false);
    expect(built.diagnostics.some((d) => d.code === "MESH200" && d.span?.line === 85)).toBe(true);
  });
});

describe("the identity seam", () => {
  // Stand-in PEM text: the target only places what the certificate target hands it.
  const material: LinkerdIdentityMaterial = {
    trustAnchorsPem: "-----BEGIN CERTIFICATE-----\nroot\n-----END CERTIFICATE-----\n",
    issuer: {
      certificatePem: "-----BEGIN CERTIFICATE-----\nissuer\n-----END CERTIFICATE-----\n",
      privateKeyPem: "-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n",
    },
  };
  const target = createLinkerdTarget({ identity: () => ({ material, diagnostics: [] }) });
  let ir: MeshIR;
  beforeAll(() => {
    ir = compileMesh(example("bookinfo")).ir!;
  });

  it("writes the trust anchors as linkerd-identity-trust-roots, and no key without includeSecrets", () => {
    const result = target.run(ir, { stateDir: "/nonexistent" });
    const identity = result.artifacts.filter((a) => a.path.startsWith("linkerd/linkerd/"));
    expect(identity.map((a) => a.path)).toEqual(["linkerd/linkerd/configmap-linkerd-identity-trust-roots.yaml"]);
    const cm = objects(identity)[0]!;
    expect(issuesOf(cm)).toEqual([]);
    expect((cm as unknown as { data: Record<string, string> }).data).toEqual({ "ca-bundle.crt": material.trustAnchorsPem });
    expect(JSON.stringify(result.artifacts)).not.toContain("PRIVATE KEY");
  });

  it("writes the issuer as the kubernetes.io/tls Secret linkerd-identity-issuer, marked sensitive, with includeSecrets", () => {
    const result = target.run(ir, { stateDir: "/nonexistent", includeSecrets: true });
    const secret = result.artifacts.find((a) => a.path === "linkerd/linkerd/secret-linkerd-identity-issuer.yaml");
    expect(secret && "sensitive" in secret && secret.sensitive).toBe(true);
    const object = objects([secret!])[0]! as unknown as KubeObject & { type: string; data: Record<string, string> };
    expect(issuesOf(object)).toEqual([]);
    expect(object.type).toBe("kubernetes.io/tls");
    const decoded = Object.fromEntries(Object.entries(object.data).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
    expect(decoded).toEqual({ "ca.crt": material.trustAnchorsPem, "tls.crt": material.issuer.certificatePem, "tls.key": material.issuer.privateKeyPem });
  });

  it("passes the provider's diagnostics through", () => {
    const failing = createLinkerdTarget({ identity: () => ({ diagnostics: [{ code: "MESH900", name: "InternalError", severity: "error", message: "no CA" }] }) });
    const result = failing.run(ir, { stateDir: "/nonexistent" });
    expect(result.diagnostics.map((d) => d.message)).toContain("no CA");
    expect(result.artifacts.some((a) => a.path.startsWith("linkerd/linkerd/"))).toBe(false);
  });
});

describe("traffic policy, egress and what Linkerd lacks, on one mesh", () => {
  const source = `
import { defineMesh } from "meshc";
export default defineMesh(
  {
    name: "shop",
    namespace: "shop",
    defaults: { egress: "registry-only" },
    external: {
      stripe: { host: "api.stripe.com" },
      catalog: { host: "catalog.example.com", ports: { http: { port: 80, protocol: "http" } } },
      db: { host: "db.example.com", ports: { pg: { port: 5432, protocol: "tcp" } } },
    },
    services: {
      web: { ports: { http: { port: 80, protocol: "http" } } },
      worker: { ports: {} },
      api: {
        ports: { http: { port: 8080, protocol: "http" } },
        versions: { v1: {}, v2: {} },
        traffic: { timeout: "5s", loadBalancer: "random", connectionPool: { idleTimeout: "5m" } },
        rateLimit: { requests: 600, per: "minute" },
      },
      rpc: {
        ports: { grpc: { port: 9090, protocol: "grpc" } },
        traffic: { retries: { attempts: 3, on: ["unavailable", "5xx"], budget: { percent: 20 } } },
      },
      cache: { ports: { redis: { port: 6379, protocol: "tcp" } }, versions: { a: {}, b: {} } },
    },
  },
  (s) => ({
    calls: [
      { from: s.web, to: s.api.ports.http, methods: ["GET"], timeout: "2s" },
      { from: s.worker, to: s.api.ports.http, timeout: "3s" },
      { from: s.web, to: s.rpc.ports.grpc, grpcMethods: ["shop.Rpc/*"] },
      { from: s.web, to: s.cache.ports.redis },
      { from: s.web, to: s.stripe.ports.https },
      { from: s.web, to: s.catalog.ports.http, methods: ["GET"], paths: ["/v1/*"] },
      { from: s.worker, to: s.db.ports.pg },
    ],
    routes: {
      api: {
        http: [
          { match: { paths: ["/v2/*"] }, to: "v2", timeout: "1s" },
          { match: { paths: ["/v2/admin/*"] }, to: "v1" },
          { to: [{ version: "v1", weight: 90 }, { version: "v2", weight: 10 }] },
        ],
      },
      cache: { redis: [{ to: [{ version: "a", weight: 50 }, { version: "b", weight: 50 }] }] },
    },
  }),
);
`;
  let ir: MeshIR;
  let result: ReturnType<typeof run>;
  beforeAll(() => {
    const compiled = compileSource(source);
    expect(compiled.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    ir = compiled.ir!;
    result = run(ir);
  });

  it("writes valid objects that authorize exactly the declared calls", () => {
    const all = objects(result.artifacts);
    expect(all.flatMap((o) => issuesOf(o).map((i) => `${o.kind} ${o.metadata.name}: ${i}`))).toEqual([]);
    expect(mismatches(ir, all)).toEqual([]);
  });

  it("reports each feature Linkerd cannot express at its line", () => {
    const lines = result.diagnostics.map((d) => `${d.span?.line}:${d.span?.column} ${d.message}`).sort();
    expect(lines).toMatchInlineSnapshot(`
      [
        "11:46 linkerd cannot express host names for TCP egress: plain TCP carries no host name, so Linkerd can allow port 5432 to every external address, not only "db.example.com"",
        "19:77 linkerd cannot express connection pool idleTimeout: Linkerd's proxies manage their connections to "shop/api" themselves",
        "19:9 linkerd cannot express load balancer choice: Linkerd always balances requests by latency (EWMA, power of two choices); "random" for "shop/api" is not configurable",
        "20:9 linkerd cannot express a rate limit per minute: Linkerd limits requests per second; 600 per minute on "shop/api" becomes 10 per second, which also caps bursts at 10",
        "24:44 linkerd cannot express retries on 5xx: Linkerd retries gRPC requests to "shop/rpc" on gRPC status codes, refused streams and per-try timeouts only",
        "24:72 linkerd cannot express retry budgets: Linkerd's route retries have a limit per request but no budget; the retries to "shop/rpc" are not capped by load",
        "31:62 linkerd cannot express per-caller timeouts: callers of "shop/api" port "http" ask for different timeouts; Linkerd sets them on the destination for every caller, so this call gets 5s instead of 2s",
        "32:47 linkerd cannot express per-caller timeouts: callers of "shop/api" port "http" ask for different timeouts; Linkerd sets them on the destination for every caller, so this call gets 5s instead of 3s",
        "35:7 linkerd cannot express per-workload egress: an EgressNetwork route applies to the whole namespace "shop", so "shop/api", "shop/cache", "shop/rpc" and "shop/worker" may also reach "api.stripe.com" port 443",
        "36:7 linkerd cannot express per-workload egress: an EgressNetwork route applies to the whole namespace "shop", so "shop/api", "shop/cache", "shop/rpc" and "shop/worker" may also reach "catalog.example.com" port 80",
        "37:7 linkerd cannot express per-workload egress: an EgressNetwork route applies to the whole namespace "shop", so "shop/api", "shop/cache", "shop/rpc" and "shop/web" may also reach "db.example.com" port 5432",
        "43:11 linkerd cannot express first-match rule order: Linkerd serves a request by its most specific route match, not by rule order: on "shop/api" port "http", /v2/admin/ matches rule 2 ahead of rule 1",
      ]
    `);
  });

  it("routes, splits and egress as Gateway API routes", () => {
    const byKind = (kind: string) => objects(result.artifacts).filter((o) => o.kind === kind).map((o) => `${o.metadata.name} ${JSON.stringify(o.spec)}`);
    expect(byKind("TCPRoute")).toMatchInlineSnapshot(`
      [
        "cache-redis-outbound {"parentRefs":[{"group":"","kind":"Service","name":"cache","port":6379}],"rules":[{"backendRefs":[{"name":"cache-a","port":6379,"weight":50},{"name":"cache-b","port":6379,"weight":50}]}]}",
        "shop-egress-db-pg {"parentRefs":[{"group":"policy.linkerd.io","kind":"EgressNetwork","name":"shop-egress","namespace":"shop","port":5432}],"rules":[{"backendRefs":[{"group":"policy.linkerd.io","kind":"EgressNetwork","name":"shop-egress"}]}]}",
      ]
    `);
    expect(byKind("TLSRoute")).toMatchInlineSnapshot(`
      [
        "shop-egress-stripe-https {"hostnames":["api.stripe.com"],"parentRefs":[{"group":"policy.linkerd.io","kind":"EgressNetwork","name":"shop-egress","namespace":"shop","port":443}],"rules":[{"backendRefs":[{"group":"policy.linkerd.io","kind":"EgressNetwork","name":"shop-egress"}]}]}",
      ]
    `);
    expect(byKind("EgressNetwork")).toMatchInlineSnapshot(`
      [
        "shop-egress {"trafficPolicy":"Deny"}",
      ]
    `);
    const apiRoute = objects(result.artifacts).find((o) => o.kind === "HTTPRoute" && o.metadata.name === "api-http-outbound");
    expect(apiRoute).toMatchInlineSnapshot(`
      {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {
          "labels": {
            "app.kubernetes.io/managed-by": "meshc",
            "meshc.dev/mesh": "shop",
          },
          "name": "api-http-outbound",
          "namespace": "shop",
        },
        "spec": {
          "parentRefs": [
            {
              "group": "",
              "kind": "Service",
              "name": "api",
              "port": 8080,
            },
          ],
          "rules": [
            {
              "backendRefs": [
                {
                  "name": "api-v2",
                  "port": 8080,
                },
              ],
              "matches": [
                {
                  "path": {
                    "type": "PathPrefix",
                    "value": "/v2/",
                  },
                },
              ],
              "timeouts": {
                "request": "1s",
              },
            },
            {
              "backendRefs": [
                {
                  "name": "api-v1",
                  "port": 8080,
                },
              ],
              "matches": [
                {
                  "path": {
                    "type": "PathPrefix",
                    "value": "/v2/admin/",
                  },
                },
              ],
              "timeouts": {
                "request": "5s",
              },
            },
            {
              "backendRefs": [
                {
                  "name": "api-v1",
                  "port": 8080,
                  "weight": 90,
                },
                {
                  "name": "api-v2",
                  "port": 8080,
                  "weight": 10,
                },
              ],
              "timeouts": {
                "request": "5s",
              },
            },
          ],
        },
      }
    `);
  });
});

describe("mTLS modes", () => {
  const source = `
import { defineMesh } from "meshc";
export default defineMesh(
  {
    name: "shop",
    namespace: "shop",
    services: {
      web: { ports: { http: { port: 80, protocol: "http" } } },
      api: {
        ports: {
          http: { port: 8080, protocol: "http" },
          metrics: { port: 9090, protocol: "http", mtls: "permissive" },
          legacy: { port: 7000, protocol: "tcp", mtls: "disabled" },
        },
      },
    },
  },
  (s) => ({ calls: [{ from: s.web, to: s.api.ports.http }, { from: s.web, to: s.api.ports.metrics }] }),
);
`;
  let ir: MeshIR;
  let result: ReturnType<typeof run>;
  beforeAll(() => {
    const compiled = compileSource(source);
    expect(compiled.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    ir = compiled.ir!;
    result = run(ir);
  });

  it("reports that a permissive port cannot admit plaintext clients, at its mtls line", () => {
    // Linkerd has no authentication for "no identity": a NetworkAuthentication would admit every
    // meshed workload too, so plaintext clients are refused and the mesh's intent is reported.
    expect(result.diagnostics.map((d) => `${d.code} ${d.span?.line}:${d.span?.column} ${d.message.split(":")[0]}`)).toEqual([
      'MESH200 13:50 linkerd cannot express mTLS mode "disabled"',
      'MESH200 12:52 linkerd cannot express plaintext clients on a port with mTLS "permissive"',
    ]);
    const objs = objects(result.artifacts);
    const metrics = ir.services.find((s) => s.name === "api")!.ports.find((p) => p.name === "metrics")!;
    const pod = { namespace: "shop", labels: { app: "api" } };
    expect(authorize({ objects: objs }, pod, metrics.targetPort, { ip: "10.1.2.4" }, { kind: "http", method: "GET", path: "/metrics" }).allowed).toBe(false);
    expect(authorize({ objects: objs }, pod, metrics.targetPort, { identity: identityOf(ir, "shop", "web"), ip: "10.1.2.3" }, { kind: "http", method: "GET", path: "/metrics" }).allowed).toBe(true);
  });
});
