import { Deployment, type IDeployment } from "kubernetes-models/apps/v1";
import { NetworkPolicy, type INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { Namespace, Service, ServiceAccount, type IService } from "kubernetes-models/v1";
import { beforeAll, describe, expect, it } from "vitest";
import type { Artifact } from "../../compiler/artifact.js";
import { compileMesh } from "../../compiler/compile.js";
import { hasErrors } from "../../compiler/diagnostics.js";
import type { MeshIR } from "../../compiler/ir.js";
import { serialize } from "../../compiler/writer.js";
import { compileSource, example } from "../../test/helpers/mesh.js";
import { shopMesh } from "./__fixtures__/shop.js";
import { kubernetesTarget } from "./index.js";

type KubeObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: unknown };

const models: Record<string, new (data: never) => { validate(): void }> = {
  Namespace,
  ServiceAccount,
  Service,
  Deployment,
  NetworkPolicy,
};

/** Builds the kubernetes-models class for the object and runs its schema validation (throws on a violation). */
function validate(object: KubeObject): void {
  const Model = models[object.kind];
  if (!Model) throw new Error(`no model for kind ${object.kind}`);
  const { apiVersion, kind, ...data } = object;
  const instance = new Model(data as never) as unknown as { validate(): void; apiVersion: string; kind: string };
  // The class fixes apiVersion and kind; a different one in the object is a different schema.
  expect(`${apiVersion}/${kind}`).toBe(`${instance.apiVersion}/${instance.kind}`);
  instance.validate();
}

// kubernetes-models checks the schema, not names; the API server does, so the test does too.
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
function validateNames(o: KubeObject): void {
  const name = o.metadata.name;
  // Services and Namespaces need DNS-1035/1123 labels; the other kinds here take subdomains.
  if (o.kind === "Service") expect(name).toMatch(/^[a-z]([-a-z0-9]*[a-z0-9])?$/);
  if (o.kind === "Namespace" || o.kind === "Service") expect(name.length).toBeLessThanOrEqual(63);
  expect(name).toMatch(o.kind === "Namespace" ? DNS1123_LABEL : DNS1123_SUBDOMAIN);
  if (o.metadata.namespace !== undefined) expect(o.metadata.namespace).toMatch(DNS1123_LABEL);
}

const objects = (artifacts: readonly Artifact[]) => artifacts.map((a) => ("yaml" in a ? (a.yaml as KubeObject) : undefined)).filter((o) => o !== undefined);

/** Every artifact as one reviewable text: a path header, then the YAML the writer writes. */
function golden(artifacts: readonly Artifact[]): string {
  return artifacts.map((a) => `# ${a.path}\n${serialize(a).toString("utf8")}`).join("---\n");
}

function run(ir: MeshIR | undefined) {
  if (!ir) throw new Error("the mesh did not compile");
  return kubernetesTarget.run(ir, { stateDir: "/nonexistent" });
}

describe.each(["bookinfo", "online-boutique"])("kubernetes target: %s", (name) => {
  let ir: MeshIR;
  let result: ReturnType<typeof run>;
  beforeAll(() => {
    const compiled = compileMesh(example(name));
    expect(hasErrors(compiled.diagnostics)).toBe(false);
    ir = compiled.ir!;
    result = run(ir);
  });

  it("matches the golden file", async () => {
    await expect(golden(result.artifacts)).toMatchFileSnapshot(`./__snapshots__/${name}.yaml`);
  });

  it("reports nothing: the example says nothing Kubernetes cannot express", () => {
    expect(result.diagnostics).toEqual([]);
  });

  it("emits objects every one of which kubernetes-models validates", () => {
    const all = objects(result.artifacts);
    expect(all.length).toBe(result.artifacts.length);
    for (const o of all) {
      validate(o);
      validateNames(o);
      expect(o.metadata.labels).toMatchObject({ "app.kubernetes.io/managed-by": "meshc", "meshc.dev/mesh": ir.name });
    }
  });

  it("is deterministic", () => {
    expect(golden(run(ir).artifacts)).toBe(golden(result.artifacts));
  });

  it("has a Namespace per namespace, a ServiceAccount per identity, a Service per service with ports", () => {
    const all = objects(result.artifacts);
    const names = (kind: string) => all.filter((o) => o.kind === kind).map((o) => `${o.metadata.namespace ?? ""}/${o.metadata.name}`);
    expect(names("Namespace")).toEqual(ir.namespaces.map((n) => `/${n}`));
    expect(names("ServiceAccount")).toEqual(ir.identities.map((i) => `${i.namespace}/${i.serviceAccount}`));
    expect(names("Service").sort()).toEqual(
      ir.services
        .filter((s) => s.ports.length > 0)
        .map((s) => `${s.namespace}/${s.name}`)
        .sort(),
    );
  });
});

