// The certs target on the examples: golden files of what it writes, every certificate judged by
// the system openssl, Kubernetes objects by kubernetes-models and @kubernetes-models/cert-manager,
// and the CA state reused from one build to the next.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Certificate, Issuer } from "@kubernetes-models/cert-manager/cert-manager.io/v1";
import { ConfigMap, Secret } from "kubernetes-models/v1";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import type { Artifact } from "../../compiler/artifact.js";
import { buildMesh } from "../../compiler/build.js";
import { compileMesh } from "../../compiler/compile.js";
import { hasErrors } from "../../compiler/diagnostics.js";
import type { MeshIR } from "../../compiler/ir.js";
import { serialize } from "../../compiler/writer.js";
import { example } from "../../test/helpers/mesh.js";
import { workloadCertSecretName } from "../conventions.js";
import { FIXTURE_NOW, fixtureStateDir } from "./__fixtures__/ca.js";
import { Workdir, attime, golden, objects, secretData, secretsShape, textOf, type KubeObject } from "./__fixtures__/inspect.js";
import { certsTarget } from "./index.js";
import { BACKDATE_MS, rotateMeshCa, workloadIdentities } from "./material.js";
import { parseCertificate } from "./pki/index.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const EXAMPLES = ["bookinfo", "online-boutique"] as const;

const irs = new Map<string, MeshIR>();
const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

beforeAll(() => {
  for (const name of EXAMPLES) {
    const compiled = compileMesh(example(name));
    expect(hasErrors(compiled.diagnostics)).toBe(false);
    irs.set(name, compiled.ir!);
  }
});

function fixtureState(): string {
  const s = fixtureStateDir();
  cleanups.push(s.dispose);
  return s.dir;
}

function emptyState(): string {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), "meshc-certs-state-"));
  cleanups.push(() => fs.rmSync(parent, { recursive: true, force: true }));
  return path.join(parent, ".meshc");
}

const withIssuer = (ir: MeshIR, issuer: MeshIR["certificates"]["issuer"]): MeshIR => ({ ...ir, certificates: { ...ir.certificates, issuer } });
const sensitive = (a: Artifact) => "sensitive" in a && a.sensitive === true;
const secrets = (artifacts: readonly Artifact[]) => objects(artifacts).filter((o) => o.kind === "Secret");

const coreModels: Record<string, new (data: never) => { validate(): void; apiVersion: string; kind: string }> = { ConfigMap, Secret };
const certManagerModels: Record<string, new (data: never) => { validate(): void; apiVersion: string; kind: string }> = { Issuer, Certificate };

/** kubernetes-models' (or @kubernetes-models/cert-manager's) schema validation; throws on a violation. */
function validate(o: KubeObject): void {
  const Model = (o.apiVersion === "v1" ? coreModels : certManagerModels)[o.kind];
  if (!Model) throw new Error(`no model for ${o.apiVersion} ${o.kind}`);
  const { apiVersion, kind, ...data } = o;
  const instance = new Model(data as never);
  expect(`${apiVersion}/${kind}`).toBe(`${instance.apiVersion}/${instance.kind}`);
  instance.validate();
}

