/**
 * The CA state directory. Keys are random, so the trust bundle, Istio's `cacerts` and Linkerd's
 * issuer can only be byte-identical from one build to the next if the CA outlives a build: it is
 * created once, kept outside the output folder, and reused.
 *
 * Layout: root.pem, root-key.pem, intermediate.pem, intermediate-key.pem (keys 0600, directory
 * 0700) and a `.gitignore` of `*` so the keys are never committed by accident. Each file is
 * replaced atomically (temporary file, fsync, rename), and a lock file serialises meshc processes
 * so none reads a certificate next to the other's key.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import {
  CaCredential,
  createIntermediate,
  createRoot,
  meshCa,
  requireValidAt,
  type CaOptions,
  type MeshCa,
} from "./ca.js";
import { PkiError } from "./errors.js";
import type { KeyAlgorithm } from "./keys.js";
import type { DistinguishedName } from "./x509.js";

export const STATE_FILES = {
  root: "root.pem",
  rootKey: "root-key.pem",
  intermediate: "intermediate.pem",
  intermediateKey: "intermediate-key.pem",
} as const;

export interface StateOptions {
  /** How long to wait for another process's lock; default 30 s. */
  readonly lockTimeoutMs?: number;
}

export interface LoadedCa extends MeshCa {
  /** What this call created (false: read from the state directory). */
  readonly created: { readonly root: boolean; readonly intermediate: boolean };
}

/**
 * The CA in `stateDir`, creating whatever is missing: nothing exists → a new root and
 * intermediate; a root (with key) but no intermediate → a new intermediate under that root, which
 * is how an operator brings their own root. An existing CA is returned as is, whatever the
 * subject and lifetime options say: the root is the mesh's identity and is never replaced
 * implicitly. Throws if the files are inconsistent or either certificate is not valid at `now`.
 */
export function loadOrCreateCa(stateDir: string, options: CaOptions & StateOptions): LoadedCa {
  return withStateDir(stateDir, options, (files) => {
    const existing = Object.fromEntries(Object.entries(files).map(([k, f]) => [k, fs.existsSync(f)])) as Record<keyof typeof files, boolean>;
    if (existing.root !== existing.rootKey) {
      throw new PkiError(`${stateDir}: ${existing.root ? STATE_FILES.rootKey : STATE_FILES.root} is missing; restore it or remove the other root file`);
    }
    if (existing.intermediate !== existing.intermediateKey) {
      throw new PkiError(
        `${stateDir}: ${existing.intermediate ? STATE_FILES.intermediateKey : STATE_FILES.intermediate} is missing; run rotateIntermediate or restore it`,
      );
    }
    if (!existing.root && existing.intermediate) throw new PkiError(`${stateDir}: an intermediate without its root; restore ${STATE_FILES.root}`);

    let root: CaCredential;
    if (existing.root) {
      root = readCredential(files.root, files.rootKey, "root");
    } else {
      root = createRoot({ subject: options.rootSubject, keyAlgorithm: options.keyAlgorithm, lifetimeMs: options.rootLifetimeMs, now: options.now });
      // Key first: a crash in between leaves a key without a certificate, which is reported, never a certificate whose key is lost.
      writeAtomic(files.rootKey, root.privateKeyPem(), 0o600);
      writeAtomic(files.root, root.certPem, 0o644);
    }
    requireValidAt(root, options.now, `${stateDir}/${STATE_FILES.root}`);

    let intermediate: CaCredential;
    if (existing.intermediate) {
      try {
        intermediate = readCredential(files.intermediate, files.intermediateKey, "intermediate");
      } catch (error) {
        // Also what a crash between rotateIntermediate's two renames leaves behind.
        throw error instanceof PkiError ? new PkiError(`${error.message}; rotateIntermediate replaces both files`) : error;
      }
      requireValidAt(intermediate, options.now, `${stateDir}/${STATE_FILES.intermediate} (rotate it with rotateIntermediate)`);
    } else {
      intermediate = issueAndWriteIntermediate(root, files, options);
    }
    const ca = meshCa(root, intermediate);
    syncDirectory(stateDir);
    return { ...ca, created: { root: !existing.root, intermediate: !existing.intermediate } };
  });
}

export interface RotateOptions extends StateOptions {
  readonly intermediateSubject: DistinguishedName;
  /** Default: the root's key algorithm. */
  readonly keyAlgorithm?: KeyAlgorithm;
  readonly intermediateLifetimeMs?: number;
  readonly now: Date;
}

/**
 * Replaces the intermediate with a new key and certificate under the same root. Leaves issued by
 * the old intermediate keep verifying against the root until they expire.
 */
export function rotateIntermediate(stateDir: string, options: RotateOptions): MeshCa {
  return withStateDir(stateDir, options, (files) => {
    if (!fs.existsSync(files.root) || !fs.existsSync(files.rootKey)) {
      throw new PkiError(`${stateDir}: no root CA (${STATE_FILES.root} and ${STATE_FILES.rootKey}) to rotate under`);
    }
    const root = readCredential(files.root, files.rootKey, "root");
    requireValidAt(root, options.now, `${stateDir}/${STATE_FILES.root}`);
    const ca = meshCa(root, issueAndWriteIntermediate(root, files, options));
    syncDirectory(stateDir);
    return ca;
  });
}

export type Files = Record<keyof typeof STATE_FILES, string>;

