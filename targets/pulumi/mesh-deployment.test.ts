// MeshDeployment under Pulumi's mock runtime, for bookinfo and every target registered when the
// test runs: what the engine would be asked to create, in what order, with what secrets.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import type { Artifact } from "../../compiler/artifact.js";
import { compareIds } from "../../compiler/ir.js";
import { buildMesh } from "../../compiler/build.js";
import { compileMesh } from "../../compiler/compile.js";
import { example, scratch } from "../../test/helpers/mesh.js";
import { fakePem, isSecretValue, reveal, startMocks, type MockRun, type Registration } from "./__fixtures__/mocks.js";
import { deployableTargets, targetsFor } from "./build.js";
import { MeshDeployment, type MeshDeploymentArgs } from "./mesh-deployment.js";
import { roleOf, usedConfiguration } from "./order.js";
import { strategicMerge } from "./strategic-merge.js";

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };

const TARGETS = deployableTargets().map((t) => t.name);
const MESH_TYPE = "meshc:index:MeshDeployment";

const group = (o: Obj) => (o.apiVersion.includes("/") ? o.apiVersion.slice(0, o.apiVersion.lastIndexOf("/")) : "");
const keyOf = (o: Obj) => `${o.kind}${group(o) ? `.${group(o)}` : ""}/${o.metadata.namespace !== undefined ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`;
const tokenOf = (o: Obj) => `kubernetes:${group(o) || "core"}/${o.apiVersion.slice(o.apiVersion.lastIndexOf("/") + 1)}:${o.kind}`;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && "apiVersion" in v && "kind" in v && "metadata" in v;

/**
 * What a deployment of `target` must hold, from the targets' own artifacts: the kubernetes
 * target's objects and then the target's (a later one replaces an earlier one of the same
 * identity, as `kubectl apply` in target order would), patches merged in, sensitive ones left out.
 */
function expectedObjects(artifacts: readonly Artifact[], target: string): Map<string, Obj> {
  const out = new Map<string, Obj>();
  const mine = artifacts.filter((a) => a.path.startsWith("kubernetes/") || a.path.startsWith(`${target}/`));
  for (const a of mine) if ("yaml" in a && a.kubernetes && !a.sensitive && isObj(a.yaml)) out.set(keyOf(a.yaml), a.yaml);
  for (const a of mine) {
    if (!("yaml" in a) || a.kubernetes || a.sensitive || !isObj(a.yaml)) continue;
    const base = out.get(keyOf(a.yaml));
    if (base) out.set(keyOf(a.yaml), strategicMerge(base, a.yaml) as Obj);
  }
  return out;
}

/** The workload certificate Secrets the objects' pods mount (`<namespace>/<name>`). */
function mountedCertSecrets(objects: Iterable<Obj>): string[] {
  const out = new Set<string>();
  for (const o of objects) {
    const volumes = ((o.spec as { template?: { spec?: { volumes?: { secret?: { secretName?: string } }[] } } } | undefined)?.template?.spec?.volumes ?? []);
    for (const v of volumes) if (v.secret?.secretName?.endsWith("-mesh-cert")) out.add(`${o.metadata.namespace}/${v.secret.secretName}`);
  }
  return [...out].sort();
}

/** Strings holding a PEM private key outside a secret, with where they are. */
function exposedKeys(value: unknown, where: string): string[] {
  if (isSecretValue(value)) return [];
  if (typeof value === "string") {
    const decoded = /^[A-Za-z0-9+/=]+$/.test(value) ? Buffer.from(value, "base64").toString("utf8") : "";
    return /PRIVATE KEY/.test(value) || /PRIVATE KEY/.test(decoded) ? [where] : [];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => exposedKeys(v, `${where}[${i}]`));
  if (typeof value === "object" && value !== null) return Object.entries(value).flatMap(([k, v]) => exposedKeys(v, `${where}.${k}`));
  return [];
}

const decode = (data: Record<string, string>) => Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));