describe.each(EXAMPLES)("certs target: %s", (name) => {
  let ir: MeshIR;
  let state: string;
  let plain: ReturnType<typeof certsTarget.run>;
  let withSecrets: ReturnType<typeof certsTarget.run>;
  beforeAll(() => {
    ir = irs.get(name)!;
    state = fixtureState();
    plain = certsTarget.run(ir, { stateDir: state, now: FIXTURE_NOW });
    withSecrets = certsTarget.run(ir, { stateDir: state, now: FIXTURE_NOW, includeSecrets: true });
  });

  it("matches the golden file (public artifacts, fixture CA)", async () => {
    expect(plain.diagnostics).toEqual([]);
    await expect(golden(plain.artifacts)).toMatchFileSnapshot(`./__snapshots__/${name}.yaml`);
  });

  it("matches the golden shape of its Secrets (PEM blocks described, since leaves are random)", async () => {
    await expect(secretsShape(withSecrets.artifacts)).toMatchFileSnapshot(`./__snapshots__/${name}.secrets.txt`);
  });

  it("without includeSecrets: no private key anywhere, nothing sensitive", () => {
    expect(plain.artifacts.some(sensitive)).toBe(false);
    expect(plain.artifacts.map((a) => serialize(a).toString("utf8")).join("\n")).not.toContain("PRIVATE KEY");
    expect(secrets(plain.artifacts)).toEqual([]);
  });

  it("with includeSecrets: exactly the key-bearing artifacts are sensitive, one Secret per workload identity", () => {
    for (const a of withSecrets.artifacts) {
      const text = serialize(a).toString("utf8");
      const decoded = "yaml" in a ? JSON.stringify(secretData(a.yaml as KubeObject)) : text;
      expect(sensitive(a), a.path).toBe((text + decoded).includes("PRIVATE KEY"));
    }
    const identities = workloadIdentities(ir);
    expect(secrets(withSecrets.artifacts).map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual(
      identities.map((i) => `${i.namespace}/${workloadCertSecretName(i)}`),
    );
    // The public part is the same with or without secrets.
    expect(golden(withSecrets.artifacts.filter((a) => !sensitive(a)))).toBe(golden(plain.artifacts));
  });

  it("covers every service identity and every ingress gateway's", () => {
    const ids = workloadIdentities(ir).map((i) => i.spiffeId);
    for (const i of ir.identities) expect(ids).toContain(i.spiffeId);
    for (const g of ir.ingresses) expect(ids).toContain(g.gateway.identity.spiffeId);
  });

  it("emits objects kubernetes-models validates, labelled as meshc's", () => {
    for (const o of objects(withSecrets.artifacts)) {
      validate(o);
      expect(o.metadata.labels).toEqual({ "app.kubernetes.io/managed-by": "meshc", "meshc.dev/mesh": ir.name });
    }
  });

  it("issues leaves that openssl verifies under root.pem with intermediate.pem, as client and server, with exactly the SPIFFE URI", () => {
    const root = textOf(withSecrets.artifacts, "certs/ca/root.pem");
    const intermediate = textOf(withSecrets.artifacts, "certs/ca/intermediate.pem");
    const w = new Workdir().write({ "root.pem": root, "intermediate.pem": intermediate });
    try {
      const bySecret = new Map(secrets(withSecrets.artifacts).map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, secretData(o)]));
      for (const identity of workloadIdentities(ir)) {
        const data = bySecret.get(`${identity.namespace}/${workloadCertSecretName(identity)}`)!;
        expect(data["ca.crt"]).toBe(root);
        const [leafPem] = data["tls.crt"]!.split(/(?<=-----END CERTIFICATE-----\n)/);
        expect(data["tls.crt"]).toBe(leafPem + intermediate);
        w.write({ "leaf.pem": leafPem!, "chain.pem": data["tls.crt"]!, "leaf.key": data["tls.key"]! });
        for (const purpose of [[], ["-purpose", "sslclient"], ["-purpose", "sslserver"]]) {
          const r = w.openssl(["verify", ...attime(FIXTURE_NOW), "-x509_strict", ...purpose, "-CAfile", "root.pem", "-untrusted", "intermediate.pem", "leaf.pem"]);
          expect(r.stdout.trim(), `${identity.spiffeId} ${purpose.join(" ")}: ${r.stderr}`).toBe("leaf.pem: OK");
        }
        expect(w.openssl(["verify", ...attime(FIXTURE_NOW), "-CAfile", "root.pem", "-untrusted", "chain.pem", "leaf.pem"]).ok).toBe(true);
        expect(w.openssl(["x509", "-noout", "-ext", "subjectAltName", "-in", "leaf.pem"]).stdout).toBe(`X509v3 Subject Alternative Name: critical\n    URI:${identity.spiffeId}\n`);
        const pub = (args: string[]) => w.openssl(args).stdout;
        expect(pub(["pkey", "-in", "leaf.key", "-pubout"])).toBe(pub(["x509", "-noout", "-pubkey", "-in", "leaf.pem"]));
        const info = parseCertificate(leafPem!);
        expect(info.keyUsage).toEqual(["digitalSignature"]);
        expect(info.extendedKeyUsage).toEqual(["serverAuth", "clientAuth"]);
        expect(info.notAfter.getTime() - FIXTURE_NOW.getTime()).toBe(ir.certificates.leafLifetimeMs);
        expect(FIXTURE_NOW.getTime() - info.notBefore.getTime()).toBe(BACKDATE_MS);
      }
    } finally {
      w.cleanup();
    }
  });

  it("reuses the CA and the leaves on the next build: byte-identical artifacts", () => {
    const again = certsTarget.run(ir, { stateDir: state, now: FIXTURE_NOW, includeSecrets: true });
    expect(golden(again.artifacts)).toBe(golden(withSecrets.artifacts));
  });

  it("emits, for cert-manager, an Issuer per namespace and a Certificate per identity that cert-manager's schema accepts", async () => {
    const cm = certsTarget.run(withIssuer(ir, "cert-manager"), { stateDir: state, now: FIXTURE_NOW });
    expect(cm.diagnostics).toEqual([]);
    await expect(golden(cm.artifacts)).toMatchFileSnapshot(`./__snapshots__/${name}.cert-manager.yaml`);
    const all = objects(cm.artifacts);
    for (const o of all) validate(o);
    expect(all.filter((o) => o.kind === "Certificate").map((o) => (o.spec as { uris: string[] }).uris)).toEqual(workloadIdentities(ir).map((i) => [i.spiffeId]));
    expect(cm.artifacts.some(sensitive)).toBe(false);
  });
});

