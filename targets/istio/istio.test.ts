// The Istio target on the examples: every object passes the upstream CRD schemas (strict, with
// their CEL rules), the output is the golden file, bookinfo's policies say exactly what the
// mesh says, and `kubectl apply -k out/istio` gets every file.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Namespace, Secret } from "kubernetes-models/v1";
import YAML from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import type { Artifact } from "../../compiler/artifact.js";
import { buildMesh } from "../../compiler/build.js";
import { compileMesh } from "../../compiler/compile.js";
import type { MeshIR } from "../../compiler/ir.js";
import { serialize } from "../../compiler/writer.js";
import { validateCustomResource } from "../../test/support/crd-validator.js";
import { formatEnvoyIssues, validateEnvoyMessage } from "../../test/support/envoy-validator.js";
import { example } from "../../test/helpers/mesh.js";
import { targetNamed } from "../index.js";
import { createIstioTarget, istioTarget } from "./index.js";
import { localRateLimitFilter } from "./rate-limit.js";

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace: string; labels: Record<string, string> }; spec: any };

const EXAMPLES = ["bookinfo", "online-boutique"] as const;
const meshes: Record<string, MeshIR> = {};
const run = (ir: MeshIR) => istioTarget.run(ir, { stateDir: "/nonexistent" });
const objectsOf = (artifacts: readonly Artifact[]) => artifacts.map((a) => ("yaml" in a ? (a.yaml as Obj) : undefined)).filter((o): o is Obj => o !== undefined);

beforeAll(() => {
  for (const name of EXAMPLES) {
    const { ir } = compileMesh(example(name), { skipTypeCheck: true });
    if (!ir) throw new Error(`${name} did not compile`);
    meshes[name] = ir;
  }
});

/** The golden form: every file the target writes, in path order, as the writer writes it. */
function golden(artifacts: readonly Artifact[]): string {
  return artifacts.map((a) => `# ${a.path}\n${serialize(a).toString("utf8")}`).join("---\n");
}

