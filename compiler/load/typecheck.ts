import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type ts from "typescript";
import type { SourceFile as NativeSourceFile } from "typescript-native/unstable/ast";
import type { Diagnostic } from "../diagnostics.js";
import { meshcPackageRoot } from "../package.js";
import { checkNative, closeNative, nativeRequested, sessionFits, startNative, type Meanwhile, type NativeSession } from "./native.js";
import type { MeshSources } from "./source.js";
import { typescript6 } from "./ts6.js";

/**
 * Compiler options meshc checks a mesh with, whatever the user's tsconfig says: the DSL's
 * guarantees (a misspelt handle is an error) need `strict`, and library `.d.ts` files are not the
 * user's to fix.
 */
export function meshCompilerOptions(): ts.CompilerOptions {
  // Converted on first use: the conversion needs TypeScript 6, which most runs never load.
  MESH_COMPILER_OPTIONS ??= typescript6().convertCompilerOptionsFromJson(meshTsconfigOptions(), "").options;
  return { ...MESH_COMPILER_OPTIONS };
}

/**
 * The same options as a tsconfig.json writes them: what the native checker and the benchmark's
 * bare `tsc` reference are given.
 */
export function meshTsconfigOptions(): Record<string, unknown> {
  return {
    target: "es2022",
    lib: ["es2023"],
    module: "nodenext",
    moduleResolution: "nodenext",
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    resolveJsonModule: true,
    esModuleInterop: true,
    allowImportingTsExtensions: false,
    forceConsistentCasingInFileNames: true,
  };
}

let MESH_COMPILER_OPTIONS: ts.CompilerOptions | undefined;

export interface TypeCheckResult<T = never> {
  /**
   * What the `meanwhile` given to {@link typeCheck} returned, and how long it ran: present when the
   * native checker ran it beside its semantic pass (the files parsed without errors).
   */
  readonly meanwhile?: { readonly value: T; readonly ms: number };
  /** TypeScript 6's program, when it was the checker (its parsed files are reused to run the mesh). */
  readonly program?: ts.Program;
  readonly diagnostics: Diagnostic[];
  /** The user's own source files (not declaration files, not node_modules), absolute. */
  readonly userFiles: readonly string[];
  /** TypeScript 7's syntax trees of the user's files, when it was the checker and found no errors. */
  readonly trees?: ReadonlyMap<string, NativeSourceFile>;
  /**
   * The only files whose semantic diagnostics were computed, when watch mode's native checker could
   * tell that an edit changes no other file's (see shape.ts), or none when no file's text differs
   * from the last check that got to the semantic pass; absent when every file was checked.
   */
  readonly rechecked?: readonly string[];
  /** Which TypeScript checked: 7 (native) or 6 (in-process). */
  readonly checker: "native" | "typescript";
}

/**
 * What watch mode keeps between checks of one mesh: every parsed file (library `.d.ts` files
 * included) by its text, and the previous builder program, which knows which files an edit can
 * affect and keeps the diagnostics of the others.
 */
export interface TypeCheckCache {
  /** The native checker, kept running between checks. */
  native?: NativeSession;
  /** The native checker could not start: do not try again for this mesh. */
  nativeFailed?: boolean;
  builder?: ts.SemanticDiagnosticsBuilderProgram;
  readonly files: Map<string, { readonly text: string; readonly file: ts.SourceFile }>;
}

export function createTypeCheckCache(): TypeCheckCache {
  return { files: new Map() };
}

/**
 * Type-checks the mesh with the TypeScript compiler API. TypeScript's diagnostics pass through
 * unchanged, with their TSxxxx codes and locations. With a cache, only the files an edit can
 * affect are parsed and checked again.
 */
export function typeCheck<T = never>(sources: MeshSources, oldProgram?: ts.Program, cache?: TypeCheckCache, meanwhile?: Meanwhile<T>): TypeCheckResult<T> {
  if (nativeRequested() && !cache?.nativeFailed) {
    // A mesh.ts outside any project that installs meshc still type-checks against the running
    // meshc. Whether "meshc" resolves from the mesh is asked of Node, not TypeScript 6 (which
    // would have to be loaded for it): both look for the package up the folders, or the package
    // itself by name, and its `exports` have no condition that would tell them apart.
    const checked = typeCheckNative(sources, resolvesFrom(sources.entry, "meshc") ? undefined : runningMeshcTypes(), cache, meanwhile);
    if (checked) return checked;
  }
  const ts = typescript6();
  const options = meshCompilerOptions();
  if (!ts.resolveModuleName("meshc", sources.entry, options, ts.sys).resolvedModule) {
    const dts = runningMeshcTypes();
    if (dts) options.paths = { meshc: [dts] };
  }
  let program: ts.Program;
  let semantic: (sf: ts.SourceFile) => readonly ts.Diagnostic[];
  if (cache) {
    const builder = ts.createSemanticDiagnosticsBuilderProgram([sources.entry], options, cachingHost(options, cache), cache.builder);
    cache.builder = builder;
    program = builder.getProgram();
    semantic = (sf) => builder.getSemanticDiagnostics(sf);
  } else {
    const host = ts.createCompilerHost(options, true);
    program = ts.createProgram({ rootNames: [sources.entry], options, host, ...(oldProgram ? { oldProgram } : {}) });
    semantic = (sf) => program.getSemanticDiagnostics(sf);
  }
  const userFiles = program.getSourceFiles().filter((sf) => !sf.isDeclarationFile && !sf.fileName.includes("/node_modules/"));
  // In tsc's order: syntax errors stop the check before the global and semantic diagnostics (the
  // native checker's global diagnostics cost a check of every file).
  const noErrors = (list: readonly ts.Diagnostic[]) => list.every((d) => d.category !== ts.DiagnosticCategory.Error);
  const raw: ts.Diagnostic[] = [...program.getOptionsDiagnostics()];
  for (const sf of userFiles) {
    raw.push(...program.getSyntacticDiagnostics(sf));
  }
  if (noErrors(raw)) {
    raw.push(...program.getGlobalDiagnostics());
    if (noErrors(raw)) for (const sf of userFiles) raw.push(...semantic(sf));
  }
  return { program, userFiles: userFiles.map((sf) => path.resolve(sf.fileName)), diagnostics: raw.map((d) => fromTs(d, sources)), checker: "typescript" };
}

