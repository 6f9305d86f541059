/**
 * X.509 building blocks shared by CA and leaf issuance: names, times, serials, key identifiers,
 * signature algorithms, and signing with node:crypto.
 */
import crypto, { type KeyObject } from "node:crypto";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  Extension,
  Name,
  RelativeDistinguishedName,
  Time,
} from "@peculiar/asn1-x509";
import { TAG_BIT_STRING, TAG_SEQUENCE, spkiPublicKeyBits, tlv, truncateToSecond, usesUtcTime } from "./der.js";
import { PkiError } from "./errors.js";
import type { KeyKind } from "./keys.js";

/**
 * A subject or issuer name. Attributes are encoded in the conventional order C, O, OU, CN, each
 * in its own RDN; country as PrintableString (RFC 5280 requires it), the rest as UTF8String.
 */
export interface DistinguishedName {
  readonly country?: string;
  readonly organization?: string;
  readonly organizationalUnit?: string;
  readonly commonName?: string;
}

const NAME_ATTRIBUTES = [
  { key: "country", oid: "2.5.4.6", max: 2 },
  { key: "organization", oid: "2.5.4.10", max: 64 },
  { key: "organizationalUnit", oid: "2.5.4.11", max: 64 },
  { key: "commonName", oid: "2.5.4.3", max: 64 },
] as const;

/** RFC 5280 upper bounds (ub-*-name); OpenSSL refuses longer values when it re-encodes names. */
export function encodeName(dn: DistinguishedName): Name {
  const rdns: RelativeDistinguishedName[] = [];
  for (const { key, oid, max } of NAME_ATTRIBUTES) {
    const value = dn[key];
    if (value === undefined) continue;
    if (typeof value !== "string" || value.length === 0 || [...value].length > max) {
      throw new PkiError(`name attribute ${key} must be a non-empty string of at most ${max} characters`);
    }
    if (key === "country" && !/^[A-Z]{2}$/.test(value)) throw new PkiError("name attribute country must be two capital letters (ISO 3166)");
    const attributeValue = new AttributeValue(key === "country" ? { printableString: value } : { utf8String: value });
    rdns.push(new RelativeDistinguishedName([new AttributeTypeAndValue({ type: oid, value: attributeValue })]));
  }
  return new Name(rdns);
}

export function encodeNameDer(dn: DistinguishedName): Buffer {
  return Buffer.from(AsnConvert.serialize(encodeName(dn)));
}

export function isEmptyName(dn: DistinguishedName | undefined): boolean {
  return !dn || NAME_ATTRIBUTES.every(({ key }) => dn[key] === undefined);
}

/** The Time CHOICE RFC 5280 requires for this date (UTCTime only for 1950–2049). */
export function x509Time(date: Date): Time {
  const d = truncateToSecond(date);
  return usesUtcTime(d) ? new Time({ utcTime: d }) : new Time({ generalTime: d });
}

export const OID_ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2";
export const OID_SHA256_WITH_RSA = "1.2.840.113549.1.1.11";
export const OID_SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
export const OID_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

/** RFC 5758: no parameters for ECDSA; RFC 4055: NULL parameters for RSA PKCS#1 v1.5. */
export function signatureAlgorithm(issuerKind: KeyKind): AlgorithmIdentifier {
  return issuerKind === "ec"
    ? new AlgorithmIdentifier({ algorithm: OID_ECDSA_WITH_SHA256 })
    : new AlgorithmIdentifier({ algorithm: OID_SHA256_WITH_RSA, parameters: null });
}

/** ECDSA signatures come out of node:crypto DER-encoded (Ecdsa-Sig-Value), as X.509 wants. */
export function signTbs(tbsDer: Uint8Array, key: KeyObject): Buffer {
  return crypto.sign("sha256", tbsDer, key);
}

export function assembleCertificate(tbsDer: Uint8Array, signatureAlgorithmDer: Uint8Array, signature: Uint8Array): Buffer {
  return tlv(TAG_SEQUENCE, tbsDer, signatureAlgorithmDer, tlv(TAG_BIT_STRING, Buffer.from([0]), signature));
}

/**
 * RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. One-shot `crypto.hash` (Node
 * 20.12+): a Hash object per leaf took about twice as long.
 */
export function keyIdentifier(spkiDer: Uint8Array): Buffer {
  return crypto.hash("sha1", spkiPublicKeyBits(spkiDer), "buffer");
}

const SERIAL_BYTES = 16;
/** Serials are drawn from a pool: one RAND_bytes call per 256 certificates instead of one each. */
const SERIAL_POOL_SIZE = SERIAL_BYTES * 256;
let serialPool = Buffer.alloc(0);
let serialPoolAt = 0;

/**
 * 16 random bytes with the top bit cleared (positive) and a non-zero first byte (so DER needs no
 * padding or trimming): 126 bits of entropy, well within RFC 5280's 20-octet limit. Each serial
 * is a fresh copy, and pool bytes are never handed out twice.
 */
export function randomSerials(count: number): Buffer[] {
  const serials: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    if (serialPoolAt + SERIAL_BYTES > serialPool.length) {
      serialPool = crypto.randomBytes(Math.max(SERIAL_POOL_SIZE, SERIAL_BYTES * (count - i)));
      serialPoolAt = 0;
    }
    const s = Buffer.from(serialPool.subarray(serialPoolAt, serialPoolAt + SERIAL_BYTES));
    serialPoolAt += SERIAL_BYTES;
    s[0] = (s[0]! & 0x7f) || 0x01;
    serials.push(s);
  }
  return serials;
}

export function extension(oid: string, critical: boolean, value: object): Extension {
  return new Extension({ extnID: oid, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

export function serialize(value: object): Buffer {
  return Buffer.from(AsnConvert.serialize(value));
}
