/**
 * What the certs target keeps in the CA state directory besides the root and intermediate (see
 * pki/state.ts): Linkerd's identity issuer (`linkerd-issuer.pem`, `linkerd-issuer-key.pem`) and
 * the workload leaves (`leaves.json`, 0600). Leaves live in one file rather than two per
 * identity: a 1,000-identity mesh would otherwise write 2,000 files, each with its own fsync.
 * Callers hold the state directory's lock (withStateDir) around reads and writes.
 */
import fs from "node:fs";
import path from "node:path";
import { KEY_ALGORITHMS, PkiError, readCredential, writeAtomic, type CaCredential, type KeyAlgorithm } from "./pki/index.js";

export const CERTS_STATE_FILES = {
  linkerdIssuer: "linkerd-issuer.pem",
  linkerdIssuerKey: "linkerd-issuer-key.pem",
  leaves: "leaves.json",
} as const;

/** Linkerd's issuer from the state directory, or undefined when there is none yet. */
export function readLinkerdIssuer(stateDir: string): CaCredential | undefined {
  const cert = path.join(stateDir, CERTS_STATE_FILES.linkerdIssuer);
  const key = path.join(stateDir, CERTS_STATE_FILES.linkerdIssuerKey);
  const [hasCert, hasKey] = [fs.existsSync(cert), fs.existsSync(key)];
  if (!hasCert && !hasKey) return undefined;
  if (hasCert !== hasKey) {
    throw new PkiError(`${stateDir}: ${hasCert ? CERTS_STATE_FILES.linkerdIssuerKey : CERTS_STATE_FILES.linkerdIssuer} is missing; run \`meshc certs rotate\` to replace Linkerd's issuer`);
  }
  return readCredential(cert, key, `Linkerd issuer (${CERTS_STATE_FILES.linkerdIssuer}, ${CERTS_STATE_FILES.linkerdIssuerKey})`);
}

export function writeLinkerdIssuer(stateDir: string, issuer: CaCredential): void {
  // Key first, as pki/state.ts does: a crash in between leaves a key without a certificate, which is reported.
  writeAtomic(path.join(stateDir, CERTS_STATE_FILES.linkerdIssuerKey), issuer.privateKeyPem(), 0o600);
  writeAtomic(path.join(stateDir, CERTS_STATE_FILES.linkerdIssuer), issuer.certPem, 0o644);
}

const leafKeys = new WeakMap<WorkloadLeaf, string>();

/** A workload certificate with its key. The key is kept off the object, so logging or JSON never shows it. */
export class WorkloadLeaf {
  constructor(
    readonly spiffeId: string,
    readonly keyAlgorithm: KeyAlgorithm,
    /** The leaf lifetime the mesh asked for when it was issued (a changed lifetime reissues it). */
    readonly lifetimeMs: number,
    /** SHA-256 fingerprint of the intermediate that signed it. */
    readonly issuer: string,
    readonly notBefore: Date,
    readonly notAfter: Date,
    readonly certificatePem: string,
    privateKeyPem: string,
  ) {
    leafKeys.set(this, privateKeyPem);
  }

  privateKeyPem(): string {
    return leafKeys.get(this)!;
  }
}

interface LeafRecord {
  readonly spiffeId: string;
  readonly keyAlgorithm: KeyAlgorithm;
  readonly lifetimeMs: number;
  readonly issuer: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly certificate: string;
  readonly privateKey: string;
}

const LEAVES_VERSION = 1;

/** The stored leaves, sorted as written; none when the file does not exist. */
export function readLeaves(stateDir: string): WorkloadLeaf[] {
  const file = path.join(stateDir, CERTS_STATE_FILES.leaves);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new PkiError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
  }
  const damaged = (why: string): never => {
    // Leaves are disposable; losing them only means reissuing, so say how rather than guess.
    throw new PkiError(`${file} is damaged (${why}); delete it and the next build reissues every workload certificate`);
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return damaged("not JSON");
  }
  const doc = parsed as { version?: unknown; leaves?: unknown };
  if (typeof doc !== "object" || doc === null || doc.version !== LEAVES_VERSION || !Array.isArray(doc.leaves)) return damaged(`not a version ${LEAVES_VERSION} leaves file`);
  return doc.leaves.map((r: Partial<Record<keyof LeafRecord, unknown>>, i) => {
    const str = (k: keyof LeafRecord) => (typeof r[k] === "string" ? (r[k] as string) : damaged(`entry ${i}: ${k} is not a string`));
    const date = (k: keyof LeafRecord) => {
      const d = new Date(str(k));
      return Number.isNaN(d.getTime()) ? damaged(`entry ${i}: ${k} is not a date`) : d;
    };
    const spiffeId = str("spiffeId");
    const algorithm = str("keyAlgorithm");
    if (!(KEY_ALGORITHMS as readonly string[]).includes(algorithm)) damaged(`entry ${i}: unknown keyAlgorithm`);
    if (typeof r.lifetimeMs !== "number" || !Number.isFinite(r.lifetimeMs)) damaged(`entry ${i}: lifetimeMs is not a number`);
    return new WorkloadLeaf(spiffeId, algorithm as KeyAlgorithm, r.lifetimeMs as number, str("issuer"), date("notBefore"), date("notAfter"), str("certificate"), str("privateKey"));
  });
}

/** Replaces leaves.json (0600: it holds every workload key). */
export function writeLeaves(stateDir: string, leaves: readonly WorkloadLeaf[]): void {
  const records: LeafRecord[] = leaves.map((l) => ({
    spiffeId: l.spiffeId,
    keyAlgorithm: l.keyAlgorithm,
    lifetimeMs: l.lifetimeMs,
    issuer: l.issuer,
    notBefore: l.notBefore.toISOString(),
    notAfter: l.notAfter.toISOString(),
    certificate: l.certificatePem,
    privateKey: l.privateKeyPem(),
  }));
  writeAtomic(path.join(stateDir, CERTS_STATE_FILES.leaves), JSON.stringify({ version: LEAVES_VERSION, leaves: records }, null, 1) + "\n", 0o600);
}
