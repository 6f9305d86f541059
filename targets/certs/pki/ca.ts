/**
 * Root and intermediate CAs, built as full asn1-x509 structures (they are few, so the slow but
 * declarative path is fine here; leaves use the spliced fast path in leaf.ts).
 */
import crypto, { X509Certificate, type KeyObject } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import {
  AuthorityKeyIdentifier,
  BasicConstraints,
  Extensions,
  GeneralName,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  Name,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
} from "@peculiar/asn1-x509";
import { certificateParts, truncateToSecond } from "./der.js";
import { PkiError } from "./errors.js";
import { generateKeyPair, keyAlgorithmOf, loadPrivateKey, type KeyAlgorithm, type KeyKind } from "./keys.js";
import { parseCertificate, type CertificateInfo } from "./parse.js";
import { encodePem } from "./pem.js";
import {
  assembleCertificate,
  encodeName,
  extension,
  isEmptyName,
  keyIdentifier,
  randomSerials,
  serialize,
  signTbs,
  signatureAlgorithm,
  x509Time,
  type DistinguishedName,
} from "./x509.js";

interface Secret {
  readonly key: KeyObject;
  readonly kind: KeyKind;
  readonly pem: string;
}

/**
 * Private keys live here rather than on the object, so `console.log(ca)`, `util.inspect` and
 * `JSON.stringify` can never print one.
 */
const secrets = new WeakMap<CaCredential, Secret>();

/** A CA certificate with its private key. */
export class CaCredential {
  readonly certPem: string;
  readonly certDer: Buffer;
  readonly info: CertificateInfo;
  readonly keyAlgorithm: KeyAlgorithm;
  /** The subject Name exactly as encoded, copied into children's issuer field. */
  readonly subjectDer: Buffer;
  readonly subjectKeyId: Buffer;

  /**
   * Validates that the certificate is a CA and that the key is its key. `what` names the pair in
   * errors (a file name, say); errors never contain key material.
   */
  constructor(certPem: string, keyPem: string, what = "CA") {
    let info: CertificateInfo;
    try {
      info = parseCertificate(certPem);
    } catch (error) {
      throw new PkiError(`${what}: certificate: ${(error as Error).message}`);
    }
    if (!info.isCA) throw new PkiError(`${what}: certificate is not a CA (basicConstraints cA is not TRUE)`);
    if (!info.keyUsage.includes("keyCertSign")) throw new PkiError(`${what}: certificate lacks the keyCertSign key usage`);
    const { key, kind } = loadPrivateKey(keyPem, `${what}: private key`);
    if (!keyBelongsTo(key, new X509Certificate(info.der))) {
      throw new PkiError(`${what}: private key does not belong to the certificate`);
    }
    const parts = certificateParts(info.der);
    this.certDer = info.der;
    this.certPem = encodePem("CERTIFICATE", info.der);
    this.info = info;
    this.keyAlgorithm = keyAlgorithmOf(kind);
    this.subjectDer = parts.subject;
    // Children must carry the issuer's own SKI as their AKI, whatever method computed it.
    this.subjectKeyId = info.subjectKeyId !== undefined ? Buffer.from(info.subjectKeyId, "hex") : keyIdentifier(parts.spki);
    secrets.set(this, { key, kind, pem: keyPem });
  }

  /** The PEM private key, for writing Istio's `cacerts` or Linkerd's issuer Secret. */
  privateKeyPem(): string {
    return secretOf(this).pem;
  }

  get notBefore(): Date {
    return this.info.notBefore;
  }

  get notAfter(): Date {
    return this.info.notAfter;
  }

  toJSON(): object {
    return { certPem: this.certPem, keyAlgorithm: this.keyAlgorithm, subject: this.info.subject, sha256Fingerprint: this.info.sha256Fingerprint };
  }
}

/**
 * checkPrivateKey() alone is not enough: it compares the public point stored inside the key file,
 * so a file whose private scalar is damaged still passes and would sign garbage. A signature
 * round trip proves the scalar itself.
 */
function keyBelongsTo(key: KeyObject, cert: X509Certificate): boolean {
  if (!cert.checkPrivateKey(key)) return false;
  const probe = Buffer.from("meshc CA key check");
  return crypto.verify("sha256", probe, cert.publicKey, crypto.sign("sha256", probe, key));
}

/** @internal Signing access for the issuing code in this folder. */
export function secretOf(ca: CaCredential): Secret {
  const secret = secrets.get(ca);
  if (!secret) throw new PkiError("CA credential has no private key");
  return secret;
}

