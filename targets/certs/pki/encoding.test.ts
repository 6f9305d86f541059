/**
 * The hand-spliced encodings (leaf TBS, P-256 SPKI and SEC1, DER times and integers) against the
 * reference encoders: asn1-x509 for certificate structures, Node/OpenSSL for keys.
 */
import crypto from "node:crypto";
import fc from "fast-check";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import {
  AlgorithmIdentifier,
  AuthorityKeyIdentifier,
  BasicConstraints,
  ExtendedKeyUsage,
  Extension,
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
} from "@peculiar/asn1-x509";
import { describe, expect, it } from "vitest";
import { createCa } from "./ca.js";
import { TAG_SEQUENCE, certificateParts, derTime, derUnsignedInteger, readTlv, tlv } from "./der.js";
import { decodePem, decodePemBlocks, encodePem } from "./pem.js";
import { generateKeyPair, p256Sec1FromScalar, p256SpkiFromPoint } from "./keys.js";
import { leafTbs, templateFor } from "./leaf.js";
import { encodeNameDer, keyIdentifier, x509Time } from "./x509.js";

const NOW = new Date("2026-03-01T12:00:00Z");

describe("leaf TBSCertificate splicing", () => {
  /** The same TBSCertificate, built and serialised entirely by asn1-x509. */
  function reference(opts: {
    serial: Buffer;
    sigAlg: AlgorithmIdentifier;
    issuerDer: Buffer;
    notBefore: Date;
    notAfter: Date;
    subjectDer: Buffer;
    spki: Buffer;
    rsa: boolean;
    akid: Buffer;
    uri: string;
  }): Buffer {
    const ext = (id: string, critical: boolean, v: object) => new Extension({ extnID: id, critical, extnValue: new OctetString(AsnConvert.serialize(v)) });
    const validity = new Validity();
    validity.notBefore = x509Time(opts.notBefore);
    validity.notAfter = x509Time(opts.notAfter);
    const tbs = new TBSCertificate({
      version: Version.v3,
      serialNumber: new Uint8Array(opts.serial).buffer,
      signature: opts.sigAlg,
      issuer: AsnConvert.parse(opts.issuerDer, Name),
      validity,
      subject: AsnConvert.parse(opts.subjectDer, Name),
      subjectPublicKeyInfo: AsnConvert.parse(opts.spki, SubjectPublicKeyInfo),
      extensions: new Extensions([
        ext("2.5.29.15", true, new KeyUsage(KeyUsageFlags.digitalSignature | (opts.rsa ? KeyUsageFlags.keyEncipherment : 0))),
        ext("2.5.29.37", false, new ExtendedKeyUsage(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"])),
        ext("2.5.29.19", true, new BasicConstraints({ cA: false })),
        ext("2.5.29.14", false, new SubjectKeyIdentifier(keyIdentifier(opts.spki))),
        ext("2.5.29.35", false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(opts.akid) })),
        ext("2.5.29.17", opts.subjectDer.length === 2, new SubjectAlternativeName([new GeneralName({ uniformResourceIdentifier: opts.uri })])),
      ]),
    });
    return Buffer.from(AsnConvert.serialize(tbs));
  }

  for (const caAlg of ["ecdsa-p256", "rsa-2048"] as const) {
    it(`matches asn1-x509 byte for byte under a ${caAlg} CA (EC and RSA keys, empty and named subjects, both time types)`, () => {
      const mesh = createCa({ rootSubject: { commonName: "r" }, intermediateSubject: { organization: "o", commonName: "i" }, keyAlgorithm: caAlg, now: NOW });
      const t = templateFor(mesh.intermediate);
      const rsaKey = generateKeyPair("rsa-2048");
      const cases = [
        { key: generateKeyPair(), rsa: false, subject: Buffer.from([TAG_SEQUENCE, 0]), nb: NOW, na: new Date("2026-03-02T00:00:00Z"), uri: "spiffe://td/ns/a/sa/b" },
        { key: rsaKey, rsa: true, subject: encodeNameDer({ commonName: "x" }), nb: new Date("2049-12-31T23:59:59Z"), na: new Date("2050-01-01T00:00:00Z"), uri: `spiffe://td/${"p".repeat(300)}` },
        { key: generateKeyPair(), rsa: false, subject: encodeNameDer({ country: "DE", organizationalUnit: "ü" }), nb: NOW, na: NOW, uri: "spiffe://a/b" },
      ];
      for (const c of cases) {
        // Serials with the high bit set or leading zeros exercise the INTEGER normalisation.
        for (const serial of [Buffer.from("7f0102", "hex"), Buffer.from("0000ff01", "hex"), crypto.randomBytes(16)]) {
          const spliced = leafTbs(t, {
            serial,
            validity: tlv(TAG_SEQUENCE, derTime(c.nb), derTime(c.na)),
            subject: c.subject,
            spki: c.key.spkiDer,
            kind: c.rsa ? "rsa" : "ec",
            spiffeId: c.uri,
          });
          const minimal = readTlv(derUnsignedInteger(serial), 0);
          const serialBytes = derUnsignedInteger(serial).subarray(minimal.contentStart);
          const expected = reference({
            serial: serialBytes,
            sigAlg: AsnConvert.parse(t.signatureAlgorithm, AlgorithmIdentifier),
            issuerDer: mesh.intermediate.subjectDer,
            notBefore: c.nb,
            notAfter: c.na,
            subjectDer: c.subject,
            spki: c.key.spkiDer,
            rsa: c.rsa,
            akid: mesh.intermediate.subjectKeyId,
            uri: c.uri,
          });
          expect(spliced.toString("hex")).toBe(expected.toString("hex"));
        }
      }
    });
  }

  it("copies the issuer's subject bytes into the leaf's issuer field", () => {
    const mesh = createCa({ rootSubject: { commonName: "r" }, intermediateSubject: { commonName: "i" }, now: NOW });
    expect(certificateParts(mesh.intermediate.certDer).issuer.equals(mesh.root.subjectDer)).toBe(true);
  });
});

