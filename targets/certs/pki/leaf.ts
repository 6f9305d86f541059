/**
 * Workload leaf certificates (X.509-SVIDs), signed by the mesh's intermediate.
 *
 * Profile: exactly one URI SAN with the SPIFFE ID; an empty subject by default, in which case the
 * SAN is critical (RFC 5280 §4.2.1.6; Istio issues the same shape); basicConstraints CA:FALSE and
 * keyUsage digitalSignature (+keyEncipherment for RSA), both critical; extendedKeyUsage
 * serverAuth+clientAuth (mTLS uses the certificate in both roles); SKI; AKI = the issuer's SKI.
 *
 * Hot path: everything that does not vary per leaf (issuer name, signature algorithm, the fixed
 * extensions) is serialised once per issuer with asn1-x509 and cached; each leaf splices its
 * serial, validity, key, SKI and SAN around those bytes. The tests check the result is
 * byte-identical to serialising the whole TBSCertificate with asn1-x509.
 */
import type { KeyObject } from "node:crypto";
import {
  AuthorityKeyIdentifier,
  BasicConstraints,
  ExtendedKeyUsage,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
} from "@peculiar/asn1-x509";
import { requireValidAt, secretOf, validityEnd, type CaCredential, type MeshCa } from "./ca.js";
import { TAG_OCTET_STRING, TAG_SEQUENCE, derTime, derUnsignedInteger, tlv, truncateToSecond } from "./der.js";
import { PkiError } from "./errors.js";
import { generateKeyPair, keyPairKind, publicKeyKind, spkiFrom, type KeyAlgorithm, type KeyKind, type KeyPair } from "./keys.js";
import { encodePem } from "./pem.js";
import { validateSpiffeId } from "./spiffe.js";
import {
  OID_CLIENT_AUTH,
  OID_SERVER_AUTH,
  assembleCertificate,
  encodeNameDer,
  extension,
  isEmptyName,
  keyIdentifier,
  randomSerials,
  serialize,
  signTbs,
  signatureAlgorithm,
  type DistinguishedName,
} from "./x509.js";

export interface LeafRequest {
  /** `spiffe://<trust-domain>/ns/<ns>/sa/<sa>`; see workloadSpiffeId(). */
  readonly spiffeId: string;
  /** Algorithm of the generated key; default ECDSA P-256. Ignored when `key` is given. */
  readonly keyAlgorithm?: KeyAlgorithm;
  /** Reuse this key instead of generating one (e.g. a key kept in the state directory). */
  readonly key?: KeyPair;
  /** Default empty, as Istio issues them; when non-empty the SAN is not marked critical. */
  readonly subject?: DistinguishedName;
}

export interface LeafValidity {
  /** The CA whose intermediate signs the leaf. */
  readonly ca: MeshCa;
  /** Capped at the intermediate's notAfter. */
  readonly lifetimeMs: number;
  /** notBefore; also the instant the intermediate must be valid at. */
  readonly now: Date;
}

export interface LeafOptions extends LeafRequest, LeafValidity {}

export interface IssuedLeaf {
  readonly certPem: string;
  readonly certDer: Buffer;
  readonly keyPem: string;
  /** Leaf then intermediate: what a TLS peer sends. The root is distributed separately. */
  readonly chainPem: string;
}

export function issueLeaf(options: LeafOptions): IssuedLeaf {
  const [leaf] = issueLeaves([options], options);
  return leaf!;
}

/**
 * Many leaves under one CA at once: the validity encoding, the issuer template and the random
 * pool for serials are shared. Throws on the first invalid request, before signing anything.
 */
export function issueLeaves(requests: readonly LeafRequest[], options: LeafValidity & { readonly keyAlgorithm?: KeyAlgorithm }): IssuedLeaf[] {
  const run = prepare(options);
  const prepared = requests.map((r) => {
    validateSpiffeId(r.spiffeId);
    return { request: r, subjectDer: subjectDer(r.subject), kind: r.key ? keyPairKind(r.key) : undefined };
  });
  const serials = randomSerials(requests.length);
  return prepared.map(({ request, subjectDer, kind }, i) => {
    const key = request.key ?? generateKeyPair(request.keyAlgorithm ?? options.keyAlgorithm ?? "ecdsa-p256");
    const der = run.sign(serials[i]!, subjectDer, key.spkiDer, kind ?? (key.algorithm === "ecdsa-p256" ? "ec" : "rsa"), request.spiffeId);
    const certPem = encodePem("CERTIFICATE", der);
    return { certPem, certDer: der, keyPem: key.privateKeyPem, chainPem: certPem + run.template.issuer.certPem };
  });
}

export interface LeafForKeyOptions extends LeafValidity {
  readonly spiffeId: string;
  /** SubjectPublicKeyInfo as DER or a `PUBLIC KEY` PEM: a CSR's key, or one kept elsewhere. */
  readonly publicKey: Uint8Array | string;
  readonly subject?: DistinguishedName;
}

/** A leaf for a public key whose private half the caller holds. */
export function issueLeafCertificate(options: LeafForKeyOptions): Omit<IssuedLeaf, "keyPem"> {
  validateSpiffeId(options.spiffeId);
  const spki = spkiFrom(options.publicKey);
  const kind = publicKeyKind(spki);
  const run = prepare(options);
  const [serial] = randomSerials(1);
  const der = run.sign(serial!, subjectDer(options.subject), spki, kind, options.spiffeId);
  const certPem = encodePem("CERTIFICATE", der);
  return { certPem, certDer: der, chainPem: certPem + run.template.issuer.certPem };
}

