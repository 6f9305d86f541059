/**
 * End-to-end: certificates issued here are judged by the system openssl, not by this library.
 */
import crypto, { X509Certificate } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openssl, tempDir, verify, writeFiles } from "./__fixtures__/openssl.js";
import {
  PkiError,
  createCa,
  createIntermediate,
  generateKeyPair,
  issueLeaf,
  issueLeafCertificate,
  issueLeaves,
  parseCertificate,
  workloadSpiffeId,
  type MeshCa,
} from "./index.js";

const NOW = new Date("2026-03-01T12:00:00.000Z");
const HOUR = 3_600_000;
const SPIFFE = "spiffe://cluster.local/ns/shop/sa/checkout";

const dirs: string[] = [];
function dir(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function ca(keyAlgorithm: "ecdsa-p256" | "rsa-2048" = "ecdsa-p256", mesh = "shop", intermediateCN = `${mesh} Intermediate CA`): MeshCa {
  return createCa({
    rootSubject: { organization: mesh, commonName: `${mesh} Root CA` },
    intermediateSubject: { organization: mesh, commonName: intermediateCN },
    keyAlgorithm,
    now: NOW,
  });
}

function chainDir(mesh: MeshCa, leafPem: string, keyPem?: string): string {
  return writeFiles(dir(), {
    "root.pem": mesh.root.certPem,
    "intermediate.pem": mesh.intermediate.certPem,
    "leaf.pem": leafPem,
    ...(keyPem ? { "leaf-key.pem": keyPem } : {}),
  });
}

/** openssl checks against the wall clock; certificates here are valid around NOW, so pin the time. */
const AT_NOW = ["-attime", String(Math.floor(NOW.getTime() / 1000) + 60)];

describe("ECDSA P-256 CA and leaf, checked by openssl", () => {
  let mesh: MeshCa;
  let d: string;
  beforeAll(() => {
    mesh = ca();
    const leaf = issueLeaf({ spiffeId: SPIFFE, ca: mesh, lifetimeMs: 24 * HOUR, now: NOW });
    d = chainDir(mesh, leaf.certPem, leaf.keyPem);
    fs.writeFileSync(path.join(d, "chain.pem"), leaf.chainPem);
  });

  it("verifies root → intermediate → leaf, for TLS client and server, and under -x509_strict", () => {
    for (const extra of [[], ["-purpose", "sslclient"], ["-purpose", "sslserver"], ["-x509_strict"]]) {
      const r = verify(d, [...AT_NOW, ...extra]);
      expect(r.stderr, extra.join(" ")).toBe("");
      expect(r.stdout.trim()).toBe("leaf.pem: OK");
    }
  });

  it("fails verification at a time outside the leaf's validity (the -attime pin is what makes it pass)", () => {
    const later = ["-attime", String(Math.floor(NOW.getTime() / 1000) + 25 * 3600)];
    const r = verify(d, later);
    expect(r.ok).toBe(false);
    expect(r.stdout + r.stderr).toMatch(/certificate has expired/);
  });

  it("has exactly one SAN: the SPIFFE URI, critical because the subject is empty", () => {
    const r = openssl(["x509", "-noout", "-ext", "subjectAltName", "-in", "leaf.pem"], d);
    expect(r.ok).toBe(true);
    expect(r.stdout).toBe(`X509v3 Subject Alternative Name: critical\n    URI:${SPIFFE}\n`);
    expect(openssl(["x509", "-noout", "-subject", "-in", "leaf.pem"], d).stdout.trim()).toBe("subject=");
  });

  it("marks the leaf as an end entity with digitalSignature and serverAuth+clientAuth", () => {
    const text = openssl(["x509", "-noout", "-text", "-in", "leaf.pem"], d).stdout;
    expect(text).toMatch(/X509v3 Basic Constraints: critical\n\s+CA:FALSE\n/);
    expect(text).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature\n/);
    expect(text).toMatch(/X509v3 Extended Key Usage: \n\s+TLS Web Server Authentication, TLS Web Client Authentication\n/);
    expect(text).toMatch(/X509v3 Subject Key Identifier: \n\s+[0-9A-F:]{59}\n/);
    expect(text).toMatch(/X509v3 Authority Key Identifier: \n\s+(keyid:)?[0-9A-F:]{59}\n/);
    expect(text).toMatch(/Version: 3 \(0x2\)/);
    expect(text).toMatch(/Signature Algorithm: ecdsa-with-SHA256/);
    expect(text).toMatch(/Public Key Algorithm: id-ecPublicKey[\s\S]*NIST CURVE: P-256/);
  });

  it("marks the root and intermediate as CAs; the intermediate with pathlen 0; both keyCertSign+cRLSign critical", () => {
    const rootText = openssl(["x509", "-noout", "-text", "-in", "root.pem"], d).stdout;
    const interText = openssl(["x509", "-noout", "-text", "-in", "intermediate.pem"], d).stdout;
    expect(rootText).toMatch(/X509v3 Basic Constraints: critical\n\s+CA:TRUE\n/);
    expect(interText).toMatch(/X509v3 Basic Constraints: critical\n\s+CA:TRUE, pathlen:0\n/);
    for (const text of [rootText, interText]) {
      expect(text).toMatch(/X509v3 Key Usage: critical\n\s+Certificate Sign, CRL Sign\n/);
      expect(text).toMatch(/X509v3 Subject Key Identifier: /);
    }
    expect(rootText).not.toMatch(/Authority Key Identifier/);
    expect(interText).toMatch(/X509v3 Authority Key Identifier: /);
    expect(openssl(["x509", "-noout", "-subject", "-issuer", "-in", "root.pem"], d).stdout).toBe(
      "subject=O = shop, CN = shop Root CA\nissuer=O = shop, CN = shop Root CA\n",
    );
    expect(openssl(["x509", "-noout", "-subject", "-issuer", "-in", "intermediate.pem"], d).stdout).toBe(
      "subject=O = shop, CN = shop Intermediate CA\nissuer=O = shop, CN = shop Root CA\n",
    );
  });

  it("chains the intermediate's SKI into the leaf's AKI and the root's SKI into the intermediate's AKI", () => {
    const leaf = parseCertificate(fs.readFileSync(path.join(d, "leaf.pem"), "utf8"));
    expect(leaf.authorityKeyId).toBe(mesh.intermediate.info.subjectKeyId);
    expect(mesh.intermediate.info.authorityKeyId).toBe(mesh.root.info.subjectKeyId);
    expect(leaf.subjectKeyId).toMatch(/^[0-9a-f]{40}$/);
  });

  it("writes a leaf key that openssl accepts and that belongs to the leaf certificate", () => {
    expect(openssl(["ec", "-check", "-noout", "-in", "leaf-key.pem"], d).stderr).toMatch(/EC Key valid/);
    const fromCert = openssl(["x509", "-noout", "-pubkey", "-in", "leaf.pem"], d).stdout;
    const fromKey = openssl(["pkey", "-pubout", "-in", "leaf-key.pem"], d).stdout;
    expect(fromCert).toMatch(/BEGIN PUBLIC KEY/);
    expect(fromKey).toBe(fromCert);
  });

  it("returns the chain as leaf then intermediate, which openssl verifies as a bundle", () => {
    const chain = fs.readFileSync(path.join(d, "chain.pem"), "utf8");
    expect(chain).toBe(fs.readFileSync(path.join(d, "leaf.pem"), "utf8") + mesh.intermediate.certPem);
    const r = openssl(["verify", ...AT_NOW, "-CAfile", "root.pem", "-untrusted", "chain.pem", "leaf.pem"], d);
    expect(r.stdout.trim()).toBe("leaf.pem: OK");
  });
});

