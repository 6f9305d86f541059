import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import util from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { openssl, tempDir, verify, writeFiles } from "./__fixtures__/openssl.js";
import { PkiError, createCa, issueLeaf, loadOrCreateCa, rotateIntermediate, withStateDir, type CaOptions } from "./index.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const DAY = 86_400_000;
const AT_NOW = ["-attime", String(Math.floor(NOW.getTime() / 1000) + 60)];
const OPTIONS: CaOptions = {
  rootSubject: { organization: "shop", commonName: "shop Root CA" },
  intermediateSubject: { organization: "shop", commonName: "shop Intermediate CA" },
  now: NOW,
};

const dirs: string[] = [];
function stateDir(): string {
  const d = tempDir("meshc-state-");
  dirs.push(d);
  return path.join(d, "ca");
}
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const mode = (file: string) => fs.statSync(file).mode & 0o777;

/** Every base64 run of 16+ characters inside the PEM bodies of `text`. */
function keyChunks(text: string): string[] {
  return text
    .split("\n")
    .filter((l) => !l.startsWith("-----") && l.length >= 16)
    .map((l) => l.slice(0, 16));
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PkiError);
    return (error as Error).message + String((error as Error).stack);
  }
  throw new Error("expected a throw");
}

describe("loadOrCreateCa", () => {
  it("creates the four files, a .gitignore of *, keys 0600, certificates 0644 and the directory 0700, whatever the umask", () => {
    const dir = stateDir();
    const old = process.umask(0o277);
    let ca;
    try {
      ca = loadOrCreateCa(dir, OPTIONS);
    } finally {
      process.umask(old);
    }
    expect(ca.created).toEqual({ root: true, intermediate: true });
    expect(fs.readdirSync(dir).sort()).toEqual([".gitignore", "intermediate-key.pem", "intermediate.pem", "root-key.pem", "root.pem"]);
    expect(fs.readFileSync(path.join(dir, ".gitignore"), "utf8")).toBe("*\n");
    expect(mode(dir)).toBe(0o700);
    expect(mode(path.join(dir, "root-key.pem"))).toBe(0o600);
    expect(mode(path.join(dir, "intermediate-key.pem"))).toBe(0o600);
    expect(mode(path.join(dir, "root.pem"))).toBe(0o644);
    expect(fs.readFileSync(path.join(dir, "root.pem"), "utf8")).toBe(ca.root.certPem);
    expect(fs.readFileSync(path.join(dir, "intermediate-key.pem"), "utf8")).toBe(ca.intermediate.privateKeyPem());
  });

  it("returns the same root and intermediate on the next call, whatever the options now say", () => {
    const dir = stateDir();
    const first = loadOrCreateCa(dir, OPTIONS);
    const second = loadOrCreateCa(dir, { ...OPTIONS, rootSubject: { commonName: "other" }, keyAlgorithm: "rsa-2048", now: new Date(NOW.getTime() + DAY) });
    expect(second.created).toEqual({ root: false, intermediate: false });
    expect(second.root.info.sha256Fingerprint).toBe(first.root.info.sha256Fingerprint);
    expect(second.intermediate.info.sha256Fingerprint).toBe(first.intermediate.info.sha256Fingerprint);
    expect(second.intermediate.privateKeyPem()).toBe(first.intermediate.privateKeyPem());
  });

  it("produces a CA whose leaves openssl verifies from the files on disk", () => {
    const dir = stateDir();
    const ca = loadOrCreateCa(dir, OPTIONS);
    const leaf = issueLeaf({ spiffeId: "spiffe://cluster.local/ns/a/sa/b", ca, lifetimeMs: DAY, now: NOW });
    fs.writeFileSync(path.join(dir, "leaf.pem"), leaf.certPem);
    expect(verify(dir, AT_NOW, { root: "root.pem", intermediate: "intermediate.pem", leaf: "leaf.pem" }).stdout.trim()).toBe("leaf.pem: OK");
    expect(openssl(["ec", "-check", "-noout", "-in", "root-key.pem"], dir).stderr).toMatch(/EC Key valid/);
  });

  it("issues a new intermediate under an operator-supplied root", () => {
    const dir = stateDir();
    const own = createCa(OPTIONS);
    fs.mkdirSync(dir, { recursive: true });
    writeFiles(dir, { "root.pem": own.root.certPem, "root-key.pem": own.root.privateKeyPem() });
    const ca = loadOrCreateCa(dir, OPTIONS);
    expect(ca.created).toEqual({ root: false, intermediate: true });
    expect(ca.root.info.sha256Fingerprint).toBe(own.root.info.sha256Fingerprint);
    expect(ca.intermediate.info.authorityKeyId).toBe(own.root.info.subjectKeyId);
  });

  it("refuses inconsistent directories instead of replacing anything", () => {
    const dir = stateDir();
    loadOrCreateCa(dir, OPTIONS);
    const rootKey = fs.readFileSync(path.join(dir, "root-key.pem"));
    fs.rmSync(path.join(dir, "root-key.pem"));
    expect(() => loadOrCreateCa(dir, OPTIONS)).toThrow(/root-key.pem is missing/);
    fs.writeFileSync(path.join(dir, "root-key.pem"), rootKey);
    fs.rmSync(path.join(dir, "intermediate.pem"));
    expect(() => loadOrCreateCa(dir, OPTIONS)).toThrow(/intermediate.pem is missing/);
    expect(fs.existsSync(path.join(dir, "intermediate-key.pem"))).toBe(true);
  });

  it("rejects a key that belongs to another CA, without printing either key", () => {
    const dir = stateDir();
    loadOrCreateCa(dir, OPTIONS);
    const foreign = createCa(OPTIONS).intermediate.privateKeyPem();
    const own = fs.readFileSync(path.join(dir, "intermediate-key.pem"), "utf8");
    fs.writeFileSync(path.join(dir, "intermediate-key.pem"), foreign);
    const message = messageOf(() => loadOrCreateCa(dir, OPTIONS));
    expect(message).toMatch(/^intermediate \(intermediate.pem, intermediate-key.pem\): private key does not belong to the certificate; rotateIntermediate replaces both files/);
    for (const chunk of [...keyChunks(foreign), ...keyChunks(own)]) expect(message).not.toContain(chunk);
  });

  it("rejects a damaged, truncated or encrypted key file, without printing it", () => {
    const dir = stateDir();
    loadOrCreateCa(dir, OPTIONS);
    const good = fs.readFileSync(path.join(dir, "root-key.pem"), "utf8");
    const lines = good.split("\n");
    // Characters 12–40 of the first base64 line hold the private scalar; the public point after it stays intact.
    const scalar = lines[1]!.slice(20, 24) === "AAAA" ? "BBBB" : "AAAA";
    const damaged = [lines[0], lines[1]!.slice(0, 20) + scalar + lines[1]!.slice(24), ...lines.slice(2)].join("\n");
    const truncated = lines.slice(0, 2).join("\n") + "\n-----END EC PRIVATE KEY-----\n";
    const encrypted = `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${lines[1]}\n-----END ENCRYPTED PRIVATE KEY-----\n`;
    for (const [bad, expected] of [
      [damaged, /^root \(root.pem, root-key.pem\): private key does not belong to the certificate/],
      [truncated, /root .*private key is not a usable unencrypted private key/],
      [encrypted, /root .*private key is not a usable unencrypted private key/],
    ] as const) {
      fs.writeFileSync(path.join(dir, "root-key.pem"), bad);
      const message = messageOf(() => loadOrCreateCa(dir, OPTIONS));
      expect(message).toMatch(expected);
      for (const chunk of [...keyChunks(good), ...keyChunks(bad)]) expect(message).not.toContain(chunk);
    }
  });

  it("refuses an expired intermediate and points at rotateIntermediate", () => {
    const dir = stateDir();
    loadOrCreateCa(dir, { ...OPTIONS, intermediateLifetimeMs: DAY });
    expect(() => loadOrCreateCa(dir, { ...OPTIONS, now: new Date(NOW.getTime() + 2 * DAY) })).toThrow(/intermediate.pem \(rotate it with rotateIntermediate\) certificate expired/);
  });

  it("never exposes private keys through inspect, JSON or enumeration", () => {
    const ca = loadOrCreateCa(stateDir(), OPTIONS);
    for (const text of [util.inspect(ca, { depth: 10, showHidden: true }), JSON.stringify(ca), Object.keys(ca.root).join(",")]) {
      expect(text).not.toMatch(/PRIVATE KEY/);
      for (const chunk of [...keyChunks(ca.root.privateKeyPem()), ...keyChunks(ca.intermediate.privateKeyPem())]) expect(text).not.toContain(chunk);
    }
  });

  it("refuses a non-empty directory that is not a state directory, and changes nothing in it", () => {
    const dir = stateDir();
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    fs.chmodSync(dir, 0o755);
    writeFiles(dir, { "package.json": "{}", ".gitignore": "node_modules/\n" });
    expect(() => loadOrCreateCa(dir, OPTIONS)).toThrow(/is not a meshc CA state directory/);
    expect(() => rotateIntermediate(dir, { intermediateSubject: { commonName: "i" }, now: NOW })).toThrow(/is not a meshc CA state directory/);
    expect(fs.readdirSync(dir).sort()).toEqual([".gitignore", "package.json"]);
    expect(fs.readFileSync(path.join(dir, ".gitignore"), "utf8")).toBe("node_modules/\n");
    expect(mode(dir)).toBe(0o755);
  });

  it("leaves no temporary or lock files behind", () => {
    const dir = stateDir();
    loadOrCreateCa(dir, OPTIONS);
    rotateIntermediate(dir, { intermediateSubject: OPTIONS.intermediateSubject, now: NOW });
    expect(fs.readdirSync(dir).filter((f) => f.includes(".tmp-") || f === ".lock")).toEqual([]);
  });
});

