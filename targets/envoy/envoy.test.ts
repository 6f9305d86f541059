import { Deployment } from "kubernetes-models/apps/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { ConfigMap, Service, ServiceAccount } from "kubernetes-models/v1";
import YAML from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import type { Artifact } from "../../compiler/artifact.js";
import { renderOutput, serialize } from "../../compiler/writer.js";
import { envoyProtoInfo, formatEnvoyIssues, validateEnvoyBootstrap, validateEnvoyMessage } from "../../test/support/envoy-validator.js";
import { bootstrapOf, compiledExample, configMaps, yamlObjects, type KubeObject } from "./__fixtures__/examples.js";
import { sidecarConfig } from "./bootstrap.js";
import { envoyTarget } from "./index.js";
import { envoyYaml } from "./kubernetes.js";
import { indexMesh, Reporter } from "./model.js";
import { ENVOY_IMAGE, UPSTREAMS_ANNOTATION } from "./naming.js";

beforeAll(() => {
  envoyProtoInfo();
}, 120_000);

const SECRET_TYPE = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret";

/** Every artifact as one reviewable text: a path header, then what the writer writes. */
function golden(artifacts: readonly Artifact[]): string {
  return artifacts.map((a) => `# ${a.path}\n${serialize(a).toString("utf8")}`).join("---\n");
}

const models: Record<string, new (data: never) => { validate(): void; apiVersion: string; kind: string }> = {
  ConfigMap,
  Service,
  ServiceAccount,
  Deployment,
  NetworkPolicy,
};

function validateObject(o: KubeObject): void {
  const Model = models[o.kind];
  if (!Model) throw new Error(`no model for ${o.kind}`);
  const { apiVersion, kind, ...data } = o;
  const instance = new Model(data as never);
  expect(`${apiVersion}/${kind}`).toBe(`${instance.apiVersion}/${instance.kind}`);
  instance.validate();
}

/** A Deployment as the kubernetes target writes it, with a sidecar patch merged the way strategic merge does. */
function patchedDeployment(patch: KubeObject): KubeObject {
  const spec = patch.spec.template.spec;
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: patch.metadata,
    spec: {
      selector: { matchLabels: { app: "x" } },
      template: {
        metadata: { labels: { app: "x" }, annotations: patch.spec.template.metadata.annotations },
        spec: { containers: [{ name: "app", image: "example/app:1" }], initContainers: spec.initContainers, volumes: spec.volumes },
      },
    },
  };
}

describe.each(["bookinfo", "online-boutique"])("envoy target on %s", (name) => {
  let artifacts: readonly Artifact[];
  beforeAll(() => {
    artifacts = compiledExample(name).result.artifacts;
  });

  it("matches the golden file", async () => {
    await expect(golden(artifacts)).toMatchFileSnapshot(`./__snapshots__/${name}.yaml`);
  });

  it("reports nothing: the example declares nothing the envoy target cannot express", () => {
    expect(compiledExample(name).result.diagnostics).toEqual([]);
  });

  it("writes bootstraps the Envoy v3 protos decode strictly, with zero issues", () => {
    const maps = configMaps(artifacts);
    expect(maps.size).toBeGreaterThan(0);
    for (const [cm, files] of maps) {
      expect(formatEnvoyIssues(validateEnvoyBootstrap(files["envoy.yaml"])), cm).toBe("");
    }
  });

  it("writes SDS files that each hold one Secret the protos decode strictly", () => {
    for (const [cm, files] of configMaps(artifacts)) {
      const sds = Object.entries(files).filter(([file]) => file.startsWith("sds-"));
      expect(sds.length, cm).toBeGreaterThanOrEqual(2);
      for (const [file, doc] of sds) {
        expect(Object.keys(doc)).toEqual(["resources"]);
        expect(doc.resources).toHaveLength(1);
        const { "@type": type, ...secret } = doc.resources[0];
        expect(type).toBe(SECRET_TYPE);
        expect(formatEnvoyIssues(validateEnvoyMessage("envoy.extensions.transport_sockets.tls.v3.Secret", secret)), `${cm} ${file}`).toBe("");
      }
    }
  });

  it("writes YAML that YAML 1.1 (Envoy's yaml-cpp) and YAML 1.2 read as the same document", () => {
    const { ir } = compiledExample(name);
    const index = indexMesh(ir);
    for (const service of ir.services) {
      const { bootstrap } = sidecarConfig(index, service, new Reporter());
      const text = envoyYaml(bootstrap);
      expect(YAML.parse(text, { version: "1.2" })).toEqual(bootstrap);
      expect(YAML.parse(text, { version: "1.1" })).toEqual(bootstrap);
    }
  });

  it("emits Kubernetes objects kubernetes-models validates, and patches that make valid Deployments", () => {
    for (const { path, object } of yamlObjects(artifacts)) {
      if (path.includes("/patches/")) {
        if (object.kind === "Deployment") validateObject(patchedDeployment(object));
        else expect(object.kind).toBe("Service");
      } else validateObject(object);
    }
  });

  it("keeps key material out: ConfigMaps name certificate files, never hold them, and nothing is sensitive", () => {
    for (const a of artifacts) expect("sensitive" in a && a.sensitive).toBeFalsy();
    const text = golden(artifacts);
    expect(text).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);
    expect(text).not.toMatch(/inline_(string|bytes)/);
  });

  it("binds the admin interface to 127.0.0.1 only, and pins the Envoy image", () => {
    for (const [cm, files] of configMaps(artifacts)) {
      expect(files["envoy.yaml"].admin.address.socket_address.address, cm).toBe("127.0.0.1");
    }
    expect(ENVOY_IMAGE).toMatch(/^envoyproxy\/envoy:v\d+\.\d+\.\d+$/);
    expect(golden(artifacts)).not.toMatch(/envoyproxy\/envoy:(?!v1\.32\.3)/);
  });

  it("lists every object, and no patch, in out/envoy/kustomization.yaml", () => {
    const files = renderOutput(artifacts);
    const kustomization = YAML.parse(files.find((f) => f.path === "envoy/kustomization.yaml")!.data.toString("utf8")) as { resources: string[] };
    // Every object, read back from the files the kustomization lists; no patch among them.
    const listed = kustomization.resources.flatMap((r) => YAML.parseAllDocuments(files.find((f) => f.path === `envoy/${r}`)!.data.toString("utf8")).map((d) => d.toJS()));
    const expected = artifacts.filter((a) => !a.path.includes("/patches/")).map((a) => (a as { yaml: unknown }).yaml);
    expect(listed).toEqual(expected);
    expect(artifacts.filter((a) => a.path.includes("/patches/")).length).toBeGreaterThan(0);
  });

  it("is deterministic: a second run writes the same bytes", () => {
    const again = envoyTarget.run(compiledExample(name).ir, { stateDir: "/nonexistent" });
    expect(golden(again.artifacts)).toBe(golden(artifacts));
  });
});

