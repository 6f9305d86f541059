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
 * How Kubernetes objects are laid out on disk.
 * - `namespace` (the default): one multi-document file per target and namespace,
 *   `<target>/<namespace>/resources.yaml`, with objects holding private keys apart in
 *   `<target>/<namespace>/secrets.yaml` (0600) and patches in `<target>/<namespace>/patches.yaml`.
 *   A 1,000-service mesh is ~300 files instead of ~30,000: creating files, not bytes, is what
 *   costs on disk, in git and in review tools, and a namespace is the unit a team owns and
 *   `kubectl -n` works in.
 * - `object`: one file per object or patch, `<target>/<namespace>/<kind>-<name>.yaml` and
 *   `<target>/<namespace>/patches/<kind>-<name>.yaml`.
 */
export type OutputLayout = "namespace" | "object";

export const OUTPUT_LAYOUTS: readonly OutputLayout[] = ["namespace", "object"];

export interface OutputOptions {
  /** @default "namespace" */
  readonly layout?: OutputLayout;
}

/** One file of the output: an artifact alone, or the Kubernetes objects bundled at one path. */
interface OutputFile {
  readonly path: string;
  readonly members: Artifact[];
  readonly sensitive: boolean;
}

/** A Kubernetes object: listed in its target's kustomization.yaml, bundled by the namespace layout. */
function isKubernetesObject(artifact: Artifact): boolean {
  return "yaml" in artifact && artifact.kubernetes === true;
}

/** A strategic-merge patch: out of the kustomization, bundled apart from the objects. */
function isPatch(artifact: Artifact): boolean {
  return "yaml" in artifact && artifact.patch === true;
}

/**
 * Where an artifact is written under a layout. A patch at `<folder>/patches/<file>` goes to
 * `<folder>/patches.yaml`: one `patches:` entry per namespace for kustomize (≥ 5.2.1 reads several
 * patches from one file), one `-f` for `kubectl apply --server-side`.
 */
function bundlePath(artifact: Artifact, layout: OutputLayout): string {
  if (layout === "object") return artifact.path;
  const slash = artifact.path.lastIndexOf("/");
  if (isPatch(artifact)) return slash === -1 ? artifact.path : `${artifact.path.slice(0, slash)}.yaml`;
  if (!isKubernetesObject(artifact)) return artifact.path;
  return `${artifact.path.slice(0, slash + 1)}${artifact.sensitive ? "secrets" : "resources"}.yaml`;
}

/**
 * Calls `emit` with every file of the artifacts' output but manifest.json, serialised one at a
 * time so that no more than one file's bytes are held at once: the artifacts (Kubernetes objects
 * bundled as the layout says), and a kustomization.yaml per target folder that holds Kubernetes
 * objects. Returns each file's manifest entry, in the order emitted. Throws before emitting
 * anything when two artifacts want the same path, or an artifact wants a path a bundle of objects
 * takes.
 */