describe("rotateIntermediate", () => {
  it("issues a new intermediate under the same root; new and old leaves both verify against the root", () => {
    const dir = stateDir();
    const before = loadOrCreateCa(dir, OPTIONS);
    const oldLeaf = issueLeaf({ spiffeId: "spiffe://cluster.local/ns/a/sa/b", ca: before, lifetimeMs: DAY, now: NOW });
    const rotated = rotateIntermediate(dir, { intermediateSubject: { commonName: "identity.linkerd.cluster.local" }, now: NOW });
    expect(rotated.root.info.sha256Fingerprint).toBe(before.root.info.sha256Fingerprint);
    expect(rotated.intermediate.info.sha256Fingerprint).not.toBe(before.intermediate.info.sha256Fingerprint);
    expect(rotated.intermediate.privateKeyPem()).not.toBe(before.intermediate.privateKeyPem());
    expect(mode(path.join(dir, "intermediate-key.pem"))).toBe(0o600);

    const after = loadOrCreateCa(dir, OPTIONS);
    expect(after.intermediate.info.sha256Fingerprint).toBe(rotated.intermediate.info.sha256Fingerprint);
    expect(after.intermediate.info.subject).toBe("CN=identity.linkerd.cluster.local");

    const newLeaf = issueLeaf({ spiffeId: "spiffe://cluster.local/ns/a/sa/b", ca: after, lifetimeMs: DAY, now: NOW });
    writeFiles(dir, { "new-leaf.pem": newLeaf.certPem, "old-leaf.pem": oldLeaf.certPem, "old-intermediate.pem": before.intermediate.certPem });
    expect(verify(dir, AT_NOW, { root: "root.pem", intermediate: "intermediate.pem", leaf: "new-leaf.pem" }).stdout.trim()).toBe("new-leaf.pem: OK");
    expect(verify(dir, AT_NOW, { root: "root.pem", intermediate: "old-intermediate.pem", leaf: "old-leaf.pem" }).stdout.trim()).toBe("old-leaf.pem: OK");
    // The old leaf does not chain through the new intermediate: rotation really changed the key.
    expect(verify(dir, AT_NOW, { root: "root.pem", intermediate: "intermediate.pem", leaf: "old-leaf.pem" }).ok).toBe(false);
  });

  it("needs an existing root", () => {
    expect(() => rotateIntermediate(stateDir(), { intermediateSubject: { commonName: "i" }, now: NOW })).toThrow(/no root CA/);
  });
});