describe.each(EXAMPLES)("%s", (name) => {
  it("emits only objects the Istio CRD schemas accept, at their storage versions", () => {
    const objects = objectsOf(run(meshes[name]!).artifacts);
    expect(objects.length).toBeGreaterThan(10);
    // Core objects (the injection-labelled Namespaces) are checked by kubernetes-models; custom resources by their CRDs.
    const core = objects.filter((o) => o.apiVersion === "v1");
    expect(core.map((o) => o.kind)).toEqual(core.map(() => "Namespace"));
    for (const ns of core) {
      new Namespace(ns as never).validate();
      expect(ns.metadata.labels["istio-injection"]).toBe("enabled");
    }
    const issues = objects
      .filter((o) => o.apiVersion !== "v1")
      .flatMap((o) => validateCustomResource(o, { requireStorageVersion: true }).map((i) => `${o.kind}/${o.metadata.name} ${i.path}: ${i.message}`));
    expect(issues).toEqual([]);
    for (const o of objects) {
      expect(o.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      expect(o.metadata.labels["app.kubernetes.io/managed-by"]).toBe("meshc");
    }
  });

  it("matches the golden file", async () => {
    await expect(golden(run(meshes[name]!).artifacts)).toMatchFileSnapshot(`./__snapshots__/${name}.yaml`);
  });

  it("has nothing Istio cannot express", () => {
    expect(run(meshes[name]!).diagnostics).toEqual([]);
  });

  it("is deterministic", () => {
    const ir = meshes[name]!;
    expect(golden(run(structuredClone(ir)).artifacts)).toBe(golden(run(ir).artifacts));
  });

  it("writes rate limits whose Envoy filter Envoy's own protos accept", () => {
    for (const service of meshes[name]!.services) {
      const filter = localRateLimitFilter(service);
      if (!filter) continue;
      expect(formatEnvoyIssues(validateEnvoyMessage("envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter", filter))).toBe("");
    }
  });
});

describe("the CRD validation bites", () => {
  it("rejects a generated object with a field the schema does not have, or a CEL violation", () => {
    const objects = objectsOf(run(meshes.bookinfo!).artifacts);
    const dr = structuredClone(objects.find((o) => o.kind === "DestinationRule" && o.metadata.name === "reviews")!);
    dr.spec.trafficPolicy.outlierDetection.consecutiveErrorz = 5;
    expect(validateCustomResource(dr).map((i) => i.path).join()).toMatch(/outlierDetection/);
    const vs = structuredClone(objects.find((o) => o.kind === "VirtualService" && o.metadata.name === "details")!);
    vs.spec.http[0].timeout = "0s";
    expect(validateCustomResource(vs).some((i) => i.rule?.includes("duration"))).toBe(true);
  });
});

describe("bookinfo", () => {
  const objects = () => objectsOf(run(meshes.bookinfo!).artifacts);
  const policy = (name: string) => objects().find((o) => o.kind === "AuthorizationPolicy" && o.metadata.name === name)!;
  const principal = (sa: string) => `cluster.local/ns/bookinfo/sa/${sa}`;

  it("denies by default in its namespace", () => {
    expect(policy("allow-nothing").spec).toEqual({});
    expect(objects().find((o) => o.kind === "PeerAuthentication" && o.metadata.name === "default")!.spec).toEqual({ mtls: { mode: "STRICT" } });
  });

  it("ratings admits only reviews' principal, with GET, on its container port", () => {
    expect(policy("ratings").spec).toEqual({
      selector: { matchLabels: { app: "ratings" } },
      action: "ALLOW",
      rules: [{ from: [{ source: { principals: [principal("bookinfo-reviews")] } }], to: [{ operation: { ports: ["9080"], methods: ["GET"] } }] }],
    });
  });

  it("details and reviews admit only productpage's principal", () => {
    for (const name of ["details", "reviews"]) {
      const principals = policy(name).spec.rules.flatMap((r: any) => r.from.flatMap((f: any) => f.source.principals));
      expect(principals).toEqual([principal("bookinfo-productpage")]);
    }
  });

  it("admits no principal the mesh did not declare as a caller of that workload", () => {
    const ir = meshes.bookinfo!;
    for (const p of objects().filter((o) => o.kind === "AuthorizationPolicy" && o.spec.selector)) {
      const service = ir.services.find((s) => s.selector.app === p.spec.selector.matchLabels.app);
      const declared = new Set<string>();
      for (const c of ir.calls) {
        if (c.to.kind === "service" && c.to.service === service?.id && c.from.kind === "service") declared.add(ir.services.find((s) => s.id === (c.from as { service: string }).service)!.identity.principal);
      }
      for (const i of ir.ingresses) for (const r of i.routes) if (r.to.service === service?.id) declared.add(i.gateway.identity.principal);
      const found = p.spec.rules.flatMap((r: any) => (r.from ?? []).flatMap((f: any) => f.source.principals));
      for (const x of found) expect(declared, `${p.metadata.name} admits ${x}`).toContain(x);
    }
  });

  it("routes end-user jason to reviews v2 before the catch-all split", () => {
    const vs = objects().find((o) => o.kind === "VirtualService" && o.metadata.name === "reviews")!;
    const [first, last] = [vs.spec.http[0], vs.spec.http[vs.spec.http.length - 1]];
    expect(first.match).toEqual([{ headers: { "end-user": { exact: "jason" } } }]);
    expect(first.route).toEqual([{ destination: { host: "reviews.bookinfo.svc.cluster.local", subset: "v2" } }]);
    expect(last.match).toBeUndefined();
    expect(last.route.map((r: any) => [r.destination.subset, r.weight])).toEqual([
      ["v1", 50],
      ["v3", 50],
    ]);
    expect(vs.spec.http).toHaveLength(2);
  });

  it("limits each proxy's egress to what its service calls", () => {
    const sidecar = objects().find((o) => o.kind === "Sidecar" && o.metadata.name === "reviews")!;
    expect(sidecar.spec).toEqual({
      workloadSelector: { labels: { app: "reviews" } },
      egress: [{ hosts: ["./ratings.bookinfo.svc.cluster.local", "istio-system/*"] }],
      outboundTrafficPolicy: { mode: "REGISTRY_ONLY" },
    });
  });
});

describe("the target", () => {
  it("is registered", () => {
    expect(targetNamed("istio")).toBe(istioTarget);
  });

  it("writes a kustomization.yaml that lists every file it writes", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "meshc-istio-"));
    try {
      const result = await buildMesh(example("bookinfo"), { targets: ["istio"], outDir: out, skipTypeCheck: true });
      expect(result.ok).toBe(true);
      const root = path.join(out, "istio");
      const kustomization = YAML.parse(fs.readFileSync(path.join(root, "kustomization.yaml"), "utf8"));
      const files = fs
        .readdirSync(root, { recursive: true })
        .map(String)
        .filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")
        .map((f) => f.split(path.sep).join("/"))
        .sort();
      expect(kustomization.kind).toBe("Kustomization");
      expect([...kustomization.resources].sort()).toEqual(files);
      // Every object, in the files the kustomization lists (a file holds a namespace's objects).
      const documents = files.flatMap((f) => YAML.parseAllDocuments(fs.readFileSync(path.join(root, f), "utf8")).map((d) => d.toJS()));
      expect(documents).toEqual(run(meshes.bookinfo!).artifacts.map((a) => (a as { yaml: unknown }).yaml));
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it("writes the cacerts Secret from the plug-in CA seam only with includeSecrets", () => {
    const ca = {
      caCert: "-----BEGIN CERTIFICATE-----\nintermediate\n-----END CERTIFICATE-----\n",
      caKey: "-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n",
      rootCert: "-----BEGIN CERTIFICATE-----\nroot\n-----END CERTIFICATE-----\n",
      certChain: "-----BEGIN CERTIFICATE-----\nintermediate\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nroot\n-----END CERTIFICATE-----\n",
    };
    const target = createIstioTarget({ pluginCa: () => ca });
    const without = target.run(meshes.bookinfo!, { stateDir: "/nonexistent" });
    expect(without.artifacts.some((a) => a.path.includes("secret-"))).toBe(false);
    const withSecrets = target.run(meshes.bookinfo!, { stateDir: "/nonexistent", includeSecrets: true });
    const secret = withSecrets.artifacts.find((a) => a.path === "istio/istio-system/secret-cacerts.yaml");
    expect(secret && "yaml" in secret && secret.sensitive).toBe(true);
    const obj = (secret as { yaml: any }).yaml;
    expect(() => new Secret(obj).validate()).not.toThrow();
    expect(Object.keys(obj.data).sort()).toEqual(["ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem"]);
    expect(Buffer.from(obj.data["ca-key.pem"], "base64").toString()).toBe(ca.caKey);
  });
});