describe("kubernetes target: what the objects say", () => {
  let boutique: KubeObject[];
  let bookinfo: KubeObject[];
  beforeAll(() => {
    boutique = objects(run(compileMesh(example("online-boutique")).ir).artifacts);
    bookinfo = objects(run(compileMesh(example("bookinfo")).ir).artifacts);
  });
  const find = <T>(list: KubeObject[], kind: string, name: string) => {
    const o = list.find((x) => x.kind === kind && x.metadata.name === name);
    if (!o) throw new Error(`no ${kind} ${name}`);
    return o as unknown as T;
  };

  it("maps protocols to appProtocol and keeps the target port", () => {
    const email = find<IService>(boutique, "Service", "emailservice");
    expect(email.spec!.ports).toEqual([{ name: "grpc", port: 5000, targetPort: 8080, protocol: "TCP", appProtocol: "kubernetes.io/h2c" }]);
    expect(email.spec!.selector).toEqual({ app: "emailservice" });
    expect(find<IService>(boutique, "Service", "redis-cart").spec!.ports![0]!.appProtocol).toBe("tcp");
    expect(find<IService>(boutique, "Service", "frontend").spec!.ports![0]!.appProtocol).toBe("http");
  });

  it("emits no Service for a service without ports, but its Deployment", () => {
    expect(boutique.some((o) => o.kind === "Service" && o.metadata.name === "loadgenerator")).toBe(false);
    expect(find<IDeployment>(boutique, "Deployment", "loadgenerator").spec!.template.spec!.containers[0]!.ports).toBeUndefined();
  });

  it("emits one Deployment per version, labelled app + version, with the container port", () => {
    const deployments = bookinfo.filter((o) => o.kind === "Deployment").map((o) => o.metadata.name);
    expect(deployments).toEqual(["details-v1", "productpage-v1", "ratings-v1", "reviews-v1", "reviews-v2", "reviews-v3"]);
    const v2 = find<IDeployment>(bookinfo, "Deployment", "reviews-v2");
    expect(v2.spec!.selector.matchLabels).toEqual({ app: "reviews", version: "v2" });
    expect(v2.spec!.template.metadata!.labels).toEqual({ app: "reviews", version: "v2" });
    expect(v2.spec!.template.spec!.serviceAccountName).toBe("bookinfo-reviews");
    expect(v2.spec!.template.spec!.containers[0]).toMatchObject({
      image: "docker.io/istio/examples-bookinfo-reviews-v2:1.20.2",
      ports: [{ name: "http", containerPort: 9080, protocol: "TCP" }],
      env: [{ name: "LOG_DIR", value: "/tmp/logs" }],
    });
    const email = find<IDeployment>(boutique, "Deployment", "emailservice");
    expect(email.spec!.template.spec!.containers[0]!.ports).toEqual([{ name: "grpc", containerPort: 8080, protocol: "TCP" }]);
    expect(email.spec!.replicas).toBe(1);
    expect(find<IDeployment>(boutique, "Deployment", "productcatalogservice").spec!.replicas).toBe(2);
  });

  it("opens the container port, from exactly the declared callers", () => {
    const email = find<INetworkPolicy>(boutique, "NetworkPolicy", "allow-emailservice-grpc");
    expect(email.spec).toEqual({
      podSelector: { matchLabels: { app: "emailservice" } },
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "online-boutique" } }, podSelector: { matchLabels: { app: "checkoutservice" } } }],
          ports: [{ protocol: "TCP", port: 8080 }],
        },
      ],
    });
    const frontend = find<INetworkPolicy>(boutique, "NetworkPolicy", "allow-frontend-http");
    expect(frontend.spec!.ingress![0]!.from!.map((p) => p.podSelector!.matchLabels!.app)).toEqual(["public-gateway", "loadgenerator"]);
  });
});

describe("kubernetes target: validation bites", () => {
  it("rejects a Service port that is not a number", () => {
    const broken = { apiVersion: "v1", kind: "Service", metadata: { name: "x" }, spec: { ports: [{ port: "abc" }] } } as unknown as KubeObject;
    expect(() => validate(broken)).toThrow(/port must be integer/);
  });

  it("rejects a Deployment without a selector", () => {
    const broken = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x" }, spec: { template: {} } } as unknown as KubeObject;
    expect(() => validate(broken)).toThrow(/must have required property 'selector'|selector/);
  });

  it("rejects a NetworkPolicy with an unknown policy type", () => {
    const broken = { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "x" }, spec: { podSelector: {}, policyTypes: ["Sideways"] } } as unknown as KubeObject;
    expect(() => validate(broken)).toThrow(/allowed values/);
  });

  it("does not compile a misspelt field", () => {
    // @ts-expect-error `selectr` is not a field of a ServiceSpec; `npm run typecheck` fails if this compiles.
    const misspelt: IService = { apiVersion: "v1", kind: "Service", spec: { selectr: { app: "x" } } };
    expect(misspelt.kind).toBe("Service");
  });
});