describe("P-256 key encodings", () => {
  function ecdhKey(wantShortScalar: boolean): { point: Buffer; scalar: Buffer } {
    for (let i = 0; i < 20_000; i++) {
      const e = crypto.createECDH("prime256v1");
      const point = e.generateKeys();
      const scalar = e.getPrivateKey();
      if ((scalar.length < 32) === wantShortScalar) return { point, scalar };
    }
    throw new Error("no key of the wanted shape in 20,000 tries");
  }

  for (const short of [false, true]) {
    it(`equal what OpenSSL writes for the same key${short ? " (scalar with a leading zero byte)" : ""}`, () => {
      const { point, scalar } = ecdhKey(short);
      const sec1 = p256Sec1FromScalar(scalar, point);
      const spki = p256SpkiFromPoint(point);
      const key = crypto.createPrivateKey({ key: sec1, format: "der", type: "sec1" });
      expect(key.export({ type: "sec1", format: "der" }).toString("hex")).toBe(sec1.toString("hex"));
      expect(crypto.createPublicKey(key).export({ type: "spki", format: "der" }).toString("hex")).toBe(spki.toString("hex"));
      const sig = crypto.sign("sha256", Buffer.from("x"), key);
      expect(crypto.verify("sha256", Buffer.from("x"), crypto.createPublicKey({ key: spki, format: "der", type: "spki" }), sig)).toBe(true);
    });
  }

  it("generateKeyPair returns matching halves for both algorithms", () => {
    for (const alg of ["ecdsa-p256", "rsa-2048"] as const) {
      const k = generateKeyPair(alg);
      const priv = crypto.createPrivateKey(k.privateKeyPem);
      expect(crypto.createPublicKey(priv).export({ type: "spki", format: "der" }).equals(k.spkiDer)).toBe(true);
      expect(k.privateKeyPem).toMatch(alg === "ecdsa-p256" ? /^-----BEGIN EC PRIVATE KEY-----\n/ : /^-----BEGIN PRIVATE KEY-----\n/);
    }
  });
});

