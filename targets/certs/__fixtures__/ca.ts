/**
 * A pre-generated CA for tests: certificates are random, so golden files of anything holding one
 * are only stable with a CA fixed in the repository. TEST-ONLY keys: never trust this root.
 *
 * Regenerate (and then review every golden file that changes):
 *   MESHC_REGENERATE_CA_FIXTURE=1 npx vitest run targets/certs/fixture.test.ts
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CERTS_STATE_FILES, writeLinkerdIssuer } from "../state.js";
import { STATE_FILES, createIntermediate, createRoot, type CaCredential } from "../pki/index.js";

/** Where the fixture's files are (a plain folder: the state directory's `.gitignore` would hide them from git). */
export const FIXTURE_CA_DIR = path.join(import.meta.dirname, "ca");
/** When the fixture was issued. */
export const FIXTURE_ISSUED = new Date("2026-01-01T00:00:00Z");
/** The clock tests run the target at: inside every fixture certificate's validity. */
export const FIXTURE_NOW = new Date("2026-03-01T12:00:00Z");
const YEAR = 365 * 86_400_000;

/** Writes a fresh fixture CA into `dir`: root and intermediate for any mesh, and a Linkerd issuer for trust domain cluster.local. */
export function generateFixtureCa(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const root = createRoot({ subject: { organization: "meshc fixture", commonName: "meshc fixture Root CA" }, lifetimeMs: 30 * YEAR, now: FIXTURE_ISSUED });
  const intermediate = createIntermediate(root, { subject: { organization: "meshc fixture", commonName: "meshc fixture Intermediate CA" }, lifetimeMs: 20 * YEAR, now: FIXTURE_ISSUED });
  const linkerd = createIntermediate(root, {
    subject: { commonName: "identity.linkerd.cluster.local" },
    dnsNames: ["identity.linkerd.cluster.local"],
    lifetimeMs: 20 * YEAR,
    now: FIXTURE_ISSUED,
  });
  const write = (file: string, cred: CaCredential, keyFile: string) => {
    fs.writeFileSync(path.join(dir, file), cred.certPem);
    fs.writeFileSync(path.join(dir, keyFile), cred.privateKeyPem(), { mode: 0o600 });
  };
  write(STATE_FILES.root, root, STATE_FILES.rootKey);
  write(STATE_FILES.intermediate, intermediate, STATE_FILES.intermediateKey);
  writeLinkerdIssuer(dir, linkerd);
}

/** A temporary state directory holding a copy of the fixture CA; `dispose` removes it. */
export function fixtureStateDir(): { dir: string; dispose: () => void } {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), "meshc-certs-"));
  const dir = path.join(parent, "state");
  fs.mkdirSync(dir, { mode: 0o700 });
  // What marks a folder holding more than the four CA files as a state directory (pki/state.ts).
  fs.writeFileSync(path.join(dir, ".gitignore"), "*\n");
  for (const file of [...Object.values(STATE_FILES), CERTS_STATE_FILES.linkerdIssuer, CERTS_STATE_FILES.linkerdIssuerKey]) {
    fs.copyFileSync(path.join(FIXTURE_CA_DIR, file), path.join(dir, file));
    if (file.endsWith("-key.pem")) fs.chmodSync(path.join(dir, file), 0o600);
  }
  return { dir, dispose: () => fs.rmSync(parent, { recursive: true, force: true }) };
}
