/** Test helpers: run the system openssl on files in a temporary directory. */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export const OPENSSL = "/usr/bin/openssl";

export function tempDir(prefix = "meshc-pki-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface OpensslResult {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

export function openssl(args: readonly string[], cwd: string): OpensslResult {
  const r = spawnSync(OPENSSL, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.error) throw r.error;
  return { ok: r.status === 0, stdout: r.stdout, stderr: r.stderr };
}

/** Writes `files` (name → contents) into `dir` and returns `dir`. */
export function writeFiles(dir: string, files: Record<string, string>): string {
  for (const [name, data] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), data);
  return dir;
}

/** `openssl verify` of leaf.pem against root.pem with intermediate.pem untrusted. */
export function verify(dir: string, extra: readonly string[] = [], files = { root: "root.pem", intermediate: "intermediate.pem", leaf: "leaf.pem" }): OpensslResult {
  return openssl(["verify", ...extra, "-CAfile", files.root, "-untrusted", files.intermediate, files.leaf], dir);
}