function issueAndWriteIntermediate(
  root: CaCredential,
  files: Files,
  options: { intermediateSubject: DistinguishedName; keyAlgorithm?: KeyAlgorithm; intermediateLifetimeMs?: number; now: Date },
): CaCredential {
  const intermediate = createIntermediate(root, {
    subject: options.intermediateSubject,
    keyAlgorithm: options.keyAlgorithm,
    lifetimeMs: options.intermediateLifetimeMs,
    now: options.now,
  });
  writeAtomic(files.intermediateKey, intermediate.privateKeyPem(), 0o600);
  writeAtomic(files.intermediate, intermediate.certPem, 0o644);
  return intermediate;
}

/** A CA certificate and its key from two files; `what` names the pair in errors. */
export function readCredential(certFile: string, keyFile: string, what: string): CaCredential {
  const read = (file: string) => {
    try {
      return fs.readFileSync(file, "utf8");
    } catch (error) {
      throw new PkiError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
    }
  };
  return new CaCredential(read(certFile), read(keyFile), `${what} (${path.basename(certFile)}, ${path.basename(keyFile)})`);
}

const GITIGNORE = "*\n";

/**
 * The directory gets chmod 0700 and a `.gitignore` of `*`; done to a project folder by mistake,
 * that would hide the whole project from git. So an existing directory must hold nothing but
 * state files, unless our `.gitignore` marks it as ours (the certs target may keep more there).
 */
function checkStateDir(stateDir: string): void {
  let entries: string[];
  try {
    entries = fs.readdirSync(stateDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw new PkiError(`cannot read ${stateDir}: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
  }
  if (entries.includes(".gitignore") && readIfExists(path.join(stateDir, ".gitignore")) === GITIGNORE) return;
  const ours = new Set<string>([...Object.values(STATE_FILES), ".lock"]);
  const foreign = entries.filter((e) => !ours.has(e) && !/^\..+\.tmp-\d+-[0-9a-f]{8}$/.test(e));
  if (foreign.length > 0) {
    throw new PkiError(`${stateDir} is not a meshc CA state directory (it holds ${foreign.slice(0, 3).join(", ")}${foreign.length > 3 ? ", …" : ""}); refusing to use it`);
  }
}

/**
 * Runs `body` holding the state directory's lock, after checking the directory is a state
 * directory (creating it 0700 with its `.gitignore` if missing). Re-entrant within a process, so
 * a caller that keeps more state here (the certs target) can hold the lock around
 * loadOrCreateCa and its own files.
 */
export function withStateDir<T>(stateDir: string, options: StateOptions, body: (files: Files) => T): T {
  checkStateDir(stateDir);
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  // mkdir's mode is filtered by the umask and does nothing for an existing directory.
  fs.chmodSync(stateDir, 0o700);
  const gitignore = path.join(stateDir, ".gitignore");
  if (!fs.existsSync(gitignore)) writeAtomic(gitignore, GITIGNORE, 0o644);
  const files = Object.fromEntries(Object.entries(STATE_FILES).map(([k, f]) => [k, path.join(stateDir, f)])) as Files;
  const release = acquireLock(path.join(stateDir, ".lock"), options.lockTimeoutMs ?? 30_000);
  try {
    return body(files);
  } finally {
    release();
  }
}

/** Write to a temporary sibling, fsync, then rename over the target: readers see old or new, never half. */
export function writeAtomic(file: string, data: string, mode: number): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}-${crypto.randomBytes(4).toString("hex")}`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, "wx", mode);
    // open()'s mode is filtered by the umask; a restrictive one would leave certificates unreadable to other tools.
    fs.fchmodSync(fd, mode);
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch (error) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw new PkiError(`cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** Makes the renames durable: they are entries in the directory, not in the files. */
function syncDirectory(dir: string): void {
  const fd = fs.openSync(dir, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * An exclusive lock file holding the owner's pid. A lock whose owner is gone (crash, kill -9) is
 * taken over; a live owner is waited for, up to `timeoutMs`.
 */
function acquireLock(lockFile: string, timeoutMs: number): () => void {
  const key = path.resolve(lockFile);
  const depth = held.get(key);
  if (depth !== undefined) {
    held.set(key, depth + 1);
    return () => void held.set(key, held.get(key)! - 1);
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = fs.openSync(lockFile, "wx", 0o600);
      fs.writeFileSync(fd, String(process.pid));
      fs.closeSync(fd);
      held.set(key, 0);
      // Releases nest inside this one (try/finally), so by now every inner holder has let go.
      return () => {
        held.delete(key);
        fs.rmSync(lockFile, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = Number.parseInt(readIfExists(lockFile) ?? "", 10);
    const ownerless = !(Number.isInteger(owner) && owner > 0) && ageMs(lockFile) > ORPHAN_LOCK_MS;
    if (ownerless || (Number.isInteger(owner) && owner > 0 && !processAlive(owner))) {
      // Best effort: two processes reclaiming the same stale lock at once can both proceed.
      fs.rmSync(lockFile, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      throw new PkiError(`${lockFile} is held by process ${Number.isInteger(owner) ? owner : "?"}; another meshc is using this CA state directory`);
    }
    Atomics.wait(sleeper, 0, 0, 50);
  }
}

/**
 * Locks this process holds, by lock file path, with their nesting depth. In memory rather than by
 * the pid in the file: a file naming this pid that this process did not create (a recycled pid)
 * must still be waited for.
 */
const held = new Map<string, number>();

/** A lock file with no pid in it this long after creation lost its owner between open and write. */
const ORPHAN_LOCK_MS = 5_000;

function ageMs(file: string): number {
  try {
    return Date.now() - fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