describe("a leaf under a different CA", () => {
  it("fails openssl verify against another mesh's root, whichever intermediate is offered", () => {
    const a = ca("ecdsa-p256", "alpha");
    const b = ca("ecdsa-p256", "alpha"); // same names, different keys: only the signatures tell them apart
    const leafB = issueLeaf({ spiffeId: SPIFFE, ca: b, lifetimeMs: HOUR, now: NOW });
    const d = writeFiles(dir(), {
      "rootA.pem": a.root.certPem,
      "interA.pem": a.intermediate.certPem,
      "interB.pem": b.intermediate.certPem,
      "leafB.pem": leafB.certPem,
    });
    const own = openssl(["verify", ...AT_NOW, "-CAfile", "rootA.pem", "-untrusted", "interB.pem", "leafB.pem"], d);
    expect(own.ok).toBe(false);
    expect(own.stdout + own.stderr).toMatch(/error \d+ at \d+ depth lookup/);
    const other = openssl(["verify", ...AT_NOW, "-CAfile", "rootA.pem", "-untrusted", "interA.pem", "leafB.pem"], d);
    expect(other.ok).toBe(false);
    // The control: the same files with the right root verify.
    fs.writeFileSync(path.join(d, "rootB.pem"), b.root.certPem);
    expect(openssl(["verify", ...AT_NOW, "-CAfile", "rootB.pem", "-untrusted", "interB.pem", "leafB.pem"], d).ok).toBe(true);
  });
});