interface Deployed {
  readonly run: MockRun;
  readonly mesh: MeshDeployment;
  readonly component: Registration;
  /** Kubernetes resources by key (logical name without the component prefix). */
  readonly objects: Map<string, Registration>;
  readonly controlPlane?: Registration;
}

async function deploy(name: string, args: MeshDeploymentArgs, withControlPlane = false): Promise<Deployed> {
  const run = await startMocks();
  // Stands in for the Helm release that installs a control plane, after its CA.
  const controlPlane = (certificates: readonly pulumi.Resource[]) => [new k8s.core.v1.Namespace("control-plane", { metadata: { name: "control-plane" } }, { dependsOn: [...certificates] })];
  const mesh = new MeshDeployment(name, { ...args, ...(withControlPlane ? { controlPlane } : {}) });
  await run.settle(mesh.urn, ...Object.values(mesh.resources).map((r) => r.urn), mesh.rootCertificate);
  const component = run.registrations.find((r) => r.type === MESH_TYPE && r.name === name)!;
  const objects = new Map(
    run.registrations.filter((r) => r.type.startsWith("kubernetes:") && r.parent === component.urn).map((r) => [r.name.slice(name.length + 1), r] as const),
  );
  const cp = run.registrations.find((r) => r.name === "control-plane");
  return { run, mesh, component, objects, ...(cp ? { controlPlane: cp } : {}) };
}

const bookinfo = example("bookinfo");
const artifacts = new Map<string, readonly Artifact[]>();

beforeAll(() => {
  // Built as a deployment builds them: the kubernetes target with the chosen one, because the
  // kubernetes target adapts its policies to the mesh beside it.
  // The mesh targets run as a deployment runs them: without the certs target's material, which
  // the deployment's own PKI replaces.
  const { ir } = compileMesh(bookinfo);
  for (const target of TARGETS) {
    const chosen = targetsFor({ target, workloads: true });
    const options = { stateDir: path.join(os.tmpdir(), "meshc-pulumi-expected"), targets: chosen.map((t) => t.name) };
    const runs = chosen.map((t) => t.run(ir!, options));
    expect(runs.flatMap((r) => r.diagnostics).filter((d) => d.severity === "error")).toEqual([]);
    artifacts.set(target, runs.flatMap((r) => r.artifacts));
  }
});