/** The mesh's CA pair: the root is the trust anchor, the intermediate signs workloads. */
export interface MeshCa {
  readonly root: CaCredential;
  readonly intermediate: CaCredential;
  /** Root certificate: Istio's `root-cert.pem`, Linkerd's trust anchor (`ca.crt`). */
  readonly trustBundlePem: string;
  /** Intermediate then root: Istio's `cert-chain.pem`. */
  readonly issuerChainPem: string;
}

export function meshCa(root: CaCredential, intermediate: CaCredential): MeshCa {
  const issued = new X509Certificate(intermediate.certDer);
  const issuer = new X509Certificate(root.certDer);
  if (!issued.checkIssued(issuer) || !issued.verify(issuer.publicKey)) {
    throw new PkiError("intermediate certificate is not signed by the root certificate");
  }
  return { root, intermediate, trustBundlePem: root.certPem, issuerChainPem: intermediate.certPem + root.certPem };
}

export const DAY_MS = 86_400_000;
export const DEFAULT_ROOT_LIFETIME_MS = 3650 * DAY_MS;
export const DEFAULT_INTERMEDIATE_LIFETIME_MS = 365 * DAY_MS;

export interface RootOptions {
  /** E.g. `{ organization: mesh, commonName: `${mesh} Root CA` }`. Must not be empty. */
  readonly subject: DistinguishedName;
  readonly keyAlgorithm?: KeyAlgorithm;
  /** Default ten years. */
  readonly lifetimeMs?: number;
  readonly now: Date;
}

export interface IntermediateOptions {
  /** Linkerd requires `{ commonName: "identity.linkerd.cluster.local" }`. Must not be empty. */
  readonly subject: DistinguishedName;
  readonly keyAlgorithm?: KeyAlgorithm;
  /** Default one year; never beyond the root's notAfter. */
  readonly lifetimeMs?: number;
  /**
   * DNS names for a subjectAltName. Linkerd verifies its issuer with Go's x509 `DNSName` option,
   * which reads only SANs (never the CN), so its issuer needs `identity.linkerd.<trust domain>` here.
   */
  readonly dnsNames?: readonly string[];
  readonly now: Date;
}

/** A self-signed root: CA:TRUE and keyCertSign+cRLSign, both critical; SKI; no pathLen limit. */
export function createRoot(options: RootOptions): CaCredential {
  const key = generateKeyPair(options.keyAlgorithm ?? "ecdsa-p256");
  const { key: signingKey, kind } = loadPrivateKey(key.privateKeyPem, "root private key");
  const subject = encodeCaName(options.subject, "root");
  const ski = keyIdentifier(key.spkiDer);
  const notBefore = truncateToSecond(options.now);
  const notAfter = validityEnd(notBefore, options.lifetimeMs ?? DEFAULT_ROOT_LIFETIME_MS, undefined);
  const der = signCa({
    issuerName: subject,
    issuerKey: signingKey,
    issuerKind: kind,
    subjectName: subject,
    spkiDer: key.spkiDer,
    notBefore,
    notAfter,
    ski,
    aki: undefined,
    pathLength: undefined,
    dnsNames: [],
    expectedIssuerDer: undefined,
  });
  return new CaCredential(encodePem("CERTIFICATE", der), key.privateKeyPem, "root");
}

/**
 * An intermediate under `root`: CA:TRUE pathLen 0 and keyCertSign+cRLSign, both critical; SKI
 * and AKI. Used as Istio's plug-in CA and Linkerd's identity issuer.
 */
export function createIntermediate(root: CaCredential, options: IntermediateOptions): CaCredential {
  const key = generateKeyPair(options.keyAlgorithm ?? root.keyAlgorithm);
  const notBefore = truncateToSecond(options.now);
  requireValidAt(root, notBefore, "root");
  const notAfter = validityEnd(notBefore, options.lifetimeMs ?? DEFAULT_INTERMEDIATE_LIFETIME_MS, root.notAfter);
  const secret = secretOf(root);
  const der = signCa({
    issuerName: AsnConvert.parse(root.subjectDer, Name),
    issuerKey: secret.key,
    issuerKind: secret.kind,
    subjectName: encodeCaName(options.subject, "intermediate"),
    spkiDer: key.spkiDer,
    notBefore,
    notAfter,
    ski: keyIdentifier(key.spkiDer),
    aki: root.subjectKeyId,
    pathLength: 0,
    dnsNames: validDnsNames(options.dnsNames ?? []),
    expectedIssuerDer: root.subjectDer,
  });
  return new CaCredential(encodePem("CERTIFICATE", der), key.privateKeyPem, "intermediate");
}

export interface CaOptions {
  readonly rootSubject: DistinguishedName;
  readonly intermediateSubject: DistinguishedName;
  /** For both CA keys; default ECDSA P-256 (Linkerd accepts nothing else). */
  readonly keyAlgorithm?: KeyAlgorithm;
  readonly rootLifetimeMs?: number;
  readonly intermediateLifetimeMs?: number;
  readonly now: Date;
}

