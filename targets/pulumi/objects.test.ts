import { describe, expect, it } from "vitest";
import { kubernetesArtifact, type Artifact } from "../../compiler/artifact.js";
import { kindOf, objectKey, planObjects, withObjects } from "./objects.js";

const ns = { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } };
const service = { apiVersion: "v1", kind: "Service", metadata: { name: "web", namespace: "shop" }, spec: { ports: [{ name: "http", port: 80, targetPort: 8080 }] } };
const deployment = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "shop" }, spec: { template: { spec: { containers: [{ name: "app", image: "web:1" }] } } } };

describe("object identity", () => {
  it("names objects by kind, group, namespace and name, never by version or target", () => {
    expect(objectKey(ns)).toBe("Namespace/shop");
    expect(objectKey(deployment)).toBe("Deployment.apps/shop/web");
    expect(objectKey({ ...deployment, apiVersion: "apps/v1beta2" })).toBe("Deployment.apps/shop/web");
    expect(kindOf({ apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy" })).toBe("AuthorizationPolicy.security.istio.io");
    expect(kindOf({ apiVersion: "policy.linkerd.io/v1alpha1", kind: "AuthorizationPolicy" })).toBe("AuthorizationPolicy.policy.linkerd.io");
  });
});

describe("planObjects", () => {
  it("keeps one object per identity, the later target's, and drops sensitive and non-Kubernetes artifacts", () => {
    const annotated = { ...ns, metadata: { ...ns.metadata, annotations: { "linkerd.io/inject": "enabled" } } };
    const secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "cacerts", namespace: "istio-system" }, data: { "ca-key.pem": "eA==" } };
    const artifacts: Artifact[] = [
      kubernetesArtifact("kubernetes", ns),
      kubernetesArtifact("kubernetes", service),
      kubernetesArtifact("linkerd", annotated),
      kubernetesArtifact("istio", secret, { sensitive: true }),
      { path: "envoy/shop/bootstrap.json", json: { a: 1 } },
      { path: "certs/root.pem", text: "-----BEGIN CERTIFICATE-----" },
    ];
    const plan = planObjects(artifacts);
    expect(plan.objects.map((o) => [o.key, o.source])).toEqual([
      ["Namespace/shop", "linkerd"],
      ["Service/shop/web", "kubernetes"],
    ]);
    expect(plan.objects[0]!.object).toEqual(annotated);
    expect(plan.sensitive).toEqual(["istio/istio-system/secret-cacerts.yaml"]);
    expect(plan.overridden).toEqual([["kubernetes/_cluster/namespace-shop.yaml", "linkerd/_cluster/namespace-shop.yaml"]]);
  });

  it("folds a patch into the object it names, and keeps a patch whose object the stack does not own", () => {
    const sidecar = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "shop" }, spec: { template: { spec: { initContainers: [{ name: "envoy" }] } } } };
    const foreign = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "other", namespace: "shop" }, spec: { replicas: 1 } };
    const plan = planObjects([
      kubernetesArtifact("kubernetes", deployment),
      { path: "envoy/shop/patches/deployment-web.yaml", yaml: sidecar },
      { path: "envoy/shop/patches/deployment-other.yaml", yaml: foreign },
    ]);
    expect(plan.objects).toHaveLength(1);
    expect(plan.objects[0]!.object.spec).toEqual({ template: { spec: { containers: [{ name: "app", image: "web:1" }], initContainers: [{ name: "envoy" }] } } });
    expect(plan.merged).toEqual(["envoy/shop/patches/deployment-web.yaml"]);
    expect(plan.patches.map((p) => p.key)).toEqual(["Deployment.apps/shop/other"]);
  });

  it("lets the PKI's objects replace a target's object of the same identity", () => {
    const trustRoots = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "linkerd-identity-trust-roots", namespace: "linkerd" }, data: { "ca-bundle.crt": "from the certs target" } };
    const fromPki = { ...trustRoots, data: { "ca-bundle.crt": "from Pulumi" } };
    const plan = withObjects(planObjects([kubernetesArtifact("linkerd", trustRoots)]), [fromPki], "pki");
    expect(plan.objects.map((o) => [o.key, o.source, o.object.data])).toEqual([["ConfigMap/linkerd/linkerd-identity-trust-roots", "pki", { "ca-bundle.crt": "from Pulumi" }]]);
    expect(plan.overridden).toEqual([["linkerd/linkerd/configmap-linkerd-identity-trust-roots.yaml", "pki:ConfigMap/linkerd/linkerd-identity-trust-roots"]]);
  });
});