describe.each(TARGETS)("MeshDeployment of bookinfo, target %s", (target) => {
  let first: Deployed;
  let expected: Map<string, Obj>;
  let pkiKeys: string[];

  beforeAll(async () => {
    first = await deploy("bookinfo", { mesh: bookinfo, target }, true);
    expected = expectedObjects(artifacts.get(target)!, target);
    pkiKeys = [
      ...(target === "istio" ? ["Secret/istio-system/cacerts"] : []),
      ...(target === "linkerd" ? ["ConfigMap/linkerd/linkerd-identity-trust-roots", "Secret/linkerd/linkerd-identity-issuer"] : []),
      ...mountedCertSecrets(expected.values()).map((s) => `Secret/${s}`),
    ];
  });

  it("registers one resource per Kubernetes object of the targets, typed, with the object as its inputs", () => {
    expect([...first.objects.keys()].sort()).toEqual([...expected.keys(), ...pkiKeys].sort());
    for (const [key, object] of expected) {
      const r = first.objects.get(key)!;
      expect(r.type, key).toBe(tokenOf(object));
      expect(r.custom, key).toBe(true);
      expect(reveal(r.inputs), key).toEqual(object);
    }
  });

  it("parents every resource to the component, and the PKI's to the PKI component inside it", () => {
    expect(first.component.parent).toBe("");
    for (const r of first.objects.values()) expect(r.parent, r.name).toBe(first.component.urn);
    const pki = first.run.registrations.find((r) => r.type === "meshc:index:MeshPki");
    const tls = first.run.registrations.filter((r) => r.type.startsWith("tls:"));
    if (pkiKeys.length === 0) {
      expect(pki).toBeUndefined();
      expect(tls).toEqual([]);
      return;
    }
    expect(pki!.parent).toBe(first.component.urn);
    expect(tls.length).toBeGreaterThan(0);
    for (const r of tls) expect(r.parent, r.name).toBe(pki!.urn);
  });

  it("creates namespaces first, default-deny policies after the allows, workloads last", () => {
    const urnOf = (key: string) => first.objects.get(key)!.urn;
    const all = [...first.objects].map(([key, r]) => ({ key, r, o: reveal(r.inputs) as Obj }));
    const namespaces = new Set(all.filter((x) => x.o.kind === "Namespace").map((x) => x.o.metadata.name));
    expect(namespaces.size).toBeGreaterThan(0);
    for (const x of all) {
      if (x.o.metadata.namespace !== undefined && namespaces.has(x.o.metadata.namespace)) expect(x.r.dependencies, x.key).toContain(urnOf(`Namespace/${x.o.metadata.namespace}`));
    }
    const denies = all.filter((x) => roleOf(x.o) === "deny");
    expect(denies.length, "every meshc target has a default deny").toBeGreaterThan(0);
    for (const deny of denies) {
      const allows = all.filter((x) => roleOf(x.o) === "allow" && x.o.metadata.namespace === deny.o.metadata.namespace);
      for (const allow of allows) expect(deny.r.dependencies, `${deny.key} after ${allow.key}`).toContain(allow.r.urn);
    }
    const deployments = all.filter((x) => x.o.kind === "Deployment");
    expect(deployments.length).toBeGreaterThan(0);
    // Everything a resource waits for, directly or through what it waits for.
    const byUrn = new Map(all.map((x) => [x.r.urn, x]));
    const after = (x: (typeof all)[number]): Set<string> => {
      const seen = new Set<string>();
      const stack = [...x.r.dependencies];
      while (stack.length > 0) {
        const urn = stack.pop()!;
        if (seen.has(urn)) continue;
        seen.add(urn);
        stack.push(...(byUrn.get(urn)?.r.dependencies ?? []));
      }
      return seen;
    };
    for (const d of deployments) {
      const used = usedConfiguration(d.o as never);
      // The account it runs as, and the Secret holding its certificate where it mounts one, at least.
      expect(used.length, d.key).toBeGreaterThan(0);
      for (const key of used) if (first.objects.has(key)) expect(d.r.dependencies, `${d.key} after ${key}`).toContain(urnOf(key));
      const waits = after(d);
      for (const policy of all.filter((x) => x.o.metadata.namespace === d.o.metadata.namespace && (roleOf(x.o) === "allow" || roleOf(x.o) === "deny"))) {
        expect(waits.has(policy.r.urn), `${d.key} after ${policy.key}`).toBe(true);
      }
    }
    for (const s of mountedCertSecrets(deployments.map((d) => d.o))) {
      if (first.objects.has(`Secret/${s}`)) expect(deployments.some((d) => d.r.dependencies.includes(urnOf(`Secret/${s}`))), s).toBe(true);
    }
  });

  it("makes custom resources and workloads wait for the control plane, and the control plane for its CA", () => {
    const cp = first.controlPlane!.urn;
    for (const [key, r] of first.objects) {
      const o = reveal(r.inputs) as Obj;
      const custom = !["", "apps", "networking.k8s.io"].includes(group(o));
      const waits = custom || o.kind === "Deployment";
      expect(r.dependencies.includes(cp), key).toBe(waits);
    }
    const certificates = pkiKeys.filter((k) => k.includes("/istio-system/") || k.includes("/linkerd/"));
    expect(first.mesh.controlPlaneCertificates).toHaveLength(certificates.length);
    expect([...first.controlPlane!.dependencies].sort()).toEqual(certificates.map((k) => first.objects.get(k)!.urn).sort());
  });

  it("keeps every private key secret, and wires the PKI's certificates into the Secrets the mesh reads", () => {
    for (const r of first.run.registrations) expect(exposedKeys(r.inputs, r.name), r.name).toEqual([]);
    for (const [key, r] of first.objects) {
      // Secret or not, only a Secret may hold a key at all.
      if (!key.startsWith("Secret/")) expect(exposedKeys(reveal(r.inputs), key), key).toEqual([]);
      else {
        expect(isSecretValue(r.inputs.data), key).toBe(true);
        // The SDK's own Secret class (not a generic CustomResource) also keeps the outputs secret.
        expect(r.additionalSecretOutputs, key).toEqual(["data", "stringData"]);
      }
    }
    const data = (key: string) => decode(reveal(first.objects.get(key)!.inputs.data) as Record<string, string>);
    const cert = (name: string) => fakePem("CERTIFICATE", `bookinfo-pki-${name}`);
    const key = (name: string) => fakePem("PRIVATE KEY", `bookinfo-pki-${name}-key`);
    for (const k of pkiKeys) {
      if (k === "Secret/istio-system/cacerts") {
        expect(data(k)).toEqual({
          "ca-cert.pem": cert("intermediate"),
          "ca-key.pem": key("intermediate"),
          "cert-chain.pem": cert("intermediate") + cert("root"),
          "root-cert.pem": cert("root"),
        });
      } else if (k === "Secret/linkerd/linkerd-identity-issuer") {
        expect(data(k)).toEqual({ "ca.crt": cert("root"), "tls.crt": cert("linkerd-issuer"), "tls.key": key("linkerd-issuer") });
        expect(first.objects.get(k)!.inputs.type).toBe("kubernetes.io/tls");
      } else if (k === "ConfigMap/linkerd/linkerd-identity-trust-roots") {
        expect(reveal(first.objects.get(k)!.inputs.data)).toEqual({ "ca-bundle.crt": cert("root") });
      } else {
        const [, ns, name] = k.split("/");
        const sa = name!.slice(0, -"-mesh-cert".length);
        expect(data(k)).toEqual({ "ca.crt": cert("root"), "tls.crt": cert(`leaf/${ns}/${sa}`) + cert("intermediate"), "tls.key": key(`leaf/${ns}/${sa}`) });
      }
    }
  });

  it("issues certificates with the mesh's algorithm and lifetimes, renewed before they expire", () => {
    const tls = first.run.registrations.filter((r) => r.type.startsWith("tls:"));
    for (const r of tls.filter((x) => x.type === "tls:index/privateKey:PrivateKey")) expect(r.inputs).toEqual({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    const signed = tls.filter((x) => x.type.endsWith("SignedCert"));
    for (const r of signed) {
      const hours = r.inputs.validityPeriodHours as number;
      expect(r.inputs.earlyRenewalHours, r.name).toBeGreaterThan(0);
      expect(r.inputs.earlyRenewalHours, r.name).toBeLessThan(hours);
    }
    const byName = new Map(tls.map((r) => [r.name, r]));
    if (pkiKeys.length === 0) return;
    // bookinfo keeps meshc's defaults: a 10-year root, a 1-year intermediate, 24-hour leaves.
    expect(byName.get("bookinfo-pki-root")!.inputs).toMatchObject({ isCaCertificate: true, validityPeriodHours: 87600 });
    if (target === "linkerd") {
      expect(byName.get("bookinfo-pki-linkerd-issuer-csr")!.inputs.subject).toMatchObject({ commonName: "identity.linkerd.cluster.local" });
      expect(byName.get("bookinfo-pki-linkerd-issuer")!.inputs).toMatchObject({ isCaCertificate: true, maxPathLength: 0, validityPeriodHours: 8760 });
    }
    for (const k of pkiKeys.filter((x) => x.endsWith("-mesh-cert"))) {
      const [, ns, name] = k.split("/");
      const sa = name!.slice(0, -"-mesh-cert".length);
      expect(byName.get(`bookinfo-pki-leaf/${ns}/${sa}-csr`)!.inputs.uris).toEqual([`spiffe://cluster.local/ns/${ns}/sa/${sa}`]);
      expect(byName.get(`bookinfo-pki-leaf/${ns}/${sa}`)!.inputs).toMatchObject({ validityPeriodHours: 24, earlyRenewalHours: 12 });
    }
  });

  it("exports the mesh's services, identities and counts", async () => {
    const out = await new Promise<unknown[]>((resolve) =>
      pulumi.all([first.mesh.services, first.mesh.identities, first.mesh.policyCounts, first.mesh.resourceCounts]).apply(resolve),
    );
    const [services, identities, policies, counts] = out as [Record<string, unknown>, string[], { allow: number; deny: number }, Record<string, number>];
    expect(Object.keys(services)).toEqual(["bookinfo/details", "bookinfo/productpage", "bookinfo/ratings", "bookinfo/reviews"]);
    expect(services["bookinfo/reviews"]).toEqual({ namespace: "bookinfo", name: "reviews", serviceAccount: "bookinfo-reviews", spiffeId: "spiffe://cluster.local/ns/bookinfo/sa/bookinfo-reviews", ports: { http: 9080 } });
    expect(identities).toContain("spiffe://cluster.local/ns/bookinfo/sa/public-gateway");
    const roles = [...first.objects.values()].map((r) => roleOf(reveal(r.inputs) as Obj));
    expect(policies).toEqual({ allow: roles.filter((r) => r === "allow").length, deny: roles.filter((r) => r === "deny").length });
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(first.objects.size);
  });

  it("compiles to the same resources on a second run: no churn", async () => {
    const second = await deploy("bookinfo", { mesh: bookinfo, target }, true);
    const shape = (d: Deployed) =>
      d.run.registrations.map((r) => ({ type: r.type, name: r.name, parent: r.parent, dependencies: r.dependencies, inputs: r.inputs })).sort((a, b) => compareIds(a.name, b.name) || compareIds(a.type, b.type));
    expect(shape(second)).toEqual(shape(first));
  });

  it("changes only the edited object when mesh.ts changes", async () => {
    const source = fs.readFileSync(bookinfo, "utf8");
    const s = scratch({ "mesh.ts": source.replace('image("ratings-v1")', 'image("ratings-v2")') });
    try {
      const edited = await deploy("bookinfo", { mesh: s.file("mesh.ts"), target });
      expect([...edited.objects.keys()].sort()).toEqual([...first.objects.keys()].sort());
      const changed = [...edited.objects].filter(([key, r]) => JSON.stringify(r.inputs) !== JSON.stringify(first.objects.get(key)!.inputs)).map(([key]) => key);
      expect(changed).toEqual(["Deployment.apps/bookinfo/ratings-v1"]);
    } finally {
      s.dispose();
    }
  });
});

describe("MeshDeployment options", () => {
  it("renders YAML through its own provider for GitOps, without certificates, leaving out excluded kinds", async () => {
    const d = await deploy("gitops", { mesh: bookinfo, target: "kubernetes", renderYamlToDirectory: "rendered", exclude: ["NetworkPolicy.networking.k8s.io"] });
    const provider = d.run.registrations.find((r) => r.type === "pulumi:providers:kubernetes")!;
    expect(provider.inputs).toMatchObject({ renderYamlToDirectory: "rendered" });
    expect(provider.parent).toBe(d.component.urn);
    expect(d.objects.size).toBeGreaterThan(0);
    for (const r of d.objects.values()) expect(r.provider.startsWith(`${provider.urn}::`), r.name).toBe(true);
    expect([...d.objects.keys()].filter((k) => k.startsWith("NetworkPolicy"))).toEqual([]);
    expect(d.run.registrations.filter((r) => r.type.startsWith("tls:"))).toEqual([]);
  });

  it("uses the provider it is given for every object", async () => {
    const run = await startMocks();
    const cluster = new k8s.Provider("prod", { context: "prod" });
    const mesh = new MeshDeployment("shop", { mesh: bookinfo, target: "kubernetes", provider: cluster });
    await run.settle(mesh.urn, ...Object.values(mesh.resources).map((r) => r.urn));
    const providerUrn = await new Promise<string>((resolve) => cluster.urn.apply(resolve));
    const objects = run.registrations.filter((r) => r.type.startsWith("kubernetes:"));
    expect(objects.length).toBeGreaterThan(0);
    for (const r of objects) expect(r.provider.startsWith(`${providerUrn}::`), r.name).toBe(true);
    expect(run.registrations.filter((r) => r.type === "pulumi:providers:kubernetes").map((r) => r.name)).toEqual(["prod"]);
  });

  it("refuses a provider and renderYamlToDirectory together", async () => {
    await startMocks();
    const cluster = new k8s.Provider("prod2", {});
    expect(() => new MeshDeployment("both", { mesh: bookinfo, target: "kubernetes", provider: cluster, renderYamlToDirectory: "out" })).toThrow(/either `provider` or `renderYamlToDirectory`/);
  });

  it.skipIf(!TARGETS.includes("linkerd"))("issues Linkerd's issuer with ECDSA P-256 for an RSA mesh, and says so at the mesh's certificates", async () => {
    const source = fs.readFileSync(bookinfo, "utf8").replace('trustDomain: "cluster.local",', 'trustDomain: "cluster.local",\n    certificates: { keyAlgorithm: "rsa-2048", leafLifetime: "12h" },');
    const s = scratch({ "mesh.ts": source });
    try {
      const d = await deploy("rsa", { mesh: s.file("mesh.ts"), target: "linkerd" });
      const keys = d.run.registrations.filter((r) => r.type === "tls:index/privateKey:PrivateKey");
      expect(keys.map((r) => [r.name, r.inputs])).toEqual([
        ["rsa-pki-root-key", { algorithm: "RSA", rsaBits: 2048 }],
        ["rsa-pki-linkerd-issuer-key", { algorithm: "ECDSA", ecdsaCurve: "P256" }],
      ]);
      const warnings = await new Promise<string>((resolve) => d.mesh.warnings.apply(resolve));
      expect(warnings).toMatch(/mesh\.ts:13:5 - warning MESH200: linkerd cannot express rsa-2048 keys: Linkerd's identity issuer must have an ECDSA P-256 key/);
      await startMocks();
      expect(() => new MeshDeployment("rsa-strict", { mesh: s.file("mesh.ts"), target: "linkerd", strict: true })).toThrow(/cannot be deployed:\n\n.*warning MESH200/s);
    } finally {
      s.dispose();
    }
  });

  it.skipIf(!TARGETS.includes("envoy"))("leaves workload certificates to cert-manager when the mesh says so, and says what the cluster must provide", async () => {
    const source = fs.readFileSync(bookinfo, "utf8").replace('trustDomain: "cluster.local",', 'trustDomain: "cluster.local",\n    certificates: { issuer: "cert-manager" },');
    const s = scratch({ "mesh.ts": source });
    try {
      const d = await deploy("cm", { mesh: s.file("mesh.ts"), target: "envoy" });
      expect(d.run.registrations.filter((r) => r.type.startsWith("tls:"))).toEqual([]);
      expect([...d.objects.keys()].filter((k) => k.endsWith("-mesh-cert"))).toEqual([]);
      const warnings = await new Promise<string>((resolve) => d.mesh.warnings.apply(resolve));
      expect(warnings).toContain('warning MESH200: pulumi cannot express cert-manager workload certificates: the mesh leaves workload certificates to cert-manager');
      expect(warnings).toContain('"bookinfo/bookinfo-ratings-mesh-cert"');
    } finally {
      s.dispose();
    }
  });
});
