/**
 * Key generation and key encodings.
 *
 * P-256 keys come from `createECDH().generateKeys()` and are encoded here, not via KeyObject
 * exports, for two measured reasons on Node 20:
 * - speed: ECDH keygen runs ~16k/s, `generateKeyPairSync("ec")` ~9k/s, and the OpenSSL 3 encoder
 *   behind `export({type: "spki"})` only ~5k/s, which alone would miss the 5,000 leaves/s target;
 * - a hang: `generateKeyPairSync(...).privateKey.export({format: "jwk"})` in a loop deadlocks
 *   within a few thousand iterations (the JWK export holds the key's mutex while allocating; a GC
 *   in that window runs the finished KeyGenJob's destructor, which takes the same mutex).
 * The encodings are fixed templates for one curve and are checked byte-for-byte against Node's
 * own export in the tests.
 */
import crypto, { type KeyObject } from "node:crypto";
import { TAG_BIT_STRING, TAG_INTEGER, TAG_OCTET_STRING, TAG_SEQUENCE, tlv } from "./der.js";
import { PkiError } from "./errors.js";
import { decodePem, encodePem } from "./pem.js";

export type KeyAlgorithm = "ecdsa-p256" | "rsa-2048";
export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ["ecdsa-p256", "rsa-2048"];

/** A freshly generated or loaded key pair, in the encodings certificates and files need. */
export interface KeyPair {
  readonly algorithm: KeyAlgorithm;
  /** SubjectPublicKeyInfo, DER. */
  readonly spkiDer: Buffer;
  /**
   * PEM private key: SEC1 `EC PRIVATE KEY` for P-256 (what `step` writes, and the only form
   * Linkerd's `pkg/tls.DecodePEMKey` accepts for the issuer key), PKCS#8 `PRIVATE KEY` for RSA.
   */
  readonly privateKeyPem: string;
}

const OID_EC_PUBLIC_KEY = Buffer.from("06072a8648ce3d0201", "hex");
const OID_PRIME256V1 = Buffer.from("06082a8648ce3d030107", "hex");

const P256_FIELD_BYTES = 32;
const P256_POINT_BYTES = 1 + 2 * P256_FIELD_BYTES;

/** Everything in a P-256 SubjectPublicKeyInfo before the 65-byte uncompressed point. */
const P256_SPKI_PREFIX = (() => {
  const full = tlv(TAG_SEQUENCE, tlv(TAG_SEQUENCE, OID_EC_PUBLIC_KEY, OID_PRIME256V1), tlv(TAG_BIT_STRING, Buffer.alloc(1 + P256_POINT_BYTES)));
  return full.subarray(0, full.length - P256_POINT_BYTES);
})();

/** RFC 5915 ECPrivateKey around the scalar and the point, with the curve named in [0], as OpenSSL writes it. */
const P256_SEC1 = (() => {
  const d = Buffer.alloc(P256_FIELD_BYTES);
  const q = Buffer.alloc(P256_POINT_BYTES);
  const full = tlv(
    TAG_SEQUENCE,
    tlv(TAG_INTEGER, Buffer.from([1])),
    tlv(TAG_OCTET_STRING, d),
    tlv(0xa0, OID_PRIME256V1),
    tlv(0xa1, tlv(TAG_BIT_STRING, Buffer.from([0]), q)),
  );
  // Layout: prefix | d | middle | q; d starts after SEQUENCE (2) + INTEGER 1 (3) + OCTET STRING header (2).
  const dStart = 7;
  return {
    prefix: Buffer.from(full.subarray(0, dStart)),
    middle: Buffer.from(full.subarray(dStart + P256_FIELD_BYTES, full.length - P256_POINT_BYTES)),
  };
})();

export function p256SpkiFromPoint(point: Uint8Array): Buffer {
  if (point.length !== P256_POINT_BYTES || point[0] !== 0x04) throw new PkiError("not an uncompressed P-256 point");
  return Buffer.concat([P256_SPKI_PREFIX, point]);
}

export function p256Sec1FromScalar(scalar: Uint8Array, point: Uint8Array): Buffer {
  if (scalar.length > P256_FIELD_BYTES) throw new PkiError("P-256 private scalar too long");
  // ECDH.getPrivateKey() drops leading zero bytes (about one key in 256); SEC1 wants 32 octets.
  const d = scalar.length === P256_FIELD_BYTES ? scalar : Buffer.concat([Buffer.alloc(P256_FIELD_BYTES - scalar.length), scalar]);
  return Buffer.concat([P256_SEC1.prefix, d, P256_SEC1.middle, point]);
}

/**
 * One ECDH object for every P-256 key: `generateKeys()` replaces its key pair with a new one each
 * call, and creating the object costs as much as generating the key (at 5,000 leaves, ~0.1 s of
 * the certificate target's ~1 s).
 */