describe("RSA", () => {
  it("issues an RSA-2048 CA and RSA leaf that openssl verifies, with keyEncipherment and sha256WithRSAEncryption", () => {
    const mesh = ca("rsa-2048");
    const leaf = issueLeaf({ spiffeId: SPIFFE, ca: mesh, keyAlgorithm: "rsa-2048", lifetimeMs: HOUR, now: NOW });
    const d = chainDir(mesh, leaf.certPem, leaf.keyPem);
    for (const extra of [[], ["-purpose", "sslclient"], ["-purpose", "sslserver"], ["-x509_strict"]]) {
      expect(verify(d, [...AT_NOW, ...extra]).stdout.trim(), extra.join(" ")).toBe("leaf.pem: OK");
    }
    const text = openssl(["x509", "-noout", "-text", "-in", "leaf.pem"], d).stdout;
    expect(text).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature, Key Encipherment\n/);
    expect(text).toMatch(/Signature Algorithm: sha256WithRSAEncryption/);
    expect(text).toMatch(/Public-Key: \(2048 bit\)/);
    expect(openssl(["rsa", "-check", "-noout", "-in", "leaf-key.pem"], d).stdout).toMatch(/RSA key ok/);
    expect(openssl(["pkey", "-pubout", "-in", "leaf-key.pem"], d).stdout).toBe(openssl(["x509", "-noout", "-pubkey", "-in", "leaf.pem"], d).stdout);
    expect(parseCertificate(mesh.root.certPem).publicKeyType).toBe("rsa");
  });

  it("mixes algorithms: an ECDSA CA signs an RSA leaf and an RSA CA signs an ECDSA leaf", () => {
    for (const [caAlg, leafAlg] of [["ecdsa-p256", "rsa-2048"], ["rsa-2048", "ecdsa-p256"]] as const) {
      const mesh = ca(caAlg);
      const leaf = issueLeaf({ spiffeId: SPIFFE, ca: mesh, keyAlgorithm: leafAlg, lifetimeMs: HOUR, now: NOW });
      const d = chainDir(mesh, leaf.certPem);
      expect(verify(d, [...AT_NOW, "-purpose", "sslserver"]).stdout.trim(), `${caAlg} CA, ${leafAlg} leaf`).toBe("leaf.pem: OK");
    }
  });
});

