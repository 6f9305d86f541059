// The CA material other targets take: Linkerd's trust anchor and issuer, Istio's plug-in CA.
// Every certificate is judged by the system openssl.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Secret } from "kubernetes-models/v1";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileMesh } from "../../compiler/compile.js";
import type { MeshIR } from "../../compiler/ir.js";
import { example } from "../../test/helpers/mesh.js";
import { linkerdTarget } from "../linkerd/index.js";
import { FIXTURE_CA_DIR, FIXTURE_NOW, fixtureStateDir } from "./__fixtures__/ca.js";
import { Workdir, attime, objects, secretData } from "./__fixtures__/inspect.js";
import { istioCacerts, istioPluginCa, linkerdIdentity, loadMeshCa, rotateMeshCa } from "./material.js";
import { CaCredential, issueLeaf, meshCa, parseCertificate } from "./pki/index.js";

const SPIFFE = "spiffe://cluster.local/ns/bookinfo/sa/bookinfo-ratings";
let bookinfo: MeshIR;
const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));
beforeAll(() => {
  bookinfo = compileMesh(example("bookinfo"), { skipTypeCheck: true }).ir!;
});

function emptyState(): string {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), "meshc-material-"));
  cleanups.push(() => fs.rmSync(parent, { recursive: true, force: true }));
  return path.join(parent, ".meshc");
}

function fixtureState(): string {
  const s = fixtureStateDir();
  cleanups.push(s.dispose);
  return s.dir;
}

/** openssl verify of `cert` (with `untrusted` intermediates) against `root`; returns stdout+stderr on failure. */
function verifies(root: string, cert: string, untrusted: string | undefined, extra: string[] = []): string {
  const w = new Workdir().write({ "root.pem": root, "cert.pem": cert, ...(untrusted ? { "untrusted.pem": untrusted } : {}) });
  try {
    const r = w.openssl(["verify", ...attime(FIXTURE_NOW), "-x509_strict", ...extra, "-CAfile", "root.pem", ...(untrusted ? ["-untrusted", "untrusted.pem"] : []), "cert.pem"]);
    return r.ok ? r.stdout.trim() : r.stdout + r.stderr;
  } finally {
    w.cleanup();
  }
}

