// The Istio target on the shop fixture (shop.fixture.ts): the corners the examples do not reach,
// and the MESH200 diagnostics for what Istio cannot express, each at its line in mesh.ts.
import { beforeAll, describe, expect, it } from "vitest";
import type { Artifact } from "../../compiler/artifact.js";
import { sortDiagnostics } from "../../compiler/diagnostics.js";
import type { MeshIR } from "../../compiler/ir.js";
import { serialize } from "../../compiler/writer.js";
import { validateCustomResource } from "../../test/support/crd-validator.js";
import { istioObjects, istioTarget } from "./index.js";
import { compileShop } from "./shop.fixture.js";

type Obj = { kind: string; metadata: { name: string; namespace: string }; spec: any };

let ir: MeshIR;
beforeAll(() => {
  ir = compileShop();
});

const objects = () => istioObjects(ir).objects as unknown as Obj[];
const find = (kind: string, name: string, namespace?: string) => objects().find((o) => o.kind === kind && o.metadata.name === name && (!namespace || o.metadata.namespace === namespace))!;

describe("the shop fixture", () => {
  it("emits only objects the Istio CRD schemas accept", () => {
    const issues = objects().flatMap((o) => validateCustomResource(o, { requireStorageVersion: true }).map((i) => `${o.kind}/${o.metadata.name} ${i.path}: ${i.message}`));
    expect(issues).toEqual([]);
  });

  it("matches the golden file", async () => {
    const artifacts: readonly Artifact[] = istioTarget.run(ir, { stateDir: "/nonexistent" }).artifacts;
    await expect(artifacts.map((a) => `# ${a.path}\n${serialize(a).toString("utf8")}`).join("---\n")).toMatchFileSnapshot("./__snapshots__/shop.yaml");
  });

  it("reports what Istio cannot express, at the line that declares it", () => {
    const lines = sortDiagnostics(istioObjects(ir).diagnostics).map((d) => `${d.code} ${d.severity} ${d.span?.line}:${d.span?.column} ${d.message}`);
    expect(lines).toMatchInlineSnapshot(`
      [
        "MESH200 warning 27:111 istio cannot express a rate limit on a TCP port: Envoy's local rate limit counts HTTP requests; port "pg" of "db" carries TCP and is not limited",
        "MESH200 warning 28:68 istio cannot express caller identities on a port without mTLS: port "http" of "legacy" has mtls "disabled", so no caller presents a certificate or a principal; Istio cannot tell the declared callers from others there, and the port admits every request",
        "MESH200 warning 59:100 istio cannot express a per-caller retry budget: Istio's retry budget is a DestinationRule setting shared by every caller of "api"; it uses 25% (min 5), not 50% (min 10)",
        "MESH200 warning 61:41 istio cannot express a request timeout on a TCP or TLS port: the call to "db:pg" carries opaque bytes, with no requests to time out",
        "MESH200 warning 65:48 istio cannot express request restrictions on a call to an external host: Istio authorizes a request where it is received, and "weather" runs no sidecar; the caller's Sidecar lets it reach the host, but not only with the declared methods and paths (that would take an egress gateway)",
        "MESH200 warning 89:15 istio cannot express a fractional split weight: Istio's route weights are whole percentages; a: 33.3, b: 66.7 is rounded to sum to 100",
      ]
    `);
  });

  it("writes per-port and per-workload mTLS, keyed by container port", () => {
    expect(find("PeerAuthentication", "web").spec).toEqual({ selector: { matchLabels: { app: "web" } }, mtls: { mode: "STRICT" }, portLevelMtls: { "9090": { mode: "PERMISSIVE" } } });
    expect(find("PeerAuthentication", "legacy").spec.mtls).toEqual({ mode: "DISABLE" });
    expect(find("DestinationRule", "legacy").spec.trafficPolicy.tls).toEqual({ mode: "DISABLE" });
    expect(find("AuthorizationPolicy", "legacy").spec.rules).toEqual([{ to: [{ operation: { ports: ["8000"] } }] }]);
    for (const ns of ["backend", "shop"]) expect(find("PeerAuthentication", "default", ns).spec).toEqual({ mtls: { mode: "STRICT" } });
  });

  it("admits anyService as any authenticated principal", () => {
    expect(find("AuthorizationPolicy", "web").spec.rules[0]).toEqual({
      from: [{ source: { principals: ["*"] } }],
      to: [{ operation: { ports: ["9090"], methods: ["GET"], paths: ["/metrics"] } }],
    });
  });

  it("writes gRPC methods as paths, and nothing HTTP on a TCP port", () => {
    const api = find("AuthorizationPolicy", "api").spec.rules;
    expect(api).toContainEqual({ from: [{ source: { principals: ["shop.example/ns/shop/sa/worker"] } }], to: [{ operation: { ports: ["9000"], paths: ["/shop.Api/*"] } }] });
    expect(find("AuthorizationPolicy", "db").spec.rules).toEqual([{ from: [{ source: { principals: ["shop.example/ns/backend/sa/api-sa"] } }], to: [{ operation: { ports: ["5432"] } }] }]);
  });

  it("writes the destination policy: subsets, hashing, pool, retry budget", () => {
    expect(find("DestinationRule", "api").spec).toEqual({
      host: "api.backend.svc.cluster.local",
      trafficPolicy: {
        loadBalancer: { consistentHash: { httpHeaderName: "x-user" } },
        connectionPool: { http: { maxRequestsPerConnection: 100, idleTimeout: "5m", maxRetries: 4 } },
        retryBudget: { percent: 25, minRetryConcurrency: 5 },
        tls: { mode: "ISTIO_MUTUAL" },
      },
      subsets: [
        { name: "canary", labels: { track: "canary" } },
        { name: "stable", labels: { track: "stable" } },
      ],
    });
  });

  it("splits TCP connections by whole-percent weights", () => {
    expect(find("VirtualService", "db").spec.tcp).toEqual([
      {
        route: [
          { destination: { host: "db.backend.svc.cluster.local", subset: "a" }, weight: 33 },
          { destination: { host: "db.backend.svc.cluster.local", subset: "b" }, weight: 67 },
        ],
      },
    ]);
  });

  it("gives one caller its own timeout with sourceLabels, before everyone else's", () => {
    const http = find("VirtualService", "weather").spec.http;
    expect(http.map((r: any) => [r.match, r.timeout, r.retries.attempts])).toEqual([
      [[{ sourceLabels: { app: "worker" }, sourceNamespace: "shop" }], "1s", 1],
      [undefined, "5s", 0],
    ]);
  });

  it("declares external hosts to the callers' namespaces only", () => {
    expect(find("ServiceEntry", "stripe").spec).toEqual({
      hosts: ["api.stripe.com"],
      location: "MESH_EXTERNAL",
      resolution: "DNS",
      ports: [{ number: 443, name: "https", protocol: "HTTPS" }],
      exportTo: ["backend"],
    });
    expect(find("ServiceEntry", "ldap").spec.ports).toEqual([{ number: 389, name: "ldap", protocol: "TCP" }]);
    expect(find("Sidecar", "api").spec.egress[0].hosts).toContain("shop/api.stripe.com");
    expect(find("Sidecar", "api").spec.outboundTrafficPolicy).toEqual({ mode: "ALLOW_ANY" });
  });

  it("mirrors to another service, whose policy admits the mirrored callers and whose host their proxies know", () => {
    expect(find("VirtualService", "api").spec.http.at(-1)).toMatchObject({ mirror: { host: "shadow.backend.svc.cluster.local" }, mirrorPercentage: { value: 5 } });
    const principals = find("AuthorizationPolicy", "shadow").spec.rules.flatMap((r: any) => r.from[0].source.principals);
    expect(principals.sort()).toEqual(["shop.example/ns/shop/sa/public-gateway", "shop.example/ns/shop/sa/web", "shop.example/ns/shop/sa/web"]);
    expect(find("Sidecar", "web").spec.egress[0].hosts).toContain("backend/shadow.backend.svc.cluster.local");
  });

  it("applies a service's route rules to the gateway's traffic too", () => {
    const http = find("VirtualService", "ingress-public").spec.http;
    expect(http.map((r: any) => [JSON.stringify(r.match), r.route.map((d: any) => d.destination.subset ?? d.destination.host).join("+")])).toEqual([
      ['[{"uri":{"prefix":"/api/"},"method":{"exact":"POST"}}]', "stable+canary"],
      ['[{"uri":{"prefix":"/api/"},"method":{"regex":"^(GET|POST)$"}}]', "stable"],
      ['[{"uri":{"prefix":"/"}}]', "web.shop.svc.cluster.local"],
    ]);
  });

  it("reports request matches and request policy on a TCP route rule (should the checks let one through)", () => {
    const route = ir.routes.find((r) => r.id === "backend/db:pg")!;
    const rule = route.rules[0]!;
    const matched = { ...rule, match: { headers: [{ name: "a", match: { kind: "exact" as const, value: "b" } }] }, timeoutMs: 1000 };
    const mutated: MeshIR = { ...ir, routes: ir.routes.map((r) => (r === route ? { ...route, rules: [matched, rule] } : r)) };
    const { diagnostics } = istioObjects(mutated);
    expect(diagnostics.map((d) => d.message).filter((m) => m.includes("route rule"))).toEqual([
      expect.stringContaining("cannot express request matches on a TCP port"),
    ]);
  });
});