const EMPTY_NAME = Buffer.from([TAG_SEQUENCE, 0]);

function subjectDer(subject: DistinguishedName | undefined): Buffer {
  return isEmptyName(subject) ? EMPTY_NAME : encodeNameDer(subject!);
}

interface Run {
  readonly template: LeafTemplate;
  sign(serial: Buffer, subjectDer: Buffer, spkiDer: Buffer, kind: KeyKind, spiffeId: string): Buffer;
}

function prepare(options: LeafValidity): Run {
  const issuer = options.ca.intermediate;
  const notBefore = truncateToSecond(options.now);
  requireValidAt(issuer, notBefore, "intermediate");
  const notAfter = validityEnd(notBefore, options.lifetimeMs, issuer.notAfter);
  const validity = tlv(TAG_SEQUENCE, derTime(notBefore), derTime(notAfter));
  const template = templateFor(issuer);
  return {
    template,
    sign: (serial, subject, spki, kind, spiffeId) => {
      const tbs = leafTbs(template, { serial, validity, subject, spki, kind, spiffeId });
      return assembleCertificate(tbs, template.signatureAlgorithm, signTbs(tbs, template.key));
    },
  };
}

/** The per-issuer constant parts of a leaf TBSCertificate, serialised once with asn1-x509. */
export interface LeafTemplate {
  readonly issuer: CaCredential;
  readonly key: KeyObject;
  readonly signatureAlgorithm: Buffer;
  /** keyUsage, extendedKeyUsage, basicConstraints: the extensions before the SKI. */
  readonly extensionsBefore: Readonly<Record<KeyKind, Buffer>>;
  /** authorityKeyIdentifier: the extension between the SKI and the SAN. */
  readonly extensionsBetween: Buffer;
}

const templates = new WeakMap<CaCredential, LeafTemplate>();

export function templateFor(issuer: CaCredential): LeafTemplate {
  let template = templates.get(issuer);
  if (template) return template;
  const secret = secretOf(issuer);
  const fixed = (usage: number) =>
    Buffer.concat([
      serialize(extension(id_ce_keyUsage, true, new KeyUsage(usage))),
      serialize(extension(id_ce_extKeyUsage, false, new ExtendedKeyUsage([OID_SERVER_AUTH, OID_CLIENT_AUTH]))),
      serialize(extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: false }))),
    ]);
  template = {
    issuer,
    key: secret.key,
    signatureAlgorithm: serialize(signatureAlgorithm(secret.kind)),
    extensionsBefore: {
      ec: fixed(KeyUsageFlags.digitalSignature),
      // RSA key exchange in TLS 1.2 encrypts the premaster secret to the certificate's key.
      rsa: fixed(KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment),
    },
    extensionsBetween: serialize(
      extension(id_ce_authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(issuer.subjectKeyId) })),
    ),
  };
  templates.set(issuer, template);
  return template;
}

/** [0] EXPLICIT INTEGER 2 (v3). */
const VERSION_V3 = Buffer.from("a003020102", "hex");
const OID_SUBJECT_KEY_IDENTIFIER = Buffer.from("0603551d0e", "hex");
const OID_SUBJECT_ALT_NAME = Buffer.from("0603551d11", "hex");
const CRITICAL = Buffer.from("0101ff", "hex");
/** GeneralName uniformResourceIdentifier: [6] IMPLICIT IA5String. */
const TAG_URI = 0x86;

export interface LeafParts {
  readonly serial: Uint8Array;
  /** The encoded Validity SEQUENCE. */
  readonly validity: Buffer;
  /** The encoded subject Name (SEQUENCE {} when empty). */
  readonly subject: Buffer;
  readonly spki: Buffer;
  readonly kind: KeyKind;
  /** Already validated: SPIFFE IDs are ASCII, so they are valid IA5Strings. */
  readonly spiffeId: string;
}

export function leafTbs(t: LeafTemplate, p: LeafParts): Buffer {
  if (p.subject.length < 2) throw new PkiError("subject must be an encoded Name");
  const ski = tlv(TAG_SEQUENCE, OID_SUBJECT_KEY_IDENTIFIER, tlv(TAG_OCTET_STRING, tlv(TAG_OCTET_STRING, keyIdentifier(p.spki))));
  const sanValue = tlv(TAG_OCTET_STRING, tlv(TAG_SEQUENCE, tlv(TAG_URI, Buffer.from(p.spiffeId, "latin1"))));
  const emptySubject = p.subject.length === 2;
  const san = emptySubject ? tlv(TAG_SEQUENCE, OID_SUBJECT_ALT_NAME, CRITICAL, sanValue) : tlv(TAG_SEQUENCE, OID_SUBJECT_ALT_NAME, sanValue);
  const extensions = tlv(0xa3, tlv(TAG_SEQUENCE, t.extensionsBefore[p.kind], ski, t.extensionsBetween, san));
  return tlv(
    TAG_SEQUENCE,
    VERSION_V3,
    derUnsignedInteger(p.serial),
    t.signatureAlgorithm,
    t.issuer.subjectDer,
    p.validity,
    p.subject,
    p.spki,
    extensions,
  );
}
