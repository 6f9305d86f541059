import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
// `require`, not `import`: Node would scan the 9 MB CommonJS file for export names first (~0.7 s).
import ts = require("typescript");
import type { Diagnostic } from "../diagnostics.js";
import type { MeshSources } from "./source.js";

/**
 * Compiler options meshc checks a mesh with, whatever the user's tsconfig says: the DSL's
 * guarantees (a misspelt handle is an error) need `strict`, and library `.d.ts` files are not the
 * user's to fix.
 */
export function meshCompilerOptions(): ts.CompilerOptions {
  return {
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2023.d.ts"],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    resolveJsonModule: true,
    esModuleInterop: true,
    allowImportingTsExtensions: false,
    forceConsistentCasingInFileNames: true,
  };
}

/** The folder of the meshc package that is running (its package.json is named "meshc"). */
export function meshcPackageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, "package.json");
    if (fs.existsSync(pkg)) {
      try {
        if ((JSON.parse(fs.readFileSync(pkg, "utf8")) as { name?: string }).name === "meshc") return dir;
      } catch {
        // an unreadable package.json is not ours; keep walking up
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("cannot find the meshc package root");
    dir = parent;
  }
}

export interface TypeCheckResult {
  readonly program: ts.Program;
  readonly diagnostics: Diagnostic[];
  /** The user's own source files (not declaration files, not node_modules). */
  readonly userFiles: readonly ts.SourceFile[];
}

/**
 * What watch mode keeps between checks of one mesh: every parsed file (library `.d.ts` files
 * included) by its text, and the previous builder program, which knows which files an edit can
 * affect and keeps the diagnostics of the others.
 */
export interface TypeCheckCache {
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
export function typeCheck(sources: MeshSources, oldProgram?: ts.Program, cache?: TypeCheckCache): TypeCheckResult {
  const options = meshCompilerOptions();
  // A mesh.ts outside any project that installs meshc still type-checks against the running meshc.
  const probe = ts.resolveModuleName("meshc", sources.entry, options, ts.sys);
  if (!probe.resolvedModule) {
    const dts = path.join(meshcPackageRoot(), "dist", "dsl", "index.d.ts");
    if (fs.existsSync(dts)) options.paths = { meshc: [dts] };
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
  const raw: ts.Diagnostic[] = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  for (const sf of userFiles) {
    raw.push(...program.getSyntacticDiagnostics(sf));
  }
  if (raw.every((d) => d.category !== ts.DiagnosticCategory.Error)) {
    for (const sf of userFiles) raw.push(...semantic(sf));
  }
  return { program, userFiles, diagnostics: raw.map((d) => fromTs(d, sources)) };
}

/**
 * A compiler host that hands out the cached parse of a file whose text has not changed. Files
 * carry a version (a hash of their text), which the builder compares to find what changed.
 */
function cachingHost(options: ts.CompilerOptions, cache: TypeCheckCache): ts.CompilerHost {
  const host = ts.createIncrementalCompilerHost(options);
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
  const severity = d.category === ts.DiagnosticCategory.Error ? "error" : d.category === ts.DiagnosticCategory.Warning ? "warning" : "info";
  const message = ts.flattenDiagnosticMessageText(d.messageText, "\n  ");
  if (d.file && d.start !== undefined) {
    return { code: `TS${d.code}`, name: "TypeScript", severity, message, span: sources.span(d.file, d.start, d.start + (d.length ?? 0)) };
  }
  return { code: `TS${d.code}`, name: "TypeScript", severity, message };
}
