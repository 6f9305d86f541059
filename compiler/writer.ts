import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Artifact } from "./artifact.js";
import { compareIds } from "./ir.js";
import { stringifyYaml } from "./yaml.js";

export interface ManifestEntry {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly sensitive?: true;
}

export interface WriteResult {
  readonly files: number;
  readonly bytes: number;
  readonly manifest: readonly ManifestEntry[];
}

/** Serialises an artifact to bytes, the same way on every machine. */
export function serialize(artifact: Artifact): Buffer {
  if ("yaml" in artifact) {
    return Buffer.from(stringifyYaml(artifact.yaml), "utf8");
  }
  if ("json" in artifact) return Buffer.from(JSON.stringify(artifact.json, null, 2) + "\n", "utf8");
  return Buffer.from(artifact.text, "utf8");
}

/**
 * Everything that will be written: the artifacts, a kustomization.yaml per target folder that
 * holds Kubernetes objects, and manifest.json with every file's sha256. Pure: no disk access.
 */
export function renderOutput(artifacts: readonly Artifact[]): { path: string; data: Buffer; sensitive: boolean }[] {
  const files = new Map<string, { data: Buffer; sensitive: boolean }>();
  for (const a of artifacts) {
    if (files.has(a.path)) throw new Error(`two artifacts want the same path ${a.path}`);
    files.set(a.path, { data: serialize(a), sensitive: a.sensitive === true });
  }
  const byTarget = new Map<string, string[]>();
  for (const a of artifacts) {
    if ("yaml" in a && a.kubernetes) {
      const [target, ...rest] = a.path.split("/");
      const list = byTarget.get(target!) ?? [];
      list.push(rest.join("/"));
      byTarget.set(target!, list);
    }
  }
  for (const [target, resources] of byTarget) {
    const k = { apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization", resources: resources.sort(compareIds) };
    files.set(`${target}/kustomization.yaml`, { data: serialize({ path: "", yaml: k }), sensitive: false });
  }
  const sorted = [...files.entries()].sort(([a], [b]) => compareIds(a, b));
  const manifest: ManifestEntry[] = sorted.map(([p, f]) => ({
    path: p,
    sha256: createHash("sha256").update(f.data).digest("hex"),
    bytes: f.data.length,
    ...(f.sensitive ? { sensitive: true as const } : {}),
  }));
  return [
    ...sorted.map(([p, f]) => ({ path: p, ...f })),
    { path: "manifest.json", data: serialize({ path: "", json: { generator: "meshc", files: manifest } }), sensitive: false },
  ];
}

/** A reason the output directory must not be replaced, or undefined. */
export function unsafeOutDir(outDir: string): string | undefined {
  if (!fs.existsSync(outDir)) return undefined;
  if (!fs.statSync(outDir).isDirectory()) return `${outDir} exists and is not a directory`;
  const entries = fs.readdirSync(outDir);
  if (entries.length > 0 && !entries.includes("manifest.json")) {
    return `${outDir} is not empty and was not written by meshc (no manifest.json); refusing to replace it`;
  }
  return undefined;
}

/**
 * Writes the output atomically: into a temporary sibling folder, then swapped into place, so a
 * failed build never leaves a half-written `out/`. Sensitive files are 0600.
 */
export function writeOutput(outDir: string, artifacts: readonly Artifact[]): WriteResult {
  const files = renderOutput(artifacts);
  const abs = path.resolve(outDir);
  const parent = path.dirname(abs);
  fs.mkdirSync(parent, { recursive: true });
  const suffix = `${process.pid}-${randomBytes(4).toString("hex")}`;
  const tmp = path.join(parent, `.${path.basename(abs)}.tmp-${suffix}`);
  const old = path.join(parent, `.${path.basename(abs)}.old-${suffix}`);
  try {
    fs.mkdirSync(tmp, { mode: 0o755 });
    const dirs = new Set<string>();
    for (const f of files) {
      const target = path.join(tmp, ...f.path.split("/"));
      const dir = path.dirname(target);
      if (!dirs.has(dir)) {
        fs.mkdirSync(dir, { recursive: true });
        dirs.add(dir);
      }
      fs.writeFileSync(target, f.data, { mode: f.sensitive ? 0o600 : 0o644 });
    }
    if (fs.existsSync(abs)) fs.renameSync(abs, old);
    fs.renameSync(tmp, abs);
  } catch (error) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (fs.existsSync(old) && !fs.existsSync(abs)) fs.renameSync(old, abs);
    throw error;
  }
  fs.rmSync(old, { recursive: true, force: true });
  const manifest = JSON.parse(files[files.length - 1]!.data.toString("utf8")).files as ManifestEntry[];
  return { files: files.length, bytes: files.reduce((n, f) => n + f.data.length, 0), manifest };
}