/** A fresh root and intermediate in memory; see state.ts for the persisted variant. */
export function createCa(options: CaOptions): MeshCa {
  const root = createRoot({ subject: options.rootSubject, keyAlgorithm: options.keyAlgorithm, lifetimeMs: options.rootLifetimeMs, now: options.now });
  const intermediate = createIntermediate(root, {
    subject: options.intermediateSubject,
    keyAlgorithm: options.keyAlgorithm,
    lifetimeMs: options.intermediateLifetimeMs,
    now: options.now,
  });
  return meshCa(root, intermediate);
}

/** Throws unless `ca` is valid at `at`: issuing under an expired CA only yields unverifiable certificates. */
export function requireValidAt(ca: CaCredential, at: Date, what: string): void {
  if (at < ca.notBefore) throw new PkiError(`${what} certificate is not valid before ${ca.notBefore.toISOString()} (now is ${at.toISOString()})`);
  if (at >= ca.notAfter) throw new PkiError(`${what} certificate expired at ${ca.notAfter.toISOString()} (now is ${at.toISOString()})`);
}

/**
 * notBefore + lifetime, capped at the issuer's notAfter: a certificate cannot usefully outlive its
 * issuer, and cert-manager caps the same way.
 */
export function validityEnd(notBefore: Date, lifetimeMs: number, cap: Date | undefined): Date {
  if (!Number.isFinite(lifetimeMs) || lifetimeMs < 1000) throw new PkiError(`lifetime must be at least one second, got ${lifetimeMs} ms`);
  const end = truncateToSecond(new Date(notBefore.getTime() + lifetimeMs));
  return cap !== undefined && end > cap ? cap : end;
}

const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;

/** Lower-case LDH labels of at most 63 characters, at most 253 in all (RFC 1035 §2.3.4). */
export function isDnsName(name: string): boolean {
  return DNS_NAME.test(name);
}

function validDnsNames(names: readonly string[]): readonly string[] {
  for (const name of names) if (!isDnsName(name)) throw new PkiError(`${JSON.stringify(name)} is not a valid DNS name for a subjectAltName`);
  return names;
}

function encodeCaName(dn: DistinguishedName, what: string): Name {
  if (isEmptyName(dn)) throw new PkiError(`${what} subject must not be empty (RFC 5280 §4.1.2.6)`);
  return encodeName(dn);
}

interface CaTbs {
  readonly issuerName: Name;
  readonly issuerKey: KeyObject;
  readonly issuerKind: KeyKind;
  readonly subjectName: Name;
  readonly spkiDer: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly ski: Buffer;
  readonly aki: Buffer | undefined;
  readonly pathLength: number | undefined;
  readonly dnsNames: readonly string[];
  /** The issuer's subject bytes, which the re-encoded issuer name must reproduce exactly. */
  readonly expectedIssuerDer: Buffer | undefined;
}

function signCa(p: CaTbs): Buffer {
  const [serial] = randomSerials(1);
  const sigAlg = signatureAlgorithm(p.issuerKind);
  const extensions = new Extensions([
    extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: true, pathLenConstraint: p.pathLength })),
    extension(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign)),
    extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(p.ski)),
  ]);
  if (p.aki) {
    extensions.push(extension(id_ce_authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(p.aki) })));
  }
  if (p.dnsNames.length > 0) {
    // Not critical: CA subjects are never empty (RFC 5280 §4.2.1.6).
    extensions.push(extension(id_ce_subjectAltName, false, new SubjectAlternativeName(p.dnsNames.map((dNSName) => new GeneralName({ dNSName })))));
  }
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: toArrayBuffer(serial!),
    signature: sigAlg,
    issuer: p.issuerName,
    validity: new Validity(),
    subject: p.subjectName,
    subjectPublicKeyInfo: AsnConvert.parse(p.spkiDer, SubjectPublicKeyInfo),
    extensions,
  });
  tbs.validity.notBefore = x509Time(p.notBefore);
  tbs.validity.notAfter = x509Time(p.notAfter);
  const tbsDer = serialize(tbs);
  const der = assembleCertificate(tbsDer, serialize(sigAlg), signTbs(tbsDer, p.issuerKey));
  const parts = certificateParts(der);
  if (!parts.spki.equals(p.spkiDer)) throw new PkiError("public key did not survive re-encoding");
  if (p.expectedIssuerDer && !parts.issuer.equals(p.expectedIssuerDer)) {
    throw new PkiError("issuer name cannot be re-encoded byte-identically; name chaining would break in Go verifiers");
  }
  return der;
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