describe("Linkerd and Istio shapes", () => {
  it("lets the intermediate be Linkerd's identity issuer: CN identity.linkerd.cluster.local, a CA under the trust anchor", () => {
    const mesh = ca("ecdsa-p256", "shop", "identity.linkerd.cluster.local");
    const d = writeFiles(dir(), { "root.pem": mesh.root.certPem, "issuer.crt": mesh.intermediate.certPem, "issuer.key": mesh.intermediate.privateKeyPem() });
    expect(openssl(["x509", "-noout", "-subject", "-in", "issuer.crt"], d).stdout).toBe("subject=O = shop, CN = identity.linkerd.cluster.local\n");
    expect(openssl(["verify", ...AT_NOW, "-CAfile", "root.pem", "issuer.crt"], d).stdout.trim()).toBe("issuer.crt: OK");
    // Linkerd's pkg/tls DecodePEMKey accepts only SEC1 "EC PRIVATE KEY".
    expect(mesh.intermediate.privateKeyPem()).toMatch(/^-----BEGIN EC PRIVATE KEY-----\n/);
    expect(openssl(["ec", "-check", "-noout", "-in", "issuer.key"], d).stderr).toMatch(/EC Key valid/);
  });

  it("gives an intermediate DNS SANs, which Go's verifier (Linkerd's) matches instead of the CN", () => {
    const mesh = ca();
    const name = "identity.linkerd.prod.acme.com";
    const issuer = createIntermediate(mesh.root, { subject: { commonName: name }, dnsNames: [name], now: NOW });
    const d = writeFiles(dir(), { "root.pem": mesh.root.certPem, "issuer.crt": issuer.certPem });
    expect(openssl(["x509", "-noout", "-ext", "subjectAltName", "-in", "issuer.crt"], d).stdout).toBe(`X509v3 Subject Alternative Name: \n    DNS:${name}\n`);
    expect(parseCertificate(issuer.certPem)).toMatchObject({ dnsNames: [name], subjectAltNameCritical: false, isCA: true, pathLength: 0 });
    expect(openssl(["verify", ...AT_NOW, "-x509_strict", "-verify_hostname", name, "-CAfile", "root.pem", "issuer.crt"], d).stdout.trim()).toBe("issuer.crt: OK");
    expect(openssl(["verify", ...AT_NOW, "-verify_hostname", "identity.linkerd.cluster.local", "-CAfile", "root.pem", "issuer.crt"], d).ok).toBe(false);
    expect(() => createIntermediate(mesh.root, { subject: { commonName: "x" }, dnsNames: ["Not A Name"], now: NOW })).toThrow(PkiError);
  });

  it("provides Istio's cacerts files: cert-chain.pem is intermediate then root", () => {
    const mesh = ca();
    expect(mesh.issuerChainPem).toBe(mesh.intermediate.certPem + mesh.root.certPem);
    expect(mesh.trustBundlePem).toBe(mesh.root.certPem);
  });
});

describe("validity", () => {
  it("takes notBefore from the injected clock (seconds precision) and notAfter from the lifetime", () => {
    const mesh = ca();
    const now = new Date("2026-03-01T12:34:56.789Z");
    const info = parseCertificate(issueLeaf({ spiffeId: SPIFFE, ca: mesh, lifetimeMs: 2 * HOUR, now }).certPem);
    expect(info.notBefore.toISOString()).toBe("2026-03-01T12:34:56.000Z");
    expect(info.notAfter.toISOString()).toBe("2026-03-01T14:34:56.000Z");
  });

  it("caps a leaf at the intermediate's notAfter and the intermediate at the root's", () => {
    const mesh = createCa({
      rootSubject: { commonName: "r" },
      intermediateSubject: { commonName: "i" },
      rootLifetimeMs: 10 * HOUR,
      intermediateLifetimeMs: 100 * HOUR,
      now: NOW,
    });
    expect(mesh.intermediate.notAfter).toEqual(mesh.root.notAfter);
    const leaf = parseCertificate(issueLeaf({ spiffeId: SPIFFE, ca: mesh, lifetimeMs: 1000 * HOUR, now: new Date(NOW.getTime() + HOUR) }).certPem);
    expect(leaf.notAfter).toEqual(mesh.intermediate.notAfter);
  });

  it("refuses to issue under an intermediate that has expired or is not yet valid", () => {
    const mesh = ca();
    const after = new Date(mesh.intermediate.notAfter.getTime() + 1000);
    expect(() => issueLeaf({ spiffeId: SPIFFE, ca: mesh, lifetimeMs: HOUR, now: after })).toThrow(/intermediate certificate expired/);
    const before = new Date(NOW.getTime() - 1000);
    expect(() => issueLeaf({ spiffeId: SPIFFE, ca: mesh, lifetimeMs: HOUR, now: before })).toThrow(/not valid before/);
    expect(() => issueLeaf({ spiffeId: SPIFFE, ca: mesh, lifetimeMs: 10, now: NOW })).toThrow(/at least one second/);
  });

  it("encodes times as UTCTime before 2050 and GeneralizedTime from 2050 on, in CA and leaf certificates alike", () => {
    const now = new Date("2049-12-31T23:00:00Z");
    const mesh = createCa({ rootSubject: { commonName: "r" }, intermediateSubject: { commonName: "i" }, rootLifetimeMs: 1000 * HOUR, intermediateLifetimeMs: 500 * HOUR, now });
    const leaf = issueLeaf({ spiffeId: SPIFFE, ca: mesh, lifetimeMs: 2 * HOUR, now });
    const d = chainDir(mesh, leaf.certPem);
    for (const file of ["root.pem", "intermediate.pem", "leaf.pem"]) {
      const asn1 = openssl(["asn1parse", "-in", file], d).stdout;
      expect(asn1, file).toMatch(/UTCTIME\s+:491231230000Z/);
      expect(asn1, file).toMatch(/GENERALIZEDTIME\s+:2050\d{10}Z/);
    }
    expect(parseCertificate(leaf.certPem).notAfter.toISOString()).toBe("2050-01-01T01:00:00.000Z");
    const at = ["-attime", String(Math.floor(now.getTime() / 1000) + 1800)];
    expect(verify(d, at).stdout.trim()).toBe("leaf.pem: OK");
  });
});