let p256: crypto.ECDH | undefined;

export function generateKeyPair(algorithm: KeyAlgorithm = "ecdsa-p256"): KeyPair {
  switch (algorithm) {
    case "ecdsa-p256": {
      const ecdh = (p256 ??= crypto.createECDH("prime256v1"));
      const point = ecdh.generateKeys();
      return {
        algorithm,
        spkiDer: p256SpkiFromPoint(point),
        privateKeyPem: encodePem("EC PRIVATE KEY", p256Sec1FromScalar(ecdh.getPrivateKey(), point)),
      };
    }
    case "rsa-2048": {
      // Encoded inside the keygen job, so no KeyObject export (and no deadlock window) is involved.
      const { publicKey, privateKey } = crypto.generateKeyPairSync("rsa", {
        modulusLength: 2048,
        publicExponent: 65537,
        publicKeyEncoding: { type: "spki", format: "der" },
        privateKeyEncoding: { type: "pkcs8", format: "pem" },
      });
      return { algorithm, spkiDer: publicKey, privateKeyPem: privateKey };
    }
    default:
      throw new PkiError(`unsupported key algorithm ${JSON.stringify(algorithm)}`);
  }
}

/** The key family that decides signature algorithm and key usages. */
export type KeyKind = "ec" | "rsa";

/**
 * Validates a SubjectPublicKeyInfo and says which family it is. Only P-256 and RSA with 2048 to
 * 4096 bits: what Istio, Linkerd and Envoy all accept. Goes through OpenSSL's decoder, which
 * also checks that an EC point is on the curve, but costs ~0.3 ms (OpenSSL 3 decoders are slow).
 */
export function publicKeyKind(spkiDer: Uint8Array): KeyKind {
  let key: KeyObject;
  try {
    key = crypto.createPublicKey({ key: Buffer.from(spkiDer), format: "der", type: "spki" });
  } catch {
    throw new PkiError("public key is not a valid DER SubjectPublicKeyInfo");
  }
  return kindOf(key);
}

/**
 * For keys this library produced (a KeyPair): recognises the fixed P-256 SPKI layout by its bytes
 * and only falls back to publicKeyKind() for anything else, which keeps the full decoder off the
 * per-leaf path.
 */
export function keyPairKind(key: KeyPair): KeyKind {
  const spki = key.spkiDer;
  if (
    key.algorithm === "ecdsa-p256" &&
    spki.length === P256_SPKI_PREFIX.length + P256_POINT_BYTES &&
    P256_SPKI_PREFIX.equals(spki.subarray(0, P256_SPKI_PREFIX.length)) &&
    spki[P256_SPKI_PREFIX.length] === 0x04
  ) {
    return "ec";
  }
  return publicKeyKind(spki);
}

function kindOf(key: KeyObject): KeyKind {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === "ec" && details.namedCurve === "prime256v1") return "ec";
  const bits = details.modulusLength ?? 0;
  if (key.asymmetricKeyType === "rsa" && bits >= 2048 && bits <= 4096) return "rsa";
  const what = key.asymmetricKeyType === "ec" ? `ec ${details.namedCurve ?? "?"}` : `${key.asymmetricKeyType ?? "?"} ${bits || ""}`.trim();
  throw new PkiError(`unsupported key type ${what} (use ECDSA P-256 or RSA 2048–4096)`);
}

export function keyAlgorithmOf(kind: KeyKind): KeyAlgorithm {
  return kind === "ec" ? "ecdsa-p256" : "rsa-2048";
}

/** A public key as SPKI DER, from DER or a `PUBLIC KEY` PEM. */
export function spkiFrom(publicKey: Uint8Array | string): Buffer {
  return typeof publicKey === "string" ? decodePem(publicKey, "PUBLIC KEY").der : Buffer.from(publicKey);
}

/**
 * A private key for signing, from PEM. `what` names the key in errors, which never include the
 * key text or OpenSSL's message about it.
 */
export function loadPrivateKey(pem: string, what: string): { key: KeyObject; kind: KeyKind } {
  let key: KeyObject;
  try {
    const block = decodePem(pem, ["EC PRIVATE KEY", "PRIVATE KEY", "RSA PRIVATE KEY"]);
    const type = block.label === "EC PRIVATE KEY" ? "sec1" : block.label === "RSA PRIVATE KEY" ? "pkcs1" : "pkcs8";
    key = crypto.createPrivateKey({ key: block.der, format: "der", type });
  } catch (error) {
    const code = error instanceof PkiError ? error.message : (error as { code?: unknown }).code;
    throw new PkiError(`${what} is not a usable unencrypted private key${typeof code === "string" ? ` (${code})` : ""}`);
  }
  return { key, kind: kindOf(key) };
}