/** The running meshc's DSL declarations, if built. */
function runningMeshcTypes(): string | undefined {
  const dts = path.join(meshcPackageRoot(), "dist", "dsl", "index.d.ts");
  return fs.existsSync(dts) ? dts : undefined;
}

/** Whether Node resolves `specifier` from `file` (a package up the folders, or the package itself). */
function resolvesFrom(file: string, specifier: string): boolean {
  try {
    createRequire(file).resolve(specifier);
    return true;
  } catch {
    return false;
  }
}

/**
 * The native checker's verdict, or undefined when it cannot run here (no binary for this
 * platform): TypeScript 6 then checks. Without a cache the checker is stopped after the check.
 */
function typeCheckNative<T>(sources: MeshSources, meshcTypes: string | undefined, cache: TypeCheckCache | undefined, meanwhile: Meanwhile<T> | undefined): TypeCheckResult<T> | undefined {
  let session = cache?.native;
  const fresh = session === undefined;
  if (!session) {
    try {
      session = startNative(sources, { ...meshTsconfigOptions(), ...(meshcTypes ? { paths: { meshc: [meshcTypes] } } : {}) });
    } catch {
      if (cache) cache.nativeFailed = true;
      return undefined;
    }
  }
  let checked: ReturnType<typeof checkNative<T>>;
  try {
    checked = checkNative(sources, session, fresh, meanwhile);
  } catch (error) {
    // A checker that fails is replaced next time; this check falls back to TypeScript 6.
    closeQuietly(session);
    if (cache) cache.native = undefined;
    if (process.env.MESHC_DEBUG) process.stderr.write(`meshc: the native type-check failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    return undefined;
  }
  // Kept for the next edit only while the mesh is small enough to run beside it: at 5,000
  // services in one file (over those limits) the kept checker grew to 2 GiB over a few edits,
  // for re-checks no faster than starting afresh (`npm run bench`'s watch row).
  if (cache && sessionFits(session)) {
    cache.native = session;
  } else {
    closeQuietly(session);
    if (cache) cache.native = undefined;
  }
  return {
    userFiles: checked.userFiles,
    diagnostics: checked.diagnostics,
    ...(checked.trees ? { trees: checked.trees } : {}),
    ...(checked.rechecked ? { rechecked: checked.rechecked } : {}),
    ...(checked.meanwhile ? { meanwhile: checked.meanwhile } : {}),
    checker: "native",
  };
}

function closeQuietly(session: NativeSession): void {
  try {
    closeNative(session);
  } catch {
    // already gone
  }
}

/** Stops what a cache keeps running (the native checker). */
export function disposeTypeCheckCache(cache: TypeCheckCache): void {
  if (cache.native) closeQuietly(cache.native);
  cache.native = undefined;
}

/**
 * A compiler host that hands out the cached parse of a file whose text has not changed. Files
 * carry a version (a hash of their text), which the builder compares to find what changed.
 */
function cachingHost(options: ts.CompilerOptions, cache: TypeCheckCache): ts.CompilerHost {
  const host = typescript6().createIncrementalCompilerHost(options);
  const parse = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersionOrOptions, onError, shouldCreateNewSourceFile) => {
    const text = host.readFile(fileName);
    const hit = cache.files.get(fileName);
    if (text !== undefined && hit?.text === text && !shouldCreateNewSourceFile) return hit.file;
    const file = parse(fileName, languageVersionOrOptions, onError, shouldCreateNewSourceFile);
    if (file && text !== undefined) cache.files.set(fileName, { text: file.text, file });
    else cache.files.delete(fileName);
    return file;
  };
  return host;
}

/** A TypeScript diagnostic as a meshc one: its TSxxxx code, its message, its location. */
export function fromTs(d: ts.Diagnostic, sources: MeshSources): Diagnostic {
  const ts = typescript6();
  const severity = d.category === ts.DiagnosticCategory.Error ? "error" : d.category === ts.DiagnosticCategory.Warning ? "warning" : "info";
  const message = ts.flattenDiagnosticMessageText(d.messageText, "\n  ");
  if (d.file && d.start !== undefined) {
    return { code: `TS${d.code}`, name: "TypeScript", severity, message, span: sources.span(d.file, d.start, d.start + (d.length ?? 0)) };
  }
  return { code: `TS${d.code}`, name: "TypeScript", severity, message };
}
