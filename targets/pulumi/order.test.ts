import { describe, expect, it } from "vitest";
import { objectKey, type KubeObject, type PlannedObject } from "./objects.js";
import { dependencies, roleOf } from "./order.js";

const obj = (apiVersion: string, kind: string, name: string, namespace: string | undefined, rest: Record<string, unknown> = {}): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name, ...(namespace !== undefined ? { namespace } : {}) },
  ...rest,
});
const planned = (o: KubeObject): PlannedObject => ({ key: objectKey(o), object: o, source: "test", path: `test/${o.metadata.name}` });

describe("roleOf", () => {
  it.each([
    ["NetworkPolicy with no ingress rule", obj("networking.k8s.io/v1", "NetworkPolicy", "d", "ns", { spec: { podSelector: {}, policyTypes: ["Ingress"] } }), "deny"],
    ["NetworkPolicy with no egress rule", obj("networking.k8s.io/v1", "NetworkPolicy", "d", "ns", { spec: { podSelector: {}, policyTypes: ["Egress"], egress: [] } }), "deny"],
    ["NetworkPolicy without policyTypes or rules", obj("networking.k8s.io/v1", "NetworkPolicy", "d", "ns", { spec: { podSelector: {} } }), "deny"],
    ["NetworkPolicy with rules", obj("networking.k8s.io/v1", "NetworkPolicy", "a", "ns", { spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{}] } }), "allow"],
    ["Istio allow-nothing", obj("security.istio.io/v1", "AuthorizationPolicy", "allow-nothing", "ns", { spec: {} }), "deny"],
    ["Istio DENY", obj("security.istio.io/v1", "AuthorizationPolicy", "x", "ns", { spec: { action: "DENY", rules: [{}] } }), "deny"],
    ["Istio ALLOW with rules", obj("security.istio.io/v1", "AuthorizationPolicy", "x", "ns", { spec: { rules: [{ from: [] }] } }), "allow"],
    ["Istio CUSTOM", obj("security.istio.io/v1", "AuthorizationPolicy", "x", "ns", { spec: { action: "CUSTOM", rules: [{}] } }), "other"],
    ["Linkerd Server", obj("policy.linkerd.io/v1beta3", "Server", "s", "ns", { spec: { port: 80 } }), "deny"],
    ["Linkerd Server open to all", obj("policy.linkerd.io/v1beta3", "Server", "s", "ns", { spec: { accessPolicy: "all-unauthenticated" } }), "other"],
    ["Linkerd AuthorizationPolicy", obj("policy.linkerd.io/v1alpha1", "AuthorizationPolicy", "a", "ns"), "allow"],
    ["Linkerd MeshTLSAuthentication", obj("policy.linkerd.io/v1alpha1", "MeshTLSAuthentication", "a", "ns"), "allow"],
    ["Namespace", obj("v1", "Namespace", "ns", undefined), "namespace"],
    ["CRD", obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "x.example.com", undefined), "definition"],
    ["Deployment", obj("apps/v1", "Deployment", "d", "ns"), "workload"],
    ["ServiceAccount", obj("v1", "ServiceAccount", "sa", "ns"), "config"],
    ["Service", obj("v1", "Service", "s", "ns"), "other"],
    ["an HTTPRoute", obj("gateway.networking.k8s.io/v1", "HTTPRoute", "r", "ns"), "other"],
  ])("%s", (_, object, role) => {
    expect(roleOf(object)).toBe(role);
  });
});