describe("serial numbers", () => {
  it("are positive, at most 20 octets, minimally encoded and unique across a batch", () => {
    const mesh = ca();
    const leaves = issueLeaves(
      Array.from({ length: 500 }, (_, i) => ({ spiffeId: `spiffe://cluster.local/ns/n/sa/s${i}` })),
      { ca: mesh, lifetimeMs: HOUR, now: NOW },
    );
    const serials = new Set<string>();
    for (const leaf of leaves) {
      const serial = new X509Certificate(leaf.certDer).serialNumber;
      serials.add(serial);
      const bytes = Buffer.from(serial.length % 2 ? `0${serial}` : serial, "hex");
      expect(bytes.length).toBeLessThanOrEqual(20);
      expect(bytes[0]! & 0x80).toBe(0);
      expect(bytes[0]).not.toBe(0);
    }
    expect(serials.size).toBe(leaves.length);
  });
});

describe("batches", () => {
  it("issues many leaves, each signed by the intermediate and carrying its own SPIFFE ID and key", () => {
    const mesh = ca();
    const ids = Array.from({ length: 300 }, (_, i) => workloadSpiffeId("cluster.local", `ns-${i % 7}`, `sa-${i}`));
    const leaves = issueLeaves(ids.map((spiffeId) => ({ spiffeId })), { ca: mesh, lifetimeMs: HOUR, now: NOW });
    const issuer = new X509Certificate(mesh.intermediate.certDer);
    const keys = new Set<string>();
    leaves.forEach((leaf, i) => {
      const x = new X509Certificate(leaf.certDer);
      expect(x.verify(issuer.publicKey)).toBe(true);
      expect(x.checkIssued(issuer)).toBe(true);
      expect(x.checkPrivateKey(crypto.createPrivateKey(leaf.keyPem))).toBe(true);
      expect(parseCertificate(leaf.certPem).uris).toEqual([ids[i]]);
      keys.add(leaf.keyPem);
    });
    expect(keys.size).toBe(leaves.length);
    // And openssl agrees on a sample.
    for (const i of [0, 150, 299]) {
      const d = chainDir(mesh, leaves[i]!.certPem);
      expect(verify(d, AT_NOW).stdout.trim()).toBe("leaf.pem: OK");
    }
  });

  it("validates every request before signing any", () => {
    const mesh = ca();
    expect(() =>
      issueLeaves([{ spiffeId: SPIFFE }, { spiffeId: "spiffe://cluster.local/ns//sa/x" }], { ca: mesh, lifetimeMs: HOUR, now: NOW }),
    ).toThrow(/empty path segment/);
  });
});