describe("kubernetes target: meshes beyond the examples", () => {
  it("names the external host it cannot pin, and opens only its port", () => {
    const compiled = compileSource(`
import { defineMesh } from "meshc";
export default defineMesh(
  {
    name: "pay",
    namespace: "pay",
    services: { payments: { ports: { grpc: { port: 7000, protocol: "grpc" } }, workload: { image: "ghcr.io/acme/payments:1" } } },
    external: { stripe: { host: "api.stripe.com" } },
  },
  (s) => ({ calls: [{ from: s.payments, to: s.stripe.ports.https }] }),
);
`);
    const result = run(compiled.ir);
    expect(result.diagnostics.map((d) => `${d.code} ${d.span?.line}:${d.span?.column} ${d.message}`)).toEqual([
      'MESH200 8:17 kubernetes cannot express egress restricted to the host "api.stripe.com": NetworkPolicy matches IP addresses, not host names, so the callers of "stripe" may open port 443 to any address; the mesh\'s egress rules restrict the host',
    ]);
    const egress = objects(result.artifacts).find((o) => o.metadata.name === "allow-egress-payments") as unknown as INetworkPolicy;
    expect(egress.spec!.egress).toEqual([{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }, { ipBlock: { cidr: "::/0" } }], ports: [{ protocol: "TCP", port: 443 }] }]);
  });

  it("spans namespaces, keeps out of a gateway's shared namespace, and admits any caller from the namespaces the mesh owns and its gateways", async () => {
    const result = run(compileSource(shopMesh("registry-only")).ir);
    await expect(golden(result.artifacts)).toMatchFileSnapshot("./__snapshots__/shop.yaml");
    for (const o of objects(result.artifacts)) validate(o);
    const all = objects(result.artifacts);
    const inEdge = all.filter((o) => o.metadata.namespace === "edge").map((o) => `${o.kind}/${o.metadata.name}`);
    // Only the gateway's pods are selected there: no namespace-wide default deny.
    expect(inEdge).toEqual(["NetworkPolicy/allow-egress-gateway-public", "NetworkPolicy/allow-gateway-public"]);
    const auth = all.find((o) => o.metadata.name === "allow-auth-grpc") as unknown as INetworkPolicy;
    // `anyService` is every authenticated workload, the gateway too: its pods, not its neighbours.
    expect(auth.spec!.ingress![0]!.from).toEqual([
      { namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: ["payments", "shop"] }] } },
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "edge" } }, podSelector: { matchLabels: { app: "public-gateway" } } },
    ]);
    const gatewayEgress = all.find((o) => o.metadata.name === "allow-egress-gateway-public") as unknown as INetworkPolicy;
    expect(gatewayEgress.spec!.egress!.some((r) => r.to?.[0]?.podSelector?.matchLabels?.app === "auth" && r.ports?.[0]?.port === 7100)).toBe(true);
    // orders mirrors to orders-shadow: orders' callers send the copies.
    const shadow = all.find((o) => o.metadata.name === "allow-orders-shadow-grpc") as unknown as INetworkPolicy;
    expect(shadow.spec!.ingress![0]!.from!.map((p) => p.podSelector?.matchLabels?.app)).toEqual(["web"]);
    expect(result.diagnostics.map((d) => d.message)).toEqual([expect.stringContaining('"api.stripe.com"')]);
  });

  it("writes no egress policy when the mesh allows any egress", () => {
    const compiled = compileSource(`
import { defineMesh } from "meshc";
export default defineMesh(
  {
    name: "open",
    namespace: "open",
    defaults: { egress: "allow-any" },
    services: { a: { ports: { http: { port: 80, protocol: "http" } }, workload: { image: "nginx:1.27" } } },
    external: { stripe: { host: "api.stripe.com" } },
  },
  (s) => ({ calls: [{ from: s.a, to: s.stripe.ports.https }] }),
);
`);
    const result = run(compiled.ir);
    expect(result.diagnostics).toEqual([]);
    const policies = objects(result.artifacts).filter((o) => o.kind === "NetworkPolicy");
    expect(policies.map((p) => p.metadata.name)).toEqual(["default-deny-ingress"]);
  });

  it("reports a workload without an image instead of writing a Deployment that cannot run", () => {
    const compiled = compileSource(`
import { defineMesh } from "meshc";
export default defineMesh({
  name: "m",
  namespace: "m",
  services: {
    a: { ports: { http: { port: 80, protocol: "http" } }, versions: { v1: {}, v2: { workload: { image: "ghcr.io/acme/a:2" } } }, workload: { replicas: 2 } },
  },
});
`);
    const result = run(compiled.ir);
    expect(result.diagnostics.map((d) => `${d.code} ${d.severity} ${d.span?.line} ${d.message}`)).toEqual([
      'MESH200 warning 7 kubernetes cannot express a workload without an image: the Deployment "a-v1" of service "m/a" needs a container image; none is generated',
    ]);
    expect(objects(result.artifacts).filter((o) => o.kind === "Deployment").map((o) => o.metadata.name)).toEqual(["a-v2"]);
  });

  it("reports two declarations that generate one object name", () => {
    const compiled = compileSource(`
import { defineMesh } from "meshc";
export default defineMesh({
  name: "m",
  namespace: "m",
  services: {
    reviews: { ports: { http: { port: 80, protocol: "http" } }, versions: { v1: {} }, workload: { image: "ghcr.io/acme/r:1" } },
    "reviews-v1": { ports: { http: { port: 80, protocol: "http" } }, workload: { image: "ghcr.io/acme/r:1" } },
  },
});
`);
    const result = run(compiled.ir);
    expect(result.diagnostics.map((d) => `${d.code} ${d.severity} ${d.span?.line} ${d.message} | ${d.related?.map((r) => r.span.line).join(",")}`)).toEqual([
      'MESH101 error 8 Duplicate generated Deployment "reviews-v1". | 7',
    ]);
  });
});