function emitFiles(artifacts: readonly Artifact[], layout: OutputLayout, emit: (path: string, data: Buffer, sensitive: boolean) => void): ManifestEntry[] {
  const paths = new Set<string>();
  const files = new Map<string, OutputFile>();
  const byTarget = new Map<string, Set<string>>();
  for (const a of artifacts) {
    if (paths.has(a.path)) throw new Error(`two artifacts want the same path ${a.path}`);
    paths.add(a.path);
    const at = bundlePath(a, layout);
    const file = files.get(at);
    if (file && (at === a.path || file.members[0]!.path === at || file.sensitive !== (a.sensitive === true))) throw new Error(`two artifacts want the same path ${at}`);
    if (file) file.members.push(a);
    else files.set(at, { path: at, members: [a], sensitive: a.sensitive === true });
    if (isKubernetesObject(a)) {
      const [target, ...rest] = at.split("/");
      const list = byTarget.get(target!) ?? new Set();
      list.add(rest.join("/"));
      byTarget.set(target!, list);
    }
  }
  const kustomizations = new Map([...byTarget].map(([target, resources]) => [`${target}/kustomization.yaml`, [...resources]]));
  const manifest: ManifestEntry[] = [];
  const file = (p: string, data: Buffer, sensitive: boolean) => {
    manifest.push({ path: p, sha256: createHash("sha256").update(data).digest("hex"), bytes: data.length, ...(sensitive ? { sensitive: true as const } : {}) });
    emit(p, data, sensitive);
  };
  for (const f of files.values()) {
    // A target's kustomization.yaml takes the place of an artifact at its path.
    if (kustomizations.has(f.path)) continue;
    if (f.members.length === 1 && f.members[0]!.path === f.path) {
      file(f.path, serialize(f.members[0]!), f.sensitive);
      continue;
    }
    // Documents in path order (kind, then name), so a file's bytes do not depend on target order.
    const members = f.members.sort((a, b) => compareIds(a.path, b.path));
    file(f.path, Buffer.concat(members.flatMap((m, i) => (i === 0 ? [serialize(m)] : [DOCUMENT_SEPARATOR, serialize(m)]))), f.sensitive);
  }
  for (const [p, resources] of kustomizations) {
    const k = { apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization", resources: resources.sort(compareIds) };
    file(p, serialize({ path: "", yaml: k }), false);
  }
  return manifest;
}

/**
 * manifest.json for files emitted apart (each with {@link emitFiles}): every file's sha256, sorted
 * by path. Throws when two files have the same path, or a file takes manifest.json's.
 */
function manifestFile(entries: readonly ManifestEntry[]): { manifest: ManifestEntry[]; data: Buffer } {
  const manifest = [...entries].sort((a, b) => compareIds(a.path, b.path));
  manifest.forEach((entry, i) => {
    if (entry.path === MANIFEST || (i > 0 && manifest[i - 1]!.path === entry.path)) throw new Error(`two artifacts want the same path ${entry.path}`);
  });
  return { manifest, data: serialize({ path: "", json: { generator: "meshc", files: manifest } }) };
}

const MANIFEST = "manifest.json";
const DOCUMENT_SEPARATOR = Buffer.from("---\n", "utf8");

/**
 * Everything that will be written: the artifacts (Kubernetes objects bundled as the layout says),
 * a kustomization.yaml per target folder that holds Kubernetes objects, and manifest.json with
 * every file's sha256, sorted by path with the manifest last. Pure: no disk access.
 */
export function renderOutput(artifacts: readonly Artifact[], options: OutputOptions = {}): { path: string; data: Buffer; sensitive: boolean }[] {
  const files: { path: string; data: Buffer; sensitive: boolean }[] = [];
  const { data } = manifestFile(emitFiles(artifacts, options.layout ?? "namespace", (p, data, sensitive) => files.push({ path: p, data, sensitive })));
  return [...files.sort((a, b) => compareIds(a.path, b.path)), { path: MANIFEST, data, sensitive: false }];
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
 * failed build never leaves a half-written `out/`. Sensitive files are 0600. Each file is
 * serialised, hashed and written in turn, so the output is never held in memory all at once.
 */
export function writeOutput(outDir: string, artifacts: readonly Artifact[], options: OutputOptions = {}): WriteResult {
  const pending = beginOutput(outDir);
  let entries: ManifestEntry[];
  try {
    entries = writeFiles(pending, artifacts, options);
  } catch (error) {
    abandonOutput(pending);
    throw error;
  }
  return commitOutput(pending, entries);
}

/**
 * An output being written ({@link beginOutput}): its files go into a temporary sibling of the
 * output folder and land all at once ({@link commitOutput}) or not at all ({@link abandonOutput}).
 * Plain strings, so that a worker thread can write part of the files ({@link writeFiles}).
 */
export interface PendingOutput {
  /** The output folder, absolute. */
  readonly outDir: string;
  /** Where the files are written until they land. */
  readonly staging: string;
  /** Where the output being replaced goes while the new one takes its place. */
  readonly replaced: string;
}

/** Creates the staging folder of an output. */
export function beginOutput(outDir: string): PendingOutput {
  const abs = path.resolve(outDir);
  const parent = path.dirname(abs);
  fs.mkdirSync(parent, { recursive: true });
  const suffix = `${process.pid}-${randomBytes(4).toString("hex")}`;
  const pending = { outDir: abs, staging: path.join(parent, `.${path.basename(abs)}.tmp-${suffix}`), replaced: path.join(parent, `.${path.basename(abs)}.old-${suffix}`) };
  fs.mkdirSync(pending.staging, { mode: 0o755 });
  return pending;
}

/**
 * Writes the files of some artifacts into a pending output (all of the artifacts of each target
 * they come from: a target's kustomization.yaml lists its objects) and returns their manifest
 * entries. Calls for different targets may run at once, in different threads.
 */
export function writeFiles(pending: PendingOutput, artifacts: readonly Artifact[], options: OutputOptions = {}): ManifestEntry[] {
  const reuse = previousOutput(pending.outDir);
  const dirs = new Set<string>([""]);
  return emitFiles(artifacts, options.layout ?? "namespace", (p, data, sensitive) => {
    const slash = p.lastIndexOf("/");
    const dir = slash === -1 ? "" : p.slice(0, slash);
    if (!dirs.has(dir)) {
      fs.mkdirSync(path.join(pending.staging, ...dir.split("/")), { recursive: true });
      dirs.add(dir);
    }
    const parts = p.split("/");
    const target = path.join(pending.staging, ...parts);
    const mode = sensitive ? 0o600 : 0o644;
    if (!reuse?.(parts, target, data, mode)) fs.writeFileSync(target, data, { mode });
  });
}

/**
 * Writes manifest.json from every {@link writeFiles} call's entries and swaps the pending output
 * into place. On failure the staging folder is removed and the output it was to replace is left.
 */
export function commitOutput(pending: PendingOutput, entries: readonly ManifestEntry[]): WriteResult {
  const { outDir: abs, staging, replaced } = pending;
  let manifest: ManifestEntry[];
  let manifestBytes: number;
  try {
    const file = manifestFile(entries);
    manifest = file.manifest;
    manifestBytes = file.data.length;
    fs.writeFileSync(path.join(staging, MANIFEST), file.data, { mode: 0o644 });
    if (fs.existsSync(abs)) fs.renameSync(abs, replaced);
    fs.renameSync(staging, abs);
  } catch (error) {
    abandonOutput(pending);
    if (fs.existsSync(replaced) && !fs.existsSync(abs)) fs.renameSync(replaced, abs);
    throw error;
  }
  removeTree(replaced);
  return { files: manifest.length + 1, bytes: manifest.reduce((n, f) => n + f.bytes, manifestBytes), manifest };
}

/** Removes a pending output's staging folder: nothing it held lands. */
export function abandonOutput(pending: PendingOutput): void {
  fs.rmSync(pending.staging, { recursive: true, force: true });
}

/**
 * Reuses the files of the output being replaced: a file whose bytes, mode and owner are what
 * would be written is hard-linked into the new output instead of written again. Linking costs a
 * fraction of creating and filling a file, and the old copy's removal then frees no data; a
 * rebuild after a small edit mostly links. Only a file the old output alone holds (one link) is
 * reused, so nothing outside `out/` ever shares an inode with it. Undefined when there is no
 * previous output or links are not to be relied on (Windows).
 */
function previousOutput(abs: string): ((parts: readonly string[], target: string, data: Buffer, mode: number) => boolean) | undefined {
  if (process.platform === "win32" || typeof process.getuid !== "function") return undefined;
  try {
    if (!fs.statSync(abs).isDirectory()) return undefined;
  } catch {
    return undefined;
  }
  const uid = process.getuid();
  // The mode writeFileSync gives a new file: the requested one less the umask.
  const umask = process.umask();
  let buffer = Buffer.alloc(64 * 1024);
  return (parts, target, data, mode) => {
    const source = path.join(abs, ...parts);
    let fd: number;
    try {
      fd = fs.openSync(source, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    } catch {
      return false;
    }
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile() || st.size !== data.length || st.nlink !== 1 || st.uid !== uid || (st.mode & 0o7777) !== (mode & ~umask)) return false;
      if (buffer.length < data.length + 1) buffer = Buffer.alloc(data.length + 1);
      // One byte more than expected, to see a file that grew since the fstat.
      const read = fs.readSync(fd, buffer, 0, data.length + 1, 0);
      if (read !== data.length || !buffer.subarray(0, read).equals(data)) return false;
    } catch {
      return false;
    } finally {
      fs.closeSync(fd);
    }
    try {
      fs.linkSync(source, target);
      return true;
    } catch {
      return false;
    }
  };
}

/**
 * Deletes a folder the writer swapped out. Its entries' types come with the listing, so each file
 * costs one unlink (`fs.rmSync` also stats every entry first: a third more system calls, over
 * tens of thousands of files); anything unexpected falls back to `fs.rmSync`.
 */
function removeTree(dir: string): void {
  if (!fs.existsSync(dir)) return;
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else fs.unlinkSync(p);
    }
    fs.rmdirSync(d);
  };
  try {
    walk(dir);
  } catch {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
