// The CrossGuard policies, called directly with the arguments the Pulumi engine would pass: each
// one against the mistakes it exists for, and all of them against what MeshDeployment registers
// for every target (meshc's own output keeps meshc's invariants).
import type {
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { example } from "../../test/helpers/mesh.js";
import { reveal, startMocks, type Registration } from "./__fixtures__/mocks.js";
import { deployableTargets } from "./build.js";
import { MeshDeployment } from "./mesh-deployment.js";
import {
  denyAfterAllow,
  istioAllowNothingPresent,
  istioNoEmptyPrincipals,
  istioPeerAuthenticationMode,
  meshNamespacesDefaultDeny,
  policies,
  privateKeysKeptSecret,
} from "./policy-pack/policies.js";

const opts = (extra: Partial<PolicyResourceOptions> = {}): PolicyResourceOptions => ({
  protect: false,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
  ...extra,
});

const notApplicable = (reason?: string): never => {
  throw new Error(`not applicable: ${reason}`);
};

function resourceArgs(type: string, props: Record<string, unknown>, extra: { opts?: Partial<PolicyResourceOptions>; config?: object; name?: string } = {}): ResourceValidationArgs {
  const name = extra.name ?? (props.metadata as { name?: string } | undefined)?.name ?? "r";
  return {
    type,
    props,
    urn: `urn:pulumi:test::meshc::${type}::${name}`,
    name,
    opts: opts(extra.opts),
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <T extends object>() => (extra.config ?? {}) as T,
    notApplicable,
  };
}

async function violations(policy: ResourceValidationPolicy, args: ResourceValidationArgs): Promise<string[]> {
  const out: string[] = [];
  const checks = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
  for (const check of checks) await check(args, (message) => out.push(message));
  return out;
}

type Fake = { type: string; props: Record<string, unknown>; name: string; dependsOn?: string[]; opts?: Partial<PolicyResourceOptions> };

/** PolicyResources with their dependencies resolved by name. */
function stack(fakes: readonly Fake[]): PolicyResource[] {
  const byName = new Map<string, PolicyResource>();
  const resources = fakes.map((f) => {
    const r: PolicyResource = {
      type: f.type,
      props: f.props,
      urn: `urn:pulumi:test::meshc::${f.type}::${f.name}`,
      name: f.name,
      opts: opts(f.opts),
      dependencies: [],
      propertyDependencies: {},
      isType: () => false,
      asType: () => undefined,
    };
    byName.set(f.name, r);
    return r;
  });
  fakes.forEach((f, i) => resources[i]!.dependencies.push(...(f.dependsOn ?? []).map((n) => byName.get(n)!)));
  return resources;
}

async function stackViolations(policy: StackValidationPolicy, resources: PolicyResource[], config: object = {}): Promise<{ message: string; urn?: string }[]> {
  const out: { message: string; urn?: string }[] = [];
  await policy.validateStack({ resources, stackTags: new Map(), getConfig: <T extends object>() => config as T, notApplicable }, (message, urn) =>
    out.push({ message, ...(urn ? { urn } : {}) }),
  );
  return out;
}

const AP = "kubernetes:security.istio.io/v1:AuthorizationPolicy";
const PA = "kubernetes:security.istio.io/v1:PeerAuthentication";
const NP = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const meta = (name: string, namespace = "shop", labels: Record<string, string> = { "app.kubernetes.io/managed-by": "meshc", "meshc.dev/mesh": "shop" }) => ({ name, namespace, labels });
const pem = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n";

describe("istio-allow-empty-principals", () => {
  it.each([
    ["an empty principals list", { action: "ALLOW", rules: [{ from: [{ source: { principals: [] } }], to: [{ operation: { ports: ["8080"] } }] }] }, 1],
    ["an empty source", { rules: [{ from: [{ source: {} }] }] }, 1],
    ["an empty rule", { action: "ALLOW", rules: [{}] }, 1],
    ["an empty from list", { rules: [{ from: [], to: [{ operation: { methods: ["GET"] } }] }] }, 1],
    ["meshc's allow-nothing", {}, 0],
    ["an ALLOW with no rules", { action: "ALLOW" }, 0],
    ["callers listed", { action: "ALLOW", rules: [{ from: [{ source: { principals: ["cluster.local/ns/shop/sa/web"] } }] }] }, 0],
    ["a DENY rule (an empty source denies everyone, which is safe)", { action: "DENY", rules: [{ from: [{ source: {} }] }] }, 0],
  ])("%s", async (_, spec, count) => {
    expect(await violations(istioNoEmptyPrincipals, resourceArgs(AP, { apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: meta("orders"), spec }))).toHaveLength(count);
  });

  it("says what is wrong and where", async () => {
    const v = await violations(istioNoEmptyPrincipals, resourceArgs(AP, { metadata: meta("orders"), spec: { rules: [{ to: [{}] }, { from: [{ source: { principals: [] } }] }] } }));
    expect(v).toEqual(['shop/orders rule 1 from[0] has an empty principals list, which Istio reads as "any caller", not "no caller".']);
  });

  it("ignores other kinds", async () => {
    expect(await violations(istioNoEmptyPrincipals, resourceArgs("kubernetes:policy.linkerd.io/v1alpha1:AuthorizationPolicy", { metadata: meta("x"), spec: { rules: [{}] } }))).toEqual([]);
  });
});

describe("istio-peer-authentication-mode", () => {
  const pa = (spec: object) => ({ apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: meta("default"), spec });
  it("rejects a mode or port weaker than the mesh's", async () => {
    expect(await violations(istioPeerAuthenticationMode, resourceArgs(PA, pa({ mtls: { mode: "PERMISSIVE" }, portLevelMtls: { "9090": { mode: "DISABLE" }, "8080": { mode: "STRICT" } } })))).toEqual([
      "shop/default sets mTLS PERMISSIVE, weaker than the mesh's STRICT.",
      "shop/default sets mTLS DISABLE on port 9090, weaker than the mesh's STRICT.",
    ]);
  });
  it("accepts the mesh's mode, UNSET (inherit), and what the configured minimum allows", async () => {
    expect(await violations(istioPeerAuthenticationMode, resourceArgs(PA, pa({ mtls: { mode: "STRICT" }, portLevelMtls: { "80": { mode: "UNSET" } } })))).toEqual([]);
    expect(await violations(istioPeerAuthenticationMode, resourceArgs(PA, pa({ mtls: { mode: "PERMISSIVE" } }), { config: { minimumMode: "PERMISSIVE" } }))).toEqual([]);
    expect(await violations(istioPeerAuthenticationMode, resourceArgs(PA, pa({ mtls: { mode: "DISABLE" } }), { config: { minimumMode: "PERMISSIVE" } }))).toHaveLength(1);
  });
});

describe("private-keys-kept-secret", () => {
  const b64 = Buffer.from(pem).toString("base64");
  it.each([
    ["a key in a ConfigMap", "kubernetes:core/v1:ConfigMap", { metadata: meta("ca"), data: { "ca.key": pem } }, {}, 1],
    ["a key in an annotation", "kubernetes:apps/v1:Deployment", { metadata: { ...meta("web"), annotations: { key: b64 } } }, {}, 1],
    ["a key in a Secret made as a custom resource", "kubernetes:v1:Secret", { metadata: meta("ca"), data: { "tls.key": b64 } }, { additionalSecretOutputs: ["data"] }, 1],
    ["a Secret whose data Pulumi would store in clear", "kubernetes:core/v1:Secret", { metadata: meta("ca"), data: { "tls.key": b64 } }, {}, 1],
    ["a Secret made with the SDK's class", "kubernetes:core/v1:Secret", { metadata: meta("ca"), data: { "tls.key": b64 } }, { additionalSecretOutputs: ["data", "stringData"] }, 0],
    ["a @pulumi/tls request signed with a secret key", "tls:index/certRequest:CertRequest", { privateKeyPem: pem }, { additionalSecretOutputs: ["privateKeyPem"] }, 0],
    ["a non-Kubernetes resource holding a key in clear", "command:local:Command", { environment: { KEY: pem } }, {}, 1],
    ["a certificate, which is public", "kubernetes:core/v1:ConfigMap", { metadata: meta("roots"), data: { "ca.crt": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" } }, {}, 0],
  ])("%s", async (_, type, props, o, count) => {
    expect(await violations(privateKeysKeptSecret, resourceArgs(type, props, { opts: o }))).toHaveLength(count);
  });
});

describe("mesh-namespace-default-deny", () => {
  const ns = (name: string, mesh = true): Fake => ({
    type: "kubernetes:core/v1:Namespace",
    name: `Namespace/${name}`,
    props: { apiVersion: "v1", kind: "Namespace", metadata: { name, labels: mesh ? { "meshc.dev/mesh": "shop" } : {} } },
  });
  const deny = (namespace: string, spec: object = { podSelector: {}, policyTypes: ["Ingress"] }): Fake => ({
    type: NP,
    name: `deny/${namespace}`,
    props: { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: meta("default-deny-ingress", namespace), spec },
  });
  it("requires a default-deny ingress policy in every namespace of a mesh", async () => {
    const v = await stackViolations(meshNamespacesDefaultDeny, stack([ns("shop"), ns("payments"), ns("other", false), deny("shop"), deny("payments", { podSelector: { matchLabels: { app: "x" } }, policyTypes: ["Ingress"] })]));
    expect(v).toEqual([{ message: 'Namespace "payments" belongs to a meshc mesh but has no default-deny ingress NetworkPolicy.' }]);
  });
});

describe("istio-allow-nothing-present", () => {
  const ap = (name: string, namespace: string, spec: object): Fake => ({ type: AP, name: `${namespace}/${name}`, props: { apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: meta(name, namespace), spec } });
  it("requires allow-nothing beside meshc's ALLOW policies", async () => {
    const allow = { action: "ALLOW", rules: [{ from: [{ source: { principals: ["a"] } }] }] };
    const v = await stackViolations(istioAllowNothingPresent, stack([ap("web", "shop", allow), ap("allow-nothing", "shop", {}), ap("pay", "payments", allow), ap("deny-all", "payments", { action: "DENY", rules: [{}] })]));
    expect(v).toEqual([{ message: 'Namespace "payments" has meshc\'s Istio ALLOW policies but no allow-nothing AuthorizationPolicy (spec: {}).' }]);
  });
});

describe("deny-after-allow", () => {
  const np = (name: string, namespace: string, spec: object, dependsOn: string[] = []): Fake => ({
    type: NP,
    name,
    props: { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: meta(name, namespace), spec },
    dependsOn,
  });
  it("reports a deny that does not wait for every allow of its namespace, at the deny", async () => {
    const allow = { podSelector: { matchLabels: { app: "web" } }, ingress: [{ from: [{ podSelector: {} }] }] };
    const denySpec = { podSelector: {}, policyTypes: ["Ingress"] };
    const v = await stackViolations(
      denyAfterAllow,
      stack([np("allow-a", "shop", allow), np("allow-b", "shop", allow), np("allow-c", "other", allow), np("deny", "shop", denySpec, ["allow-a"]), np("deny-other", "other", denySpec, ["allow-c"])]),
    );
    expect(v).toEqual([{ message: 'Deny policy "deny" does not wait for the allow policies "allow-b" of its namespace.', urn: `urn:pulumi:test::meshc::${NP}::deny` }]);
  });
});

describe("meshc's own deployments keep every policy", () => {
  it.each(deployableTargets().map((t) => t.name))("bookinfo, target %s", async (target) => {
    const run = await startMocks();
    const mesh = new MeshDeployment("bookinfo", { mesh: example("bookinfo"), target });
    await run.settle(mesh.urn, ...Object.values(mesh.resources).map((r) => r.urn));
    const byUrn = new Map(run.registrations.map((r) => [r.urn, r]));
    const fakes: Fake[] = run.registrations.map((r: Registration) => ({
      type: r.type,
      name: r.urn,
      props: reveal(r.inputs) as Record<string, unknown>,
      dependsOn: r.dependencies.filter((d) => byUrn.has(d)),
      opts: { additionalSecretOutputs: [...r.additionalSecretOutputs] },
    }));
    const resources = stack(fakes);
    const found: string[] = [];
    for (const policy of policies) {
      if ("validateStack" in policy) {
        found.push(...(await stackViolations(policy, resources)).map((v) => `${policy.name}: ${v.message}`));
        continue;
      }
      for (const r of run.registrations) {
        const args = resourceArgs(r.type, reveal(r.inputs) as Record<string, unknown>, { opts: { additionalSecretOutputs: [...r.additionalSecretOutputs] }, name: r.name });
        found.push(...(await violations(policy, args)).map((v) => `${policy.name}: ${v}`));
      }
    }
    expect(found).toEqual([]);
    // The checks saw real work: the pack judged policies and (where the target issues them) keys.
    expect(run.registrations.some((r) => r.type === NP || r.type === AP || r.type.startsWith("kubernetes:policy.linkerd.io/"))).toBe(true);
  });
});