describe("state directory lock", () => {
  it("is re-entrant within a process, and released by the outermost holder", () => {
    const dir = stateDir();
    const created = withStateDir(dir, {}, () => {
      expect(fs.readFileSync(path.join(dir, ".lock"), "utf8")).toBe(String(process.pid));
      const ca = loadOrCreateCa(dir, { ...OPTIONS, lockTimeoutMs: 300 });
      expect(fs.existsSync(path.join(dir, ".lock"))).toBe(true);
      return ca.created.root;
    });
    expect(created).toBe(true);
    expect(fs.existsSync(path.join(dir, ".lock"))).toBe(false);
  });

  it("takes over a lock left by a process that no longer exists", () => {
    const dir = stateDir();
    fs.mkdirSync(dir, { recursive: true });
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout;
    fs.writeFileSync(path.join(dir, ".lock"), dead);
    expect(loadOrCreateCa(dir, OPTIONS).created.root).toBe(true);
    expect(fs.existsSync(path.join(dir, ".lock"))).toBe(false);
  });

  it("waits for a live owner and gives up after the timeout", () => {
    const dir = stateDir();
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, ".lock"), String(process.pid));
    const started = Date.now();
    expect(() => loadOrCreateCa(dir, { ...OPTIONS, lockTimeoutMs: 300 })).toThrow(new RegExp(`held by process ${process.pid}`));
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(fs.existsSync(path.join(dir, "root.pem"))).toBe(false);
  });
});