describe("bookinfo", () => {
  let artifacts: readonly Artifact[];
  beforeAll(() => {
    artifacts = compiledExample("bookinfo").result.artifacts;
  });
  const spiffe = (sa: string) => `spiffe://cluster.local/ns/bookinfo/sa/${sa}`;
  const listener = (boot: any, name: string) => boot.static_resources.listeners.find((l: any) => l.name === name);
  const hcm = (l: any) => l.filter_chains[0].filters[0].typed_config;
  const routesOf = (l: any) => hcm(l).route_config.virtual_hosts[0].routes;

  it("admits only reviews' principal, with GET, on ratings' inbound 9080 listener", () => {
    const ratings = bootstrapOf(artifacts, "bookinfo", "ratings-envoy");
    const servicePatch = yamlObjects(artifacts).find((o) => o.path === "envoy/bookinfo/patches/service-ratings.yaml")!.object;
    expect(servicePatch.spec.ports).toEqual([{ port: 9080, protocol: "TCP", targetPort: 15100 }]);
    const inbound = listener(ratings, "inbound|http");
    expect(inbound.address.socket_address).toEqual({ address: "0.0.0.0", port_value: 15100 });
    const rbac = hcm(inbound).http_filters[0];
    expect(rbac.name).toBe("envoy.filters.http.rbac");
    expect(rbac.typed_config.rules).toEqual({
      action: "ALLOW",
      policies: {
        "call:bookinfo/reviews->bookinfo/ratings:http": {
          permissions: [{ header: { name: ":method", string_match: { exact: "GET" } } }],
          principals: [{ authenticated: { principal_name: { exact: spiffe("bookinfo-reviews") } } }],
        },
      },
    });
    expect(inbound.filter_chains[0].transport_socket.typed_config.require_client_certificate).toBe(true);
    // The app behind it is on 127.0.0.1:9080.
    const local = ratings.static_resources.clusters.find((c: any) => c.name === "inbound|9080||");
    expect(local.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({ address: "127.0.0.1", port_value: 9080 });
  });

  it("rate-limits ratings with a token bucket of 100 per second plus a burst of 20, after RBAC", () => {
    const filters = hcm(listener(bootstrapOf(artifacts, "bookinfo", "ratings-envoy"), "inbound|http")).http_filters;
    expect(filters.map((f: any) => f.name)).toEqual(["envoy.filters.http.rbac", "envoy.filters.http.local_ratelimit", "envoy.filters.http.router"]);
    expect(filters[1].typed_config.token_bucket).toEqual({ max_tokens: 120, tokens_per_fill: 100, fill_interval: "1s" });
  });

  it("gives productpage upstreams for exactly details and reviews", () => {
    const patch = yamlObjects(artifacts).find((o) => o.path === "envoy/bookinfo/patches/deployment-productpage-v1.yaml")!.object;
    expect(Object.keys(JSON.parse(patch.spec.template.metadata.annotations![UPSTREAMS_ANNOTATION]!))).toEqual(["details.bookinfo:http", "reviews.bookinfo:http"]);
    const boot = bootstrapOf(artifacts, "bookinfo", "productpage-envoy");
    const outbound = boot.static_resources.listeners.filter((l: any) => l.name.startsWith("outbound|")).map((l: any) => l.name);
    expect(outbound).toEqual(["outbound|details.bookinfo:http", "outbound|reviews.bookinfo:http"]);
    const upstreamClusters = boot.static_resources.clusters.filter((c: any) => c.name.startsWith("outbound|")).map((c: any) => c.name);
    expect(upstreamClusters).toEqual([
      "outbound|9080|v1|reviews.bookinfo",
      "outbound|9080|v2|reviews.bookinfo",
      "outbound|9080|v3|reviews.bookinfo",
      "outbound|9080||details.bookinfo",
    ]);
    // Each upstream verifies the callee's SPIFFE id.
    for (const c of boot.static_resources.clusters.filter((x: any) => x.name.startsWith("outbound|"))) {
      const sans = c.transport_socket.typed_config.common_tls_context.combined_validation_context.default_validation_context.match_typed_subject_alt_names;
      expect(sans).toEqual([{ san_type: "URI", matcher: { exact: spiffe(c.name.endsWith("details.bookinfo") ? "bookinfo-details" : "bookinfo-reviews") } }]);
    }
  });

  it("routes productpage's calls to reviews: end-user jason to v2 first, then the 50/50 split with a 10% mirror to v2", () => {
    const routes = routesOf(listener(bootstrapOf(artifacts, "bookinfo", "productpage-envoy"), "outbound|reviews.bookinfo:http"));
    expect(routes).toHaveLength(2);
    expect(routes[0].match).toEqual({ prefix: "/", headers: [{ name: "end-user", string_match: { exact: "jason" } }] });
    expect(routes[0].route.cluster).toBe("outbound|9080|v2|reviews.bookinfo");
    expect(routes[1].match).toEqual({ prefix: "/" });
    expect(routes[1].route.weighted_clusters).toEqual({
      clusters: [
        { name: "outbound|9080|v1|reviews.bookinfo", weight: 50 },
        { name: "outbound|9080|v3|reviews.bookinfo", weight: 50 },
      ],
    });
    expect(routes[1].route.request_mirror_policies).toEqual([
      { cluster: "outbound|9080|v2|reviews.bookinfo", runtime_fraction: { default_value: { numerator: 10, denominator: "HUNDRED" } } },
    ]);
    expect(routes.map((r: any) => r.route.timeout)).toEqual(["3s", "3s"]);
  });

  it("injects the 7s delay for jason on reviews' calls to ratings, through the fault filter", () => {
    const l = listener(bootstrapOf(artifacts, "bookinfo", "reviews-envoy"), "outbound|ratings.bookinfo:http");
    expect(hcm(l).http_filters.map((f: any) => f.name)).toEqual(["envoy.filters.http.fault", "envoy.filters.http.router"]);
    const [jason, rest] = routesOf(l);
    expect(jason.match.headers).toEqual([{ name: "end-user", string_match: { exact: "jason" } }]);
    expect(jason.typed_per_filter_config["envoy.filters.http.fault"]).toEqual({
      "@type": "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault",
      delay: { fixed_delay: "7s", percentage: { numerator: 100, denominator: "HUNDRED" } },
    });
    expect(rest.typed_per_filter_config).toBeUndefined();
    expect(rest.route.cluster).toBe("outbound|9080|v1|ratings.bookinfo");
  });

  it("applies productpage's retries and timeout to details", () => {
    const [route] = routesOf(listener(bootstrapOf(artifacts, "bookinfo", "productpage-envoy"), "outbound|details.bookinfo:http"));
    expect(route.route).toMatchObject({ timeout: "2s", retry_policy: { retry_on: "5xx,reset", num_retries: 2, per_try_timeout: "0.5s" } });
  });

  it("rejects a deliberately broken config: the validator bites", () => {
    const boot = structuredClone(bootstrapOf(artifacts, "bookinfo", "ratings-envoy"));
    expect(validateEnvoyBootstrap(boot)).toEqual([]);
    const rbac = hcm(listener(boot, "inbound|http")).http_filters[0].typed_config;
    rbac.rules.policies["call:bookinfo/reviews->bookinfo/ratings:http"].principals[0].authenticated.principal_nam = { exact: "x" };
    const cluster = boot.static_resources.clusters[0];
    cluster.connect_timeout = 10;
    const issues = validateEnvoyBootstrap(boot);
    expect(issues.map((i) => i.path)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/http_filters\[0\]\.typed_config\.rules\.policies\[.*\]\.principals\[0\]\.authenticated\.principal_nam$/),
        "$.static_resources.clusters[0].connect_timeout",
      ]),
    );
  });
});
