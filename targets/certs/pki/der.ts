/**
 * The handful of DER primitives the leaf hot path needs. Certificates for CAs are built with
 * `@peculiar/asn1-x509`; leaves splice pre-serialised pieces with these helpers instead, because
 * serialising a whole TBSCertificate through asn1-schema costs ~0.7 ms and caps issuance near
 * 1,400/s. Tests compare the spliced bytes with a full asn1-x509 serialisation of the same value.
 */
import { PkiError } from "./errors.js";

export const TAG_INTEGER = 0x02;
export const TAG_BIT_STRING = 0x03;
export const TAG_OCTET_STRING = 0x04;
export const TAG_UTC_TIME = 0x17;
export const TAG_GENERALIZED_TIME = 0x18;
export const TAG_SEQUENCE = 0x30;

function lengthOctets(length: number): number {
  let count = 0;
  for (let n = length; n > 0; n = Math.floor(n / 256)) count++;
  return length < 0x80 ? 0 : count;
}

/** Writes a definite length at `at`; returns the offset after it. */
function writeLength(out: Uint8Array, at: number, length: number): number {
  const extra = lengthOctets(length);
  if (extra === 0) {
    out[at] = length;
    return at + 1;
  }
  out[at] = 0x80 | extra;
  for (let i = extra, n = length; i >= 1; i--, n = Math.floor(n / 256)) out[at + i] = n & 0xff;
  return at + 1 + extra;
}

export function derLength(length: number): Buffer {
  const out = Buffer.alloc(1 + lengthOctets(length));
  writeLength(out, 0, length);
  return out;
}

/**
 * One TLV with a single-byte tag; contents are concatenated. Writes into one allocation: this
 * runs ~20 times per leaf, and separate header buffers plus Buffer.concat showed up in profiles.
 */
export function tlv(tag: number, ...contents: readonly Uint8Array[]): Buffer {
  let length = 0;
  for (const c of contents) length += c.length;
  const out = Buffer.allocUnsafe(2 + lengthOctets(length) + length);
  out[0] = tag;
  let at = writeLength(out, 1, length);
  for (const c of contents) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** A non-negative INTEGER from big-endian magnitude bytes, minimally encoded as DER requires. */
export function derUnsignedInteger(magnitude: Uint8Array): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const body = magnitude.subarray(start);
  const needsPad = body.length === 0 || (body[0]! & 0x80) !== 0;
  return tlv(TAG_INTEGER, needsPad ? Buffer.concat([Buffer.from([0]), body]) : body);
}

/** Seconds precision: RFC 5280 forbids fractional seconds in certificate times. */
export function truncateToSecond(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

/**
 * RFC 5280 §4.1.2.5: UTCTime for 1950–2049, GeneralizedTime otherwise (UTCTime's two-digit year
 * cannot express other centuries). Always UTC with seconds and a trailing Z.
 */
export function usesUtcTime(date: Date): boolean {
  const year = date.getUTCFullYear();
  return year >= 1950 && year <= 2049;
}

export function derTime(date: Date): Buffer {
  const d = truncateToSecond(date);
  const year = d.getUTCFullYear();
  if (!Number.isFinite(d.getTime()) || year < 0 || year > 9999) {
    throw new PkiError(`certificate time out of range: ${String(date)}`);
  }
  const p2 = (n: number) => String(n).padStart(2, "0");
  const rest = `${p2(d.getUTCMonth() + 1)}${p2(d.getUTCDate())}${p2(d.getUTCHours())}${p2(d.getUTCMinutes())}${p2(d.getUTCSeconds())}Z`;
  return usesUtcTime(d)
    ? tlv(TAG_UTC_TIME, Buffer.from(`${p2(year % 100)}${rest}`, "latin1"))
    : tlv(TAG_GENERALIZED_TIME, Buffer.from(`${String(year).padStart(4, "0")}${rest}`, "latin1"));
}

export interface Tlv {
  readonly tag: number;
  /** Offset of the tag byte. */
  readonly start: number;
  /** Offset of the first content byte. */
  readonly contentStart: number;
  /** Offset just past the contents. */
  readonly end: number;
}

/** Reads the TLV at `offset`; only what certificates use (single-byte tags, definite lengths). */
export function readTlv(buf: Uint8Array, offset: number): Tlv {
  const tag = buf[offset];
  const first = buf[offset + 1];
  if (tag === undefined || first === undefined) throw new PkiError("truncated DER");
  if ((tag & 0x1f) === 0x1f) throw new PkiError("unsupported multi-byte DER tag");
  let length = first;
  let contentStart = offset + 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) throw new PkiError("unsupported DER length");
    length = 0;
    for (let i = 0; i < count; i++) {
      const b = buf[contentStart + i];
      if (b === undefined) throw new PkiError("truncated DER");
      length = length * 256 + b;
    }
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > buf.length) throw new PkiError("truncated DER");
  return { tag, start: offset, contentStart, end };
}

/** The TLVs directly inside a constructed TLV. */
export function children(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.contentStart; at < parent.end; ) {
    const child = readTlv(buf, at);
    out.push(child);
    at = child.end;
  }
  return out;
}

export function bytesOf(buf: Uint8Array, t: Tlv): Buffer {
  return Buffer.from(buf.buffer, buf.byteOffset + t.start, t.end - t.start);
}

/**
 * The raw pieces of a certificate a child certificate has to copy byte for byte: Go's verifier
 * chains by comparing RawIssuer with RawSubject, so a re-encoded name can break a valid chain.
 */
export interface CertificateParts {
  readonly tbs: Buffer;
  readonly subject: Buffer;
  readonly issuer: Buffer;
  readonly spki: Buffer;
}

export function certificateParts(der: Uint8Array): CertificateParts {
  const cert = readTlv(der, 0);
  const [tbs] = children(der, cert);
  if (cert.tag !== TAG_SEQUENCE || cert.end !== der.length || tbs?.tag !== TAG_SEQUENCE) {
    throw new PkiError("not a DER certificate");
  }
  const fields = children(der, tbs);
  // version is [0] EXPLICIT and absent for v1 certificates.
  const base = fields[0]?.tag === 0xa0 ? 1 : 0;
  const issuer = fields[base + 2];
  const subject = fields[base + 4];
  const spki = fields[base + 5];
  if (!issuer || !subject || !spki) throw new PkiError("not a DER certificate");
  return { tbs: bytesOf(der, tbs), issuer: bytesOf(der, issuer), subject: bytesOf(der, subject), spki: bytesOf(der, spki) };
}

/** The subjectPublicKey BIT STRING's key bytes (without the unused-bits octet). */
export function spkiPublicKeyBits(spki: Uint8Array): Buffer {
  const outer = readTlv(spki, 0);
  const [, bits] = children(spki, outer);
  if (outer.tag !== TAG_SEQUENCE || bits?.tag !== TAG_BIT_STRING) throw new PkiError("not a SubjectPublicKeyInfo");
  return Buffer.from(spki.buffer, spki.byteOffset + bits.contentStart + 1, bits.end - bits.contentStart - 1);
}
