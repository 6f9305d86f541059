import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import protobuf from "protobufjs";

export interface SkippedProto {
  /** Proto path relative to its include root, e.g. `envoy/config/trace/v3/opencensus.proto`. */
  file: string;
  /** The first import (possibly transitive) that the npm package does not ship. */
  missingImport: string;
}

export interface LoadedEnvoyProtos {
  root: protobuf.Root;
  /** Wall time of the first (and only) load, in milliseconds. */
  loadMs: number;
  /** Entry protos that were loaded (their imports are loaded too but not listed). */
  files: readonly string[];
  /** Entry protos left out because something they import is absent from the package. */
  skipped: readonly SkippedProto[];
}

const require = createRequire(import.meta.url);

// The protos are taken from the pinned devDependency rather than vendored so that
// upgrading @grpc/grpc-js-xds is the one way the schema we test against moves.
const DEPS_DIR = path.join(path.dirname(require.resolve("@grpc/grpc-js-xds/package.json")), "deps");

// googleapis in the package has no google/protobuf/descriptor.proto (which every
// annotation proto extends); protobufjs ships one next to its bundled WKTs.
const INCLUDE_DIRS = [
  path.join(DEPS_DIR, "envoy-api"),
  path.join(DEPS_DIR, "xds"),
  path.join(DEPS_DIR, "protoc-gen-validate"),
  path.join(DEPS_DIR, "googleapis"),
  path.dirname(require.resolve("protobufjs/package.json")),
];

/**
 * Directories whose v3 protos are loaded wholesale. Everything a sidecar can name in
 * a `typed_config` lives under these; the rest of the tree (services, admin, data,
 * v2) is only reachable through imports and is pulled in on demand.
 */
const ENTRY_TREES: ReadonlyArray<readonly [includeDir: string, subdir: string]> = [
  ["envoy-api", "envoy/config"],
  ["envoy-api", "envoy/extensions"],
  ["envoy-api", "envoy/type"],
  ["xds", "xds/type"],
  ["xds", "xds/core"],
  ["xds", "udpa/type"],
];

// v2/v2alpha/v1alpha trees are frozen, and Envoy's bootstrap loader no longer accepts
// their type URLs. udpa.type.v1.TypedStruct is the one pre-v3 message Envoy still
// accepts inside typed_config.
function isEntryProto(rel: string): boolean {
  if (rel === "udpa/type/v1/typed_struct.proto") return true;
  return rel.split("/").some((segment) => /^v3(alpha)?$/.test(segment));
}

function resolveInclude(rel: string): string | null {
  for (const dir of INCLUDE_DIRS) {
    const candidate = path.join(dir, rel);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

function listProtos(dir: string, base: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) listProtos(full, base, out);
    else if (entry.name.endsWith(".proto")) out.push(path.relative(base, full).split(path.sep).join("/"));
  }
}

const IMPORT_RE = /^\s*import\s+(?:public\s+|weak\s+)?"([^"]+)"\s*;/gm;

/**
 * The package ships a curated subset of the Envoy API (the one grpc-js-xds needs plus
 * its closure, roughly). A few protos import opencensus/opentelemetry protos that are
 * not shipped; protobufjs would silently skip the missing file and then fail the whole
 * root in resolveAll, so such protos are found up front and left out.
 */
function findMissingImport(rel: string, memo: Map<string, string | null>, active: Set<string>): string | null {
  if (protobuf.common.get(rel) !== null) return null;
  const known = memo.get(rel);
  if (known !== undefined) return known;
  if (active.has(rel)) return null;
  const file = resolveInclude(rel);
  if (file === null) {
    memo.set(rel, rel);
    return rel;
  }
  active.add(rel);
  let missing: string | null = null;
  for (const match of readFileSync(file, "utf8").matchAll(IMPORT_RE)) {
    const imported = match[1];
    if (imported === undefined) continue;
    missing = findMissingImport(imported, memo, active);
    if (missing !== null) break;
  }
  active.delete(rel);
  memo.set(rel, missing);
  return missing;
}

let cached: LoadedEnvoyProtos | undefined;

/** Loads (once per process) every loadable Envoy/xDS v3 proto from the installed package. */
export function loadEnvoyProtos(): LoadedEnvoyProtos {
  if (cached) return cached;
  const started = performance.now();

  const candidates: string[] = [];
  for (const [includeDir, subdir] of ENTRY_TREES) {
    const base = path.join(DEPS_DIR, includeDir);
    const rels: string[] = [];
    listProtos(path.join(base, subdir), base, rels);
    candidates.push(...rels.filter(isEntryProto));
  }
  candidates.sort();

  const memo = new Map<string, string | null>();
  const files: string[] = [];
  const skipped: SkippedProto[] = [];
  for (const rel of candidates) {
    const missingImport = findMissingImport(rel, memo, new Set());
    if (missingImport === null) files.push(rel);
    else skipped.push({ file: rel, missingImport });
  }

  const root = new protobuf.Root();
  root.resolvePath = (_origin: string, target: string) => resolveInclude(target) ?? target;
  // keepCase keeps Field#name equal to the .proto spelling, which is what issue paths
  // and PGV messages should show; protojson still indexes the lowerCamelCase jsonName.
  root.loadSync(files, { keepCase: true });
  root.resolveAll();

  cached = { root, loadMs: performance.now() - started, files, skipped };
  return cached;
}
