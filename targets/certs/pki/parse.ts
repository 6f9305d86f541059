/** Reading certificates back: for the CA state directory, for tests, and for the certs target. */
import crypto, { X509Certificate } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import {
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  KeyUsage,
  KeyUsageFlags,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
} from "@peculiar/asn1-x509";
import { PkiError } from "./errors.js";
import { decodePem } from "./pem.js";
import { OID_CLIENT_AUTH, OID_SERVER_AUTH } from "./x509.js";

export type KeyUsageName = keyof typeof KeyUsageFlags;

export interface CertificateInfo {
  /** One `TYPE=value` per line in certificate order, as Node's X509Certificate prints it; "" if empty. */
  readonly subject: string;
  readonly issuer: string;
  /** Upper-case hex, as openssl prints it. */
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly isCA: boolean;
  readonly pathLength: number | undefined;
  readonly uris: readonly string[];
  readonly dnsNames: readonly string[];
  readonly subjectAltNameCritical: boolean;
  readonly keyUsage: readonly KeyUsageName[];
  /** `serverAuth`/`clientAuth` by name, anything else as its OID. */
  readonly extendedKeyUsage: readonly string[];
  readonly subjectKeyId: string | undefined;
  readonly authorityKeyId: string | undefined;
  readonly publicKeyType: string;
  /** Lower-case hex SHA-256 of the DER encoding, the form manifest.json uses. */
  readonly sha256Fingerprint: string;
  readonly der: Buffer;
}

const EKU_NAMES: Record<string, string> = { [OID_SERVER_AUTH]: "serverAuth", [OID_CLIENT_AUTH]: "clientAuth" };

/** Parses one certificate (PEM with exactly one CERTIFICATE block, or DER). */
export function parseCertificate(input: string | Uint8Array): CertificateInfo {
  const der = typeof input === "string" ? decodePem(input, "CERTIFICATE").der : Buffer.from(input);
  let node: X509Certificate;
  let cert: Certificate;
  try {
    node = new X509Certificate(der);
    cert = AsnConvert.parse(der, Certificate);
  } catch {
    throw new PkiError("not a valid X.509 certificate");
  }
  const tbs = cert.tbsCertificate;
  const ext = (oid: string) => tbs.extensions?.find((e) => e.extnID === oid);
  const value = <T>(oid: string, type: new () => T): T | undefined => {
    const e = ext(oid);
    return e ? AsnConvert.parse(e.extnValue, type) : undefined;
  };

  const bc = value(id_ce_basicConstraints, BasicConstraints);
  const san = value(id_ce_subjectAltName, SubjectAlternativeName);
  const ku = value(id_ce_keyUsage, KeyUsage);
  const eku = value(id_ce_extKeyUsage, ExtendedKeyUsage);
  const ski = value(id_ce_subjectKeyIdentifier, SubjectKeyIdentifier);
  const aki = value(id_ce_authorityKeyIdentifier, AuthorityKeyIdentifier);
  const flags = ku?.toNumber() ?? 0;
  const keyUsage = (Object.keys(KeyUsageFlags) as KeyUsageName[])
    .filter((name) => Number.isNaN(Number(name)))
    .filter((name) => (flags & KeyUsageFlags[name]) !== 0);

  return {
    // Node reports an empty Name as undefined.
    subject: node.subject ?? "",
    issuer: node.issuer ?? "",
    serialNumber: node.serialNumber.toUpperCase(),
    notBefore: tbs.validity.notBefore.getTime(),
    notAfter: tbs.validity.notAfter.getTime(),
    isCA: bc?.cA === true,
    pathLength: bc?.cA ? bc.pathLenConstraint : undefined,
    uris: (san ?? []).flatMap((n) => (n.uniformResourceIdentifier !== undefined ? [n.uniformResourceIdentifier] : [])),
    dnsNames: (san ?? []).flatMap((n) => (n.dNSName !== undefined ? [n.dNSName] : [])),
    subjectAltNameCritical: ext(id_ce_subjectAltName)?.critical === true,
    keyUsage,
    extendedKeyUsage: [...(eku ?? [])].map((oid) => EKU_NAMES[oid] ?? oid),
    subjectKeyId: ski ? Buffer.from(ski.buffer).toString("hex") : undefined,
    authorityKeyId: aki?.keyIdentifier ? Buffer.from(aki.keyIdentifier.buffer).toString("hex") : undefined,
    publicKeyType: node.publicKey.asymmetricKeyType ?? "unknown",
    sha256Fingerprint: crypto.createHash("sha256").update(der).digest("hex"),
    der,
  };
}