describe("kubernetes target: sidecars reach their control plane", () => {
  const ir = compileMesh(example("bookinfo")).ir!;
  const policies = (targets: string[]) =>
    kubernetesTarget
      .run(ir, { stateDir: "/nonexistent", targets })
      .artifacts.map((a) => ("yaml" in a ? (a.yaml as INetworkPolicy) : undefined))
      .filter((o): o is INetworkPolicy => o?.kind === "NetworkPolicy" && o.metadata?.name === "allow-control-plane");

  it("opens egress to istiod and Linkerd's control plane only when those meshes are built too", () => {
    expect(policies(["kubernetes"])).toEqual([]);
    const [istio] = policies(["kubernetes", "istio"]);
    expect(istio!.metadata!.namespace).toBe("bookinfo");
    expect(istio!.spec!.egress).toEqual([
      { to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "istio-system" } }, podSelector: { matchLabels: { app: "istiod" } } }], ports: [{ protocol: "TCP", port: 15012 }] },
    ]);
    const [both] = policies(["kubernetes", "istio", "linkerd"]);
    expect(both!.spec!.egress!.map((r) => r.ports!.map((p) => p.port))).toEqual([[15012], [8080, 8086, 8090]]);
    new NetworkPolicy(both!).validate();
  });
});

describe("kubernetes target: built with the envoy sidecars", () => {
  it("opens no app port directly: the envoy target's policies admit callers on the sidecar ports", () => {
    const ir = compileMesh(example("bookinfo")).ir!;
    const names = (targets: string[]) =>
      kubernetesTarget
        .run(ir, { stateDir: "/nonexistent", targets })
        .artifacts.flatMap((a) => ("yaml" in a && (a.yaml as INetworkPolicy).kind === "NetworkPolicy" ? [(a.yaml as INetworkPolicy).metadata!.name!] : []));
    expect(names(["kubernetes"])).toContain("allow-ratings-http");
    expect(names(["kubernetes", "envoy"]).sort()).toEqual(["allow-dns", "default-deny-egress", "default-deny-ingress"]);
  });
});

describe("kubernetes target: ports that accept plaintext", () => {
  it("opens a permissive port to every source, and says NetworkPolicy cannot tell who is plaintext", () => {
    const result = compileSource(`import { defineMesh } from "meshc";
export default defineMesh({ name: "shop", namespace: "shop", services: {
  web: { ports: { http: { port: 80 }, metrics: { port: 9090, mtls: "permissive" } } },
  api: { ports: { http: { port: 8080 } } },
} }, (s) => ({ calls: [{ from: s.api, to: s.web.ports.http }, { from: s.api, to: s.web.ports.metrics }] }));
`);
    const run = kubernetesTarget.run(result.ir!, { stateDir: "/nonexistent" });
    const metrics = run.artifacts.find((a) => a.path.endsWith("networkpolicy-allow-web-metrics.yaml"));
    expect(("yaml" in metrics! ? (metrics.yaml as INetworkPolicy) : undefined)!.spec!.ingress).toEqual([{ ports: [{ protocol: "TCP", port: 9090 }] }]);
    expect(run.diagnostics.map((d) => [d.code, d.span?.line])).toEqual([["MESH200", 3]]);
    expect(run.diagnostics[0]!.message).toContain('identities on the permissive port "web:metrics"');
  });
});