describe("linkerdIdentity", () => {
  it("makes an ECDSA issuer named identity.linkerd.<trust domain> (CN and DNS SAN) under the mesh root, and keeps it", () => {
    const state = emptyState();
    const { material, diagnostics } = linkerdIdentity(bookinfo, { stateDir: state, now: FIXTURE_NOW });
    expect(diagnostics).toEqual([]);
    const ca = loadMeshCa(bookinfo, { stateDir: state, now: FIXTURE_NOW });
    expect(material!.trustAnchorsPem).toBe(ca.root.certPem);
    const issuer = parseCertificate(material!.issuer.certificatePem);
    expect(issuer).toMatchObject({ subject: "CN=identity.linkerd.cluster.local", dnsNames: ["identity.linkerd.cluster.local"], isCA: true, pathLength: 0, publicKeyType: "ec" });
    expect(issuer.notAfter.getTime() - FIXTURE_NOW.getTime()).toBe(bookinfo.certificates.intermediateLifetimeMs);
    // Go's verifier (Linkerd's) checks the DNS SAN against identity.<namespace>.<trust domain>.
    expect(verifies(material!.trustAnchorsPem, material!.issuer.certificatePem, undefined, ["-verify_hostname", "identity.linkerd.cluster.local"])).toBe("cert.pem: OK");
    // Linkerd's DecodePEMKey takes SEC1 EC keys.
    expect(material!.issuer.privateKeyPem).toMatch(/^-----BEGIN EC PRIVATE KEY-----\n/);
    expect(fs.statSync(path.join(state, "linkerd-issuer-key.pem")).mode & 0o777).toBe(0o600);
    // What Linkerd's identity controller then signs verifies under the trust anchor.
    const leaf = issueLeaf({ ca: meshCa(ca.root, new CaCredential(material!.issuer.certificatePem, material!.issuer.privateKeyPem)), spiffeId: SPIFFE, lifetimeMs: 3_600_000, now: FIXTURE_NOW });
    expect(verifies(material!.trustAnchorsPem, leaf.certPem, material!.issuer.certificatePem, ["-purpose", "sslclient"])).toBe("cert.pem: OK");

    const again = linkerdIdentity(bookinfo, { stateDir: state, now: new Date(FIXTURE_NOW.getTime() + 86_400_000) });
    expect(again.material).toEqual(material);
  });

  it("replaces the issuer when the trust domain changes, under the same root", () => {
    const state = fixtureState();
    const first = linkerdIdentity(bookinfo, { stateDir: state, now: FIXTURE_NOW }).material!;
    expect(first.issuer.certificatePem).toBe(fs.readFileSync(path.join(FIXTURE_CA_DIR, "linkerd-issuer.pem"), "utf8"));
    const prod: MeshIR = { ...bookinfo, trustDomain: "prod.acme.com" };
    const second = linkerdIdentity(prod, { stateDir: state, now: FIXTURE_NOW }).material!;
    expect(second.trustAnchorsPem).toBe(first.trustAnchorsPem);
    expect(parseCertificate(second.issuer.certificatePem).dnsNames).toEqual(["identity.linkerd.prod.acme.com"]);
    expect(verifies(second.trustAnchorsPem, second.issuer.certificatePem, undefined, ["-verify_hostname", "identity.linkerd.prod.acme.com"])).toBe("cert.pem: OK");
  });

  it("reports an RSA CA as a MESH200 at `certificates`, with no material and no issuer created", () => {
    const state = emptyState();
    const rsa: MeshIR = { ...bookinfo, certificates: { ...bookinfo.certificates, keyAlgorithm: "rsa-2048" } };
    const { material, diagnostics } = linkerdIdentity(rsa, { stateDir: state, now: FIXTURE_NOW });
    expect(material).toBeUndefined();
    expect(diagnostics).toMatchObject([
      {
        code: "MESH200",
        severity: "warning",
        target: "linkerd",
        span: rsa.certificates.span,
        message: expect.stringMatching(/^linkerd cannot express an rsa-2048 certificate authority: Linkerd's trust anchor and identity issuer must be ECDSA P-256/),
      },
    ]);
    expect(fs.existsSync(path.join(state, "linkerd-issuer.pem"))).toBe(false);
  });

  it("reports a trust domain that cannot name Linkerd's issuer as a MESH200", () => {
    const odd: MeshIR = { ...bookinfo, trustDomain: "prod_cluster" };
    const { material, diagnostics } = linkerdIdentity(odd, { stateDir: fixtureState(), now: FIXTURE_NOW });
    expect(material).toBeUndefined();
    expect(diagnostics.map((d) => d.message)).toEqual([
      'linkerd cannot express the trust domain "prod_cluster": Linkerd\'s identity issuer is named identity.linkerd.prod_cluster, which must be a DNS name; the trust anchor and issuer are not written',
    ]);
  });
});

describe("the registered Linkerd target, wired to the CA", () => {
  it("writes the mesh root as the trust roots, and the issuer Secret only with includeSecrets", () => {
    const state = fixtureState();
    const root = fs.readFileSync(path.join(FIXTURE_CA_DIR, "root.pem"), "utf8");
    const plain = linkerdTarget.run(bookinfo, { stateDir: state, now: FIXTURE_NOW });
    const cm = objects(plain.artifacts).find((o) => o.kind === "ConfigMap" && o.metadata.name === "linkerd-identity-trust-roots")!;
    expect((cm as unknown as { data: Record<string, string> }).data).toEqual({ "ca-bundle.crt": root });
    expect(plain.artifacts.some((a) => "sensitive" in a && a.sensitive)).toBe(false);

    const withSecrets = linkerdTarget.run(bookinfo, { stateDir: state, now: FIXTURE_NOW, includeSecrets: true });
    const secret = objects(withSecrets.artifacts).find((o) => o.kind === "Secret")!;
    const data = secretData(secret);
    expect(data["ca.crt"]).toBe(root);
    expect(data["tls.crt"]).toBe(fs.readFileSync(path.join(FIXTURE_CA_DIR, "linkerd-issuer.pem"), "utf8"));
    expect(verifies(data["ca.crt"]!, data["tls.crt"]!, undefined, ["-verify_hostname", "identity.linkerd.cluster.local"])).toBe("cert.pem: OK");
  });
});

describe("Istio's plug-in CA", () => {
  it("is nothing without includeSecrets, and creates no state for it", () => {
    const state = emptyState();
    expect(istioPluginCa(bookinfo, { stateDir: state, now: FIXTURE_NOW })).toBeUndefined();
    expect(istioCacerts(bookinfo, { stateDir: state, now: FIXTURE_NOW })).toBeUndefined();
    expect(fs.existsSync(state)).toBe(false);
  });

  it("is the istio-system/cacerts Secret: cert-chain = intermediate + root, and ca-cert/ca-key sign leaves that verify under root-cert", () => {
    const state = fixtureState();
    const artifact = istioCacerts(bookinfo, { stateDir: state, now: FIXTURE_NOW, includeSecrets: true })!;
    expect(artifact.path).toBe("istio/istio-system/secret-cacerts.yaml");
    expect("sensitive" in artifact && artifact.sensitive).toBe(true);
    const [secret] = objects([artifact]);
    const { apiVersion: _a, kind: _k, ...data } = secret!;
    new Secret(data as never).validate();
    const files = secretData(secret!);
    expect(Object.keys(files)).toEqual(["ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem"]);
    const read = (f: string) => fs.readFileSync(path.join(FIXTURE_CA_DIR, f), "utf8");
    expect(files["root-cert.pem"]).toBe(read("root.pem"));
    expect(files["ca-cert.pem"]).toBe(read("intermediate.pem"));
    expect(files["cert-chain.pem"]).toBe(files["ca-cert.pem"]! + files["root-cert.pem"]!);
    expect(verifies(files["root-cert.pem"]!, files["ca-cert.pem"]!, undefined)).toBe("cert.pem: OK");
    // What istiod signs with ca-cert.pem and ca-key.pem.
    const istiod = meshCa(new CaCredential(read("root.pem"), read("root-key.pem")), new CaCredential(files["ca-cert.pem"]!, files["ca-key.pem"]!));
    const leaf = issueLeaf({ ca: istiod, spiffeId: SPIFFE, lifetimeMs: 3_600_000, now: FIXTURE_NOW });
    expect(verifies(files["root-cert.pem"]!, leaf.certPem, files["cert-chain.pem"], ["-purpose", "sslserver"])).toBe("cert.pem: OK");
    // The seam's own shape, for createIstioTarget({ pluginCa: istioPluginCa }).
    expect(istioPluginCa(bookinfo, { stateDir: state, now: FIXTURE_NOW, includeSecrets: true })).toEqual({
      caCert: files["ca-cert.pem"],
      caKey: files["ca-key.pem"],
      rootCert: files["root-cert.pem"],
      certChain: files["cert-chain.pem"],
    });
  });
});

describe("rotateMeshCa", () => {
  it("replaces the intermediate, and Linkerd's issuer when there is one, under the same root", () => {
    const state = fixtureState();
    const before = loadMeshCa(bookinfo, { stateDir: state, now: FIXTURE_NOW });
    const rotated = rotateMeshCa(bookinfo, { stateDir: state, now: FIXTURE_NOW });
    expect(rotated.ca.root.certPem).toBe(before.root.certPem);
    expect(rotated.ca.intermediate.certPem).not.toBe(before.intermediate.certPem);
    expect(rotated.linkerdIssuer).toBeDefined();
    expect(linkerdIdentity(bookinfo, { stateDir: state, now: FIXTURE_NOW }).material!.issuer.certificatePem).toBe(rotated.linkerdIssuer!.certPem);
    expect(verifies(before.root.certPem, rotated.ca.intermediate.certPem, undefined)).toBe("cert.pem: OK");
    expect(verifies(before.root.certPem, rotated.linkerdIssuer!.certPem, undefined, ["-verify_hostname", "identity.linkerd.cluster.local"])).toBe("cert.pem: OK");

    const fresh = emptyState();
    loadMeshCa(bookinfo, { stateDir: fresh, now: FIXTURE_NOW });
    expect(rotateMeshCa(bookinfo, { stateDir: fresh, now: FIXTURE_NOW }).linkerdIssuer).toBeUndefined();
    expect(fs.existsSync(path.join(fresh, "linkerd-issuer.pem"))).toBe(false);
  });
});