describe("existing keys", () => {
  it("generates a new P-256 key pair on every call, each private key matching its public key", () => {
    const keys = Array.from({ length: 50 }, () => generateKeyPair());
    expect(new Set(keys.map((k) => k.privateKeyPem)).size).toBe(keys.length);
    expect(new Set(keys.map((k) => k.spkiDer.toString("hex"))).size).toBe(keys.length);
    for (const k of keys) {
      const derived = crypto.createPublicKey(crypto.createPrivateKey(k.privateKeyPem)).export({ type: "spki", format: "der" });
      expect(Buffer.compare(derived, k.spkiDer)).toBe(0);
    }
  });

  it("reuses a key pair: same public key, new certificate", () => {
    const mesh = ca();
    const key = generateKeyPair();
    const a = issueLeaf({ spiffeId: SPIFFE, ca: mesh, key, lifetimeMs: HOUR, now: NOW });
    const b = issueLeaf({ spiffeId: SPIFFE, ca: mesh, key, lifetimeMs: HOUR, now: NOW });
    expect(a.keyPem).toBe(key.privateKeyPem);
    expect(b.keyPem).toBe(key.privateKeyPem);
    expect(a.certPem).not.toBe(b.certPem);
    const d = chainDir(mesh, b.certPem, b.keyPem);
    expect(verify(d, AT_NOW).stdout.trim()).toBe("leaf.pem: OK");
    expect(openssl(["pkey", "-pubout", "-in", "leaf-key.pem"], d).stdout).toBe(openssl(["x509", "-noout", "-pubkey", "-in", "leaf.pem"], d).stdout);
  });

  it("certifies a bare public key given as PEM", () => {
    const mesh = ca();
    const { publicKey, privateKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256", publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
    const leaf = issueLeafCertificate({ spiffeId: SPIFFE, publicKey, ca: mesh, lifetimeMs: HOUR, now: NOW });
    expect(new X509Certificate(leaf.certDer).checkPrivateKey(crypto.createPrivateKey(privateKey))).toBe(true);
    const d = chainDir(mesh, leaf.certPem);
    expect(verify(d, [...AT_NOW, "-purpose", "sslclient"]).stdout.trim()).toBe("leaf.pem: OK");
  });

  it("rejects keys of other types and curves", () => {
    const mesh = ca();
    const p384 = crypto.generateKeyPairSync("ec", { namedCurve: "P-384", publicKeyEncoding: { type: "spki", format: "der" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
    expect(() => issueLeafCertificate({ spiffeId: SPIFFE, publicKey: p384.publicKey, ca: mesh, lifetimeMs: HOUR, now: NOW })).toThrow(/unsupported key type ec secp384r1/);
    const ed = crypto.generateKeyPairSync("ed25519", { publicKeyEncoding: { type: "spki", format: "der" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
    expect(() => issueLeafCertificate({ spiffeId: SPIFFE, publicKey: ed.publicKey, ca: mesh, lifetimeMs: HOUR, now: NOW })).toThrow(/unsupported key type ed25519/);
    expect(() => issueLeafCertificate({ spiffeId: SPIFFE, publicKey: Buffer.from("nope"), ca: mesh, lifetimeMs: HOUR, now: NOW })).toThrow(PkiError);
  });
});

describe("leaf subject", () => {
  it("makes the SAN non-critical when the leaf has a subject", () => {
    const mesh = ca();
    const leaf = issueLeaf({ spiffeId: SPIFFE, ca: mesh, subject: { organization: "shop", commonName: "checkout.shop" }, lifetimeMs: HOUR, now: NOW });
    const d = chainDir(mesh, leaf.certPem);
    expect(openssl(["x509", "-noout", "-ext", "subjectAltName", "-in", "leaf.pem"], d).stdout).toBe(`X509v3 Subject Alternative Name: \n    URI:${SPIFFE}\n`);
    expect(openssl(["x509", "-noout", "-subject", "-in", "leaf.pem"], d).stdout).toBe("subject=O = shop, CN = checkout.shop\n");
    expect(verify(d, [...AT_NOW, "-x509_strict"]).stdout.trim()).toBe("leaf.pem: OK");
  });
});

describe("SPIFFE IDs", () => {
  const mesh = () => ca();
  it.each([
    ["http://cluster.local/ns/a/sa/b", /must start with "spiffe:\/\/"/],
    ["SPIFFE://cluster.local/ns/a/sa/b", /must start with/],
    ["spiffe:///ns/a/sa/b", /empty trust domain/],
    ["spiffe://Cluster.Local/ns/a/sa/b", /trust domain may only contain/],
    ["spiffe://cluster.local:8443/ns/a/sa/b", /trust domain may only contain/],
    ["spiffe://cluster.local", /needs a path/],
    ["spiffe://cluster.local/", /needs a path/],
    ["spiffe://cluster.local/ns/a/sa/b/", /needs a path|empty path segment/],
    ["spiffe://cluster.local/ns/../sa/b", /'\.' and '\.\.'/],
    ["spiffe://cluster.local/ns/a/sa/b?x=1", /path segments may only contain/],
    ["spiffe://cluster.local/ns/a%20b/sa/b", /path segments may only contain/],
    ["spiffe://cluster.local/ns/ä/sa/b", /path segments may only contain/],
  ])("rejects %s", (id, message) => {
    expect(() => issueLeaf({ spiffeId: id, ca: mesh(), lifetimeMs: HOUR, now: NOW })).toThrow(message);
  });

  it("builds the Kubernetes service-account form", () => {
    expect(workloadSpiffeId("cluster.local", "shop", "checkout")).toBe(SPIFFE);
    expect(() => workloadSpiffeId("cluster.local", "shop", "")).toThrow(PkiError);
  });

  it("encodes a SPIFFE ID long enough to need multi-byte DER lengths", () => {
    const id = `spiffe://cluster.local/ns/${"n".repeat(63)}/sa/${"s".repeat(200)}`;
    const leaf = issueLeaf({ spiffeId: id, ca: mesh(), lifetimeMs: HOUR, now: NOW });
    expect(parseCertificate(leaf.certPem).uris).toEqual([id]);
  });
});

describe("CA inputs", () => {
  it("rejects empty CA subjects and over-long name attributes", () => {
    expect(() => createCa({ rootSubject: {}, intermediateSubject: { commonName: "i" }, now: NOW })).toThrow(/root subject must not be empty/);
    expect(() => createCa({ rootSubject: { commonName: "x".repeat(65) }, intermediateSubject: { commonName: "i" }, now: NOW })).toThrow(/at most 64/);
    expect(() => createCa({ rootSubject: { country: "usa", commonName: "r" }, intermediateSubject: { commonName: "i" }, now: NOW })).toThrow(/at most 2|two capital/);
  });

  it("encodes country as PrintableString and UTF-8 elsewhere", () => {
    const mesh = createCa({ rootSubject: { country: "DE", organization: "Bäckerei", commonName: "r" }, intermediateSubject: { commonName: "i" }, now: NOW });
    const d = writeFiles(dir(), { "root.pem": mesh.root.certPem, "intermediate.pem": mesh.intermediate.certPem });
    const asn1 = openssl(["asn1parse", "-in", "root.pem"], d).stdout;
    expect(asn1).toMatch(/PRINTABLESTRING\s+:DE/);
    expect(asn1).toMatch(/UTF8STRING\s+:B/);
    expect(openssl(["verify", ...AT_NOW, "-CAfile", "root.pem", "intermediate.pem"], d).stdout.trim()).toBe("intermediate.pem: OK");
  });

  it("issues an intermediate under an existing root with a different key algorithm", () => {
    const mesh = ca("rsa-2048");
    const inter = createIntermediate(mesh.root, { subject: { commonName: "ec issuer" }, keyAlgorithm: "ecdsa-p256", now: NOW });
    expect(inter.keyAlgorithm).toBe("ecdsa-p256");
    const d = writeFiles(dir(), { "root.pem": mesh.root.certPem, "i.pem": inter.certPem });
    expect(openssl(["verify", ...AT_NOW, "-x509_strict", "-CAfile", "root.pem", "i.pem"], d).stdout.trim()).toBe("i.pem: OK");
  });
});