describe("DER primitives", () => {
  it("encodes times exactly as asn1-schema does, choosing UTCTime only for 1950–2049", () => {
    fc.assert(
      fc.property(fc.date({ min: new Date("1900-01-01T00:00:00Z"), max: new Date("2200-12-31T23:59:59Z"), noInvalidDate: true }), (date) => {
        expect(derTime(date).toString("hex")).toBe(Buffer.from(AsnConvert.serialize(x509Time(date))).toString("hex"));
        const tag = derTime(date)[0];
        const year = date.getUTCFullYear();
        expect(tag).toBe(year >= 1950 && year < 2050 ? 0x17 : 0x18);
      }),
    );
    expect(derTime(new Date("2049-12-31T23:59:59.999Z")).toString("latin1").slice(2)).toBe("491231235959Z");
    expect(derTime(new Date("2050-01-01T00:00:00Z")).toString("latin1").slice(2)).toBe("20500101000000Z");
  });

  it("encodes unsigned INTEGERs minimally", () => {
    const hex = (s: string) => derUnsignedInteger(Buffer.from(s, "hex")).toString("hex");
    expect(hex("00")).toBe("020100");
    expect(hex("0000")).toBe("020100");
    expect(hex("7f")).toBe("02017f");
    expect(hex("80")).toBe("02020080");
    expect(hex("000080")).toBe("02020080");
    expect(hex("00007f01")).toBe("02027f01");
  });

  it("encodes lengths in short and long form and reads them back", () => {
    for (const n of [0, 1, 127, 128, 255, 256, 65535, 65536]) {
      const t = tlv(0x04, Buffer.alloc(n));
      const r = readTlv(t, 0);
      expect(r.end - r.contentStart).toBe(n);
      expect(r.end).toBe(t.length);
    }
  });
});

describe("PEM", () => {
  it("round-trips with 64-column lines", () => {
    const der = crypto.randomBytes(200);
    const pem = encodePem("CERTIFICATE", der);
    expect(pem.split("\n").slice(1, -2).every((l) => l.length <= 64)).toBe(true);
    expect(pem.split("\n")[1]).toHaveLength(64);
    expect(decodePem(pem, "CERTIFICATE").der.equals(der)).toBe(true);
  });

  it("reads several blocks with text between them and CRLF line ends", () => {
    const a = encodePem("CERTIFICATE", Buffer.from([1, 2, 3]));
    const b = encodePem("CERTIFICATE", Buffer.from([4, 5]));
    const blocks = decodePemBlocks(`subject=foo\n${a}issuer=bar\n${b}`.replace(/\n/g, "\r\n"));
    expect(blocks.map((x) => [...x.der])).toEqual([[1, 2, 3], [4, 5]]);
  });

  it("rejects wrong labels, counts, bad base64 and encrypted keys, without quoting the input", () => {
    const body = "SECRETSECRETSECRETSECRET";
    const cases = [
      `-----BEGIN EC PRIVATE KEY-----\n${body}\n-----END EC PRIVATE KEY-----\n`,
      `-----BEGIN CERTIFICATE-----\n${body}!!\n-----END CERTIFICATE-----\n`,
      `-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n${body}\n-----END EC PRIVATE KEY-----\n`,
      `-----BEGIN CERTIFICATE-----\n${body}\n-----END PRIVATE KEY-----\n`,
    ];
    for (const text of cases) {
      let message = "";
      try {
        decodePem(text, "CERTIFICATE");
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).not.toBe("");
      expect(message).not.toContain("SECRET");
    }
  });
});