describe("certs target: cert-manager's CA Secret", () => {
  it("holds the intermediate then the root and the intermediate's key, only with includeSecrets, in each Issuer's namespace", () => {
    const ir = withIssuer(irs.get("bookinfo")!, "cert-manager");
    const state = fixtureState();
    const result = certsTarget.run(ir, { stateDir: state, now: FIXTURE_NOW, includeSecrets: true });
    const issuers = objects(result.artifacts).filter((o) => o.kind === "Issuer");
    const cas = secrets(result.artifacts);
    expect(cas.map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual(issuers.map((o) => `${o.metadata.namespace}/${(o.spec as { ca: { secretName: string } }).ca.secretName}`));
    const data = secretData(cas[0]!);
    const root = textOf(result.artifacts, "certs/ca/root.pem");
    const intermediate = textOf(result.artifacts, "certs/ca/intermediate.pem");
    expect(data).toEqual({ "ca.crt": root, "tls.crt": intermediate + root, "tls.key": expect.stringContaining("-----BEGIN EC PRIVATE KEY-----") });
    expect(result.artifacts.filter(sensitive).map((a) => a.path)).toEqual(["certs/bookinfo/secret-bookinfo-mesh-ca.yaml"]);
    // No workload keys are issued or kept: cert-manager makes them in the cluster.
    expect(fs.existsSync(path.join(state, "leaves.json"))).toBe(false);
  });

  it("asks for RSA keys with key encipherment when the mesh is RSA, and reports a lifetime cert-manager refuses", () => {
    const base = withIssuer(irs.get("bookinfo")!, "cert-manager");
    const ir: MeshIR = { ...base, certificates: { ...base.certificates, keyAlgorithm: "rsa-2048", leafLifetimeMs: 30 * 60_000 } };
    const result = certsTarget.run(ir, { stateDir: fixtureState(), now: FIXTURE_NOW });
    const cert = objects(result.artifacts).find((o) => o.kind === "Certificate")!;
    expect(cert.spec).toMatchObject({
      duration: "1h",
      renewBefore: "20m",
      privateKey: { algorithm: "RSA", size: 2048, rotationPolicy: "Always" },
      usages: ["digital signature", "key encipherment", "server auth", "client auth"],
    });
    expect(result.diagnostics.map((d) => `${d.code} ${d.severity} ${d.message}`)).toEqual([
      // The fixture CA is ECDSA: kept, and said so.
      expect.stringMatching(/^MESH200 warning certs cannot express the key algorithm rsa-2048 for the existing CA: its root was created with ecdsa-p256/),
      "MESH200 warning certs cannot express a 30m workload certificate lifetime with cert-manager: cert-manager's minimum duration is 1h, which the Certificates use instead",
    ]);
    expect(result.diagnostics.every((d) => d.span === ir.certificates.span)).toBe(true);
  });
});

describe("certs target: a new CA", () => {
  it("is created on the first build with the mesh's subjects and lifetimes, and reused by the second (same root fingerprint)", () => {
    const ir = irs.get("bookinfo")!;
    const state = emptyState();
    const now = new Date("2026-05-01T08:00:00Z");
    const first = certsTarget.run(ir, { stateDir: state, now });
    const root = parseCertificate(textOf(first.artifacts, "certs/ca/root.pem"));
    const intermediate = parseCertificate(textOf(first.artifacts, "certs/ca/intermediate.pem"));
    expect(root.subject).toBe("O=bookinfo\nCN=bookinfo Root CA");
    expect(intermediate.subject).toBe("O=bookinfo\nCN=bookinfo Intermediate CA");
    expect(intermediate.issuer).toBe(root.subject);
    expect(root.publicKeyType).toBe("ec");
    expect(root.notAfter.getTime() - now.getTime()).toBe(ir.certificates.rootLifetimeMs);
    expect(intermediate.notAfter.getTime() - now.getTime()).toBe(ir.certificates.intermediateLifetimeMs);
    expect(fs.statSync(path.join(state, "root-key.pem")).mode & 0o777).toBe(0o600);

    const later = certsTarget.run(ir, { stateDir: state, now: new Date(now.getTime() + 30 * DAY) });
    expect(parseCertificate(textOf(later.artifacts, "certs/ca/root.pem")).sha256Fingerprint).toBe(root.sha256Fingerprint);
    expect(golden(later.artifacts)).toBe(golden(first.artifacts));
  });

  it("is RSA-2048 for an RSA mesh, with leaves that openssl verifies and that carry keyEncipherment", () => {
    const base = irs.get("bookinfo")!;
    const ir: MeshIR = { ...base, certificates: { ...base.certificates, keyAlgorithm: "rsa-2048" }, identities: base.identities.slice(0, 1), ingresses: [] };
    const now = new Date("2026-05-01T08:00:00Z");
    const result = certsTarget.run(ir, { stateDir: emptyState(), now, includeSecrets: true });
    expect(result.diagnostics).toEqual([]);
    const root = textOf(result.artifacts, "certs/ca/root.pem");
    expect(parseCertificate(root).publicKeyType).toBe("rsa");
    const data = secretData(secrets(result.artifacts)[0]!);
    const [leaf] = data["tls.crt"]!.split(/(?<=-----END CERTIFICATE-----\n)/);
    const w = new Workdir().write({ "root.pem": root, "intermediate.pem": textOf(result.artifacts, "certs/ca/intermediate.pem"), "leaf.pem": leaf! });
    try {
      for (const purpose of ["sslclient", "sslserver"]) {
        expect(w.openssl(["verify", ...attime(now), "-purpose", purpose, "-CAfile", "root.pem", "-untrusted", "intermediate.pem", "leaf.pem"]).stdout.trim()).toBe("leaf.pem: OK");
      }
    } finally {
      w.cleanup();
    }
    expect(parseCertificate(leaf!)).toMatchObject({ publicKeyType: "rsa", keyUsage: ["digitalSignature", "keyEncipherment"], uris: [ir.identities[0]!.spiffeId] });
    expect(data["tls.key"]).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  });
});

describe("certs target: leaves over time", () => {
  const ir = () => irs.get("bookinfo")!;
  const leafOf = (artifacts: readonly Artifact[]) => secretData(secrets(artifacts)[0]!)["tls.crt"]!;

  it("reuses a leaf while it has more than a third of its lifetime left, then reissues it", () => {
    const state = fixtureState();
    const lifetime = ir().certificates.leafLifetimeMs;
    const at = (ms: number) => certsTarget.run(ir(), { stateDir: state, now: new Date(FIXTURE_NOW.getTime() + ms), includeSecrets: true }).artifacts;
    const first = leafOf(at(0));
    expect(leafOf(at((lifetime * 2) / 3 - 1000))).toBe(first);
    const renewed = leafOf(at((lifetime * 2) / 3 + 1000));
    expect(renewed).not.toBe(first);
    expect(parseCertificate(renewed.split(/(?<=-----END CERTIFICATE-----\n)/)[0]!).notAfter.getTime()).toBe(FIXTURE_NOW.getTime() + (lifetime * 5) / 3 + 1000);
  });

  it("reissues leaves whose lifetime or key algorithm the mesh changed, and forgets identities it dropped", () => {
    const state = fixtureState();
    const first = certsTarget.run(ir(), { stateDir: state, now: FIXTURE_NOW, includeSecrets: true }).artifacts;
    const longer: MeshIR = { ...ir(), certificates: { ...ir().certificates, leafLifetimeMs: 3 * DAY } };
    expect(leafOf(certsTarget.run(longer, { stateDir: state, now: FIXTURE_NOW, includeSecrets: true }).artifacts)).not.toBe(leafOf(first));
    const fewer: MeshIR = { ...longer, identities: longer.identities.slice(0, 2), ingresses: [] };
    certsTarget.run(fewer, { stateDir: state, now: FIXTURE_NOW, includeSecrets: true });
    const stored = JSON.parse(fs.readFileSync(path.join(state, "leaves.json"), "utf8")) as { leaves: { spiffeId: string }[] };
    expect(stored.leaves.map((l) => l.spiffeId)).toEqual(fewer.identities.map((i) => i.spiffeId));
    expect(fs.statSync(path.join(state, "leaves.json")).mode & 0o777).toBe(0o600);
  });

  it("after `rotate`, issues leaves under the new intermediate, same root; old and new leaves both verify against the root", () => {
    const state = fixtureState();
    const before = certsTarget.run(ir(), { stateDir: state, now: FIXTURE_NOW, includeSecrets: true }).artifacts;
    const rotatedAt = new Date(FIXTURE_NOW.getTime() + HOUR);
    const rotated = rotateMeshCa(ir(), { stateDir: state, now: rotatedAt });
    const after = certsTarget.run(ir(), { stateDir: state, now: rotatedAt, includeSecrets: true }).artifacts;
    const root = textOf(before, "certs/ca/root.pem");
    expect(textOf(after, "certs/ca/root.pem")).toBe(root);
    expect(textOf(after, "certs/ca/intermediate.pem")).toBe(rotated.ca.intermediate.certPem);
    expect(rotated.ca.intermediate.certPem).not.toBe(textOf(before, "certs/ca/intermediate.pem"));
    expect(rotated.ca.intermediate.info.subject).toBe("O=bookinfo\nCN=bookinfo Intermediate CA");
    const w = new Workdir().write({ "root.pem": root });
    try {
      for (const [label, artifacts] of [["before", before], ["after", after]] as const) {
        const chain = leafOf(artifacts);
        const [leaf, intermediate] = chain.split(/(?<=-----END CERTIFICATE-----\n)/);
        expect(intermediate).toBe(textOf(artifacts, "certs/ca/intermediate.pem"));
        w.write({ "leaf.pem": leaf!, "intermediate.pem": intermediate! });
        expect(w.openssl(["verify", ...attime(rotatedAt), "-CAfile", "root.pem", "-untrusted", "intermediate.pem", "leaf.pem"]).stdout.trim(), label).toBe("leaf.pem: OK");
      }
    } finally {
      w.cleanup();
    }
    expect(leafOf(after)).not.toBe(leafOf(before));
  });

  it("refuses a damaged leaves file, saying how to recover, without printing it", () => {
    const state = fixtureState();
    fs.writeFileSync(path.join(state, "leaves.json"), '{"version":1,"leaves":[{"spiffeId":3,"privateKey":"-----BEGIN EC PRIVATE KEY-----"}]}');
    expect(() => certsTarget.run(ir(), { stateDir: state, now: FIXTURE_NOW, includeSecrets: true })).toThrow(
      /leaves\.json is damaged \(entry 0: spiffeId is not a string\); delete it and the next build reissues every workload certificate$/,
    );
  });

  it("refuses to build on an expired intermediate and points at `meshc certs rotate`", () => {
    const state = emptyState();
    const short: MeshIR = { ...ir(), certificates: { ...ir().certificates, intermediateLifetimeMs: DAY } };
    certsTarget.run(short, { stateDir: state, now: FIXTURE_NOW });
    expect(() => certsTarget.run(short, { stateDir: state, now: new Date(FIXTURE_NOW.getTime() + 2 * DAY) })).toThrow(/expired at .*; run `meshc certs rotate`/);
  });
});

describe("buildMesh with the certs target", () => {
  it("writes the Secrets 0600 and marks them in manifest.json; public files 0644", async () => {
    const out = path.join(emptyState(), "..", "out");
    const built = await buildMesh(example("bookinfo"), { targets: ["certs"], outDir: out, stateDir: fixtureState(), includeSecrets: true, now: FIXTURE_NOW, skipTypeCheck: true });
    expect(built.ok, built.diagnostics.map((d) => d.message).join("\n")).toBe(true);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, "manifest.json"), "utf8")) as { files: { path: string; sensitive?: true }[] };
    const marked = manifest.files.filter((f) => f.sensitive).map((f) => f.path);
    // Every Secret, and nothing else, in the namespace's secrets.yaml.
    expect(marked).toEqual(["certs/bookinfo/secrets.yaml"]);
    const secrets = YAML.parseAllDocuments(fs.readFileSync(path.join(out, marked[0]!), "utf8")).map((d) => d.toJS());
    expect(secrets).toEqual(built.artifacts.filter(sensitive).map((a) => (a as { yaml: unknown }).yaml));
    expect(secrets.length).toBe(workloadIdentities(built.compiled.ir!).length);
    for (const f of manifest.files) {
      expect(fs.statSync(path.join(out, f.path)).mode & 0o777, f.path).toBe(f.sensitive ? 0o600 : 0o644);
      // Keys are base64 in data: look for the field that holds them.
      if (!f.sensitive) expect(fs.readFileSync(path.join(out, f.path), "utf8"), f.path).not.toContain("tls.key:");
    }
    expect(fs.readFileSync(path.join(out, "certs/kustomization.yaml"), "utf8")).toContain("bookinfo/secrets.yaml");
  });
});