describe("dependencies", () => {
  const pod = (spec: Record<string, unknown>) => ({ spec: { template: { spec } } });
  it("orders namespace → CRD → allow and what attaches to a deny → deny → workload, within a namespace", () => {
    const objects = [
      obj("v1", "Namespace", "a", undefined),
      obj("v1", "Namespace", "b", undefined),
      obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "servers.policy.linkerd.io", undefined, { spec: { group: "policy.linkerd.io", names: { kind: "Server" } } }),
      obj("policy.linkerd.io/v1beta3", "Server", "web", "a"),
      obj("gateway.networking.k8s.io/v1", "HTTPRoute", "web-get", "a", { spec: { parentRefs: [{ group: "policy.linkerd.io", kind: "Server", name: "web" }] } }),
      obj("gateway.networking.k8s.io/v1", "HTTPRoute", "other", "a", { spec: { parentRefs: [{ group: "policy.linkerd.io", kind: "Server", name: "api" }] } }),
      obj("policy.linkerd.io/v1alpha1", "AuthorizationPolicy", "web", "a"),
      obj("networking.k8s.io/v1", "NetworkPolicy", "deny", "a", { spec: { podSelector: {}, policyTypes: ["Ingress"] } }),
      obj("networking.k8s.io/v1", "NetworkPolicy", "allow", "a", { spec: { podSelector: {}, ingress: [{}] } }),
      obj("networking.k8s.io/v1", "NetworkPolicy", "allow-b", "b", { spec: { podSelector: {}, ingress: [{}] } }),
      obj("v1", "ServiceAccount", "web", "a"),
      obj("v1", "ServiceAccount", "default", "b"),
      obj("v1", "ConfigMap", "web-config", "a"),
      obj("v1", "Secret", "web-cert", "a"),
      obj("v1", "Secret", "pull", "a"),
      obj("v1", "ConfigMap", "unused", "a"),
      obj("apps/v1", "Deployment", "web", "a", pod({ serviceAccountName: "web", imagePullSecrets: [{ name: "pull" }], volumes: [{ name: "c", configMap: { name: "web-config" } }, { name: "s", secret: { secretName: "web-cert" } }] })),
      obj("batch/v1", "CronJob", "job", "b", { spec: { jobTemplate: { spec: { template: { spec: { containers: [{ envFrom: [{ configMapRef: { name: "missing" } }] }] } } } } } }),
    ].map(planned);
    const deps = Object.fromEntries(dependencies(objects));
    expect(deps).toEqual({
      "Namespace/a": [],
      "Namespace/b": [],
      "CustomResourceDefinition.apiextensions.k8s.io/servers.policy.linkerd.io": [],
      "Server.policy.linkerd.io/a/web": [
        "AuthorizationPolicy.policy.linkerd.io/a/web",
        "CustomResourceDefinition.apiextensions.k8s.io/servers.policy.linkerd.io",
        "HTTPRoute.gateway.networking.k8s.io/a/web-get",
        "Namespace/a",
        "NetworkPolicy.networking.k8s.io/a/allow",
      ],
      "HTTPRoute.gateway.networking.k8s.io/a/web-get": ["Namespace/a"],
      "HTTPRoute.gateway.networking.k8s.io/a/other": ["Namespace/a"],
      "AuthorizationPolicy.policy.linkerd.io/a/web": ["Namespace/a"],
      "NetworkPolicy.networking.k8s.io/a/deny": ["AuthorizationPolicy.policy.linkerd.io/a/web", "Namespace/a", "NetworkPolicy.networking.k8s.io/a/allow"],
      "NetworkPolicy.networking.k8s.io/a/allow": ["Namespace/a"],
      "NetworkPolicy.networking.k8s.io/b/allow-b": ["Namespace/b"],
      "ServiceAccount/a/web": ["Namespace/a"],
      "ServiceAccount/b/default": ["Namespace/b"],
      "ConfigMap/a/web-config": ["Namespace/a"],
      "ConfigMap/a/unused": ["Namespace/a"],
      "Secret/a/web-cert": ["Namespace/a"],
      "Secret/a/pull": ["Namespace/a"],
      // What its pods use, and the namespace's denies, which wait for every allow.
      "Deployment.apps/a/web": [
        "ConfigMap/a/web-config",
        "Namespace/a",
        "NetworkPolicy.networking.k8s.io/a/deny",
        "Secret/a/pull",
        "Secret/a/web-cert",
        "Server.policy.linkerd.io/a/web",
        "ServiceAccount/a/web",
      ],
      // No deny in b: the allows themselves; the default account; a ConfigMap the stack does not manage is not waited for.
      "CronJob.batch/b/job": ["Namespace/b", "NetworkPolicy.networking.k8s.io/b/allow-b", "ServiceAccount/b/default"],
    });
  });

  it("gives a workload a number of dependencies that does not grow with its namespace", () => {
    // 2,000 services in one namespace, each with an account, a config, an allow, and a workload.
    const n = 2000;
    const objects = [obj("v1", "Namespace", "shop", undefined), obj("networking.k8s.io/v1", "NetworkPolicy", "deny", "shop", { spec: { podSelector: {}, policyTypes: ["Ingress"] } })];
    for (let i = 0; i < n; i++) {
      objects.push(
        obj("v1", "ServiceAccount", `s${i}`, "shop"),
        obj("v1", "ConfigMap", `s${i}`, "shop"),
        obj("networking.k8s.io/v1", "NetworkPolicy", `allow-s${i}`, "shop", { spec: { podSelector: { matchLabels: { app: `s${i}` } }, ingress: [{}] } }),
        obj("apps/v1", "Deployment", `s${i}`, "shop", pod({ serviceAccountName: `s${i}`, volumes: [{ name: "c", configMap: { name: `s${i}` } }] })),
      );
    }
    const deps = dependencies(objects.map(planned));
    for (let i = 0; i < n; i++) {
      expect(deps.get(`Deployment.apps/shop/s${i}`)).toEqual([`ConfigMap/shop/s${i}`, "Namespace/shop", "NetworkPolicy.networking.k8s.io/shop/deny", `ServiceAccount/shop/s${i}`]);
    }
    expect(deps.get("NetworkPolicy.networking.k8s.io/shop/deny")).toHaveLength(n + 1);
  });
});
