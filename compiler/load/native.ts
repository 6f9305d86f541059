/**
 * Type-checking with TypeScript 7, the native port of the compiler, through its own API
 * (`typescript/unstable/sync`, installed as the `typescript-native` alias of typescript@7 next to
 * TypeScript 6, which @pulumi/pulumi's peer range still asks for). It checks a mesh of 1,000
 * services in one file ~4× faster than TypeScript 6 in-process (`npm run bench`), and watch mode
 * keeps it running between edits, telling it which files changed. The API gives a new program per
 * edit, with nothing of the last check kept, so meshc keeps each file's diagnostics itself and,
 * when an edit cannot change what other files see (shape.ts), asks for the edited file's alone:
 * at 1,000 services in team files, ~0.2 s instead of ~0.8 s. A mesh over the limits of
 * {@link overlapFits} gets a fresh checker per edit instead (typecheck.ts).
 *
 * It runs as a child process (`tsgo`) that reads the user's files itself; the project is a
 * tsconfig that exists only in memory, with the options TypeScript 6 is given. Its semantic pass
 * is asked for ahead, so that meshc runs the mesh meanwhile ({@link checkNative}). Where the
 * binary is missing for this platform, or `MESHC_TYPESCRIPT=6` asks for it, the caller
 * type-checks with TypeScript 6 instead.
 */
import type { SpawnOptions } from "node:child_process";
import fs from "node:fs";
import { createRequire, syncBuiltinESMExports } from "node:module";
import os from "node:os";
import path from "node:path";
import type { SourceFile as NativeSourceFile } from "typescript-native/unstable/ast";
import { API, DiagnosticCategory, type Diagnostic as NativeDiagnostic, type Snapshot } from "typescript-native/unstable/sync";
import type { Diagnostic } from "../diagnostics.js";
import { typeShape } from "./shape.js";
import { lineStarts, type MeshSources } from "./source.js";

type StdioOptionList = Extract<SpawnOptions["stdio"], readonly unknown[]>;

/** The CommonJS face of child_process, whose exports can be replaced (an ES namespace's cannot). */
const childProcess = createRequire(import.meta.url)("node:child_process") as typeof import("node:child_process");

/** A running checker and what it was last given: kept across checks by watch mode. */
export interface NativeSession {
  readonly api: API;
  readonly configPath: string;
  readonly config: string;
  snapshot: Snapshot;
  /** The text of each user file at the last check, to tell the checker which changed. */
  texts: Map<string, string>;
  /** The last check that got to the semantic pass (a check stopped by syntax errors did not). */
  checked?: CheckedState;
}

/**
 * What a check that got to the semantic pass found, for the next: an edit that leaves a file's
 * {@link typeShape} as it was only changes that file's diagnostics, and the others are these.
 */
interface CheckedState {
  /** The user files' texts it checked. */
  readonly texts: ReadonlyMap<string, string>;
  /** Each user file's semantic diagnostics. */
  readonly semantic: ReadonlyMap<string, readonly NativeDiagnostic[]>;
  /**
   * The global diagnostics (of no file). The checker finds them by checking every file first, so
   * they are kept with the rest: an edit of unchanged shape cannot change what the mesh declares
   * globally either.
   */
  readonly global: readonly NativeDiagnostic[];
  /**
   * Shapes of files as they were in {@link texts}, made from the checker's trees of those texts
   * when a file is first edited (the trees of later edits are another text's).
   */
  readonly shapes: Map<string, string>;
}

export interface NativeResult {
  readonly diagnostics: Diagnostic[];
  /** The user's own files (not declaration files, not node_modules), absolute. */
  readonly userFiles: readonly string[];
  /**
   * The checker's syntax trees of the user's files when there were no errors, so running the mesh
   * need not parse them again. Each is a view on bytes already received: it outlives the session.
   */
  readonly trees?: ReadonlyMap<string, NativeSourceFile>;
}

/** Whether the native checker is to be tried at all. */
export function nativeRequested(): boolean {
  return process.env.MESHC_TYPESCRIPT !== "6";
}

/**
 * The tsconfig the native checker reads for a mesh: the given options (tsconfig form) and the
 * entry as the only root.
 */
function tsconfig(entry: string, compilerOptions: Record<string, unknown>): string {
  return JSON.stringify({
    compilerOptions: {
      ...compilerOptions,
      // TypeScript 7 checks with 4 checkers by default; more than there are cores only adds memory
      // (at 5,000 services on 2 cores: 789 MB with 4, 565 MB with 2, and no slower).
      checkers: Math.max(1, Math.min(4, os.availableParallelism())),
    },
    files: [entry],
  });
}

/**
 * Starts a checker for the mesh whose entry is `sources.entry`, with compiler options in
 * tsconfig form. Throws when the native binary cannot be started (the caller then falls back to
 * TypeScript 6).
 */
export function startNative(sources: MeshSources, compilerOptions: Record<string, unknown>): NativeSession {
  const dir = path.dirname(sources.entry);
  // In memory only: the checker asks for it through the callbacks below, and nothing is written.
  const configPath = path.join(dir, ".meshc.tsconfig.json");
  const config = tsconfig(sources.entry, compilerOptions);
  const api = spawnChecker(
    () =>
      new API({
        cwd: dir,
        fs: {
          readFile: (file) => (path.resolve(file) === configPath ? config : undefined),
          fileExists: (file) => (path.resolve(file) === configPath ? true : undefined),
        },
      }),
  );
  try {
    const snapshot = api.updateSnapshot({ openProjects: [configPath] });
    return { api, configPath, config, snapshot, texts: new Map() };
  } catch (error) {
    api.close();
    throw error;
  }
}

/**
 * Runs `start` (which spawns the checker) with two changes to child_process.spawn's options:
 * - on POSIX, `detached`: the checker runs in a process group of its own. Ctrl-C in a terminal
 *   signals the whole foreground group, and tsgo, signalled itself, printed "context canceled"
 *   over meshc's output (`check --watch` is stopped that way). It needs no signal: it exits when
 *   its pipes close, as they do when meshc closes the session or exits, however it exits.
 * - its stderr goes nowhere, unless MESHC_DEBUG is set. The client stops the checker with SIGTERM
 *   (on close, and on exit), and tsgo sometimes answers with "context canceled" on the stderr it
 *   shares with meshc: about one `meshc check` in 80, after meshc's own output, or after meshc had
 *   exited. A checker that fails is seen through the API instead, and meshc falls back to
 *   TypeScript 6 (with MESHC_DEBUG, saying why).
 * The TypeScript 7 client spawns it without taking options (`SyncRpcChannel`, pinned 7.0.2), so
 * spawn is wrapped for the one synchronous call that spawns, and restored after it.
 * `cli/watch.test.ts` checks all of it.
 */
function spawnChecker<T>(start: () => T): T {
  const spawn = childProcess.spawn;
  const quiet = !process.env.MESHC_DEBUG;
  childProcess.spawn = function (this: unknown, ...args: unknown[]) {
    const [command, argv, options] = args as [string, readonly string[], SpawnOptions | undefined];
    const stdio = quiet && Array.isArray(options?.stdio) ? withoutStderr(options.stdio as StdioOptionList) : options?.stdio;
    return spawn.call(this, command, argv, { ...options, ...(stdio ? { stdio } : {}), ...(process.platform === "win32" ? {} : { detached: true }) });
  } as typeof childProcess.spawn;
  // The client imports spawn by name: its binding follows the module's export once synced.
  syncBuiltinESMExports();
  try {
    return start();
  } finally {
    childProcess.spawn = spawn;
    syncBuiltinESMExports();
  }
}

/** The same stdio, with stderr (fd 2) sent nowhere. */
function withoutStderr(stdio: StdioOptionList): StdioOptionList {
  const out = [...stdio];
  out[2] = "ignore";
  return out;
}

export function closeNative(session: NativeSession): void {
  try {
    session.snapshot.dispose();
  } finally {
    session.api.close();
  }
}

/**
 * Work done while the checker type-checks: it gets the syntax trees of the user's files (parsed
 * without errors) and runs beside the checker's semantic pass. Its result is returned whatever the
 * verdict; the caller discards it when the mesh has type errors.
 */
export type Meanwhile<T> = (trees: ReadonlyMap<string, NativeSourceFile>) => T;

export interface NativeCheck<T> extends NativeResult {
  /**
   * The only files whose semantic diagnostics were computed by this check, when an edit could not
   * change the others' (see {@link NativeSession.checked}): none when every file is back to the
   * text it had at the last check that got that far. Absent when every file was checked.
   */
  readonly rechecked?: readonly string[];
  /**
   * What `meanwhile` returned, and how long it ran (all of it while the checker was at work):
   * absent where it did not run (errors, a mesh over the limits of {@link overlapFits}, or no
   * channel to send ahead on), and the caller then does that work itself.
   */
  readonly meanwhile?: { readonly value: T; readonly ms: number };
}

/**
 * Type-checks the mesh; with a session that checked before, tells it which files changed since.
 * When the files parse, `meanwhile` runs while the checker works through the semantic pass (a
 * separate process), so its time is hidden in the type-check's instead of added to it.
 */
export function checkNative<T = never>(sources: MeshSources, session: NativeSession, fresh: boolean, meanwhile?: Meanwhile<T>): NativeCheck<T> {
  // Each file read once per check: to find what changed, and for the diagnostics' positions.
  const read = new Map<string, string | undefined>();
  const textOf = (file: string): string | undefined => {
    if (!read.has(file)) read.set(file, readOrUndefined(file));
    return read.get(file);
  };
  const checked = session.checked;
  if (!fresh) {
    const changed: string[] = [];
    const deleted: string[] = [];
    for (const [file, text] of session.texts) {
      const now = textOf(file);
      if (now === undefined) deleted.push(file);
      else if (now !== text) changed.push(file);
    }
    // A new import can bring in a file the checker has not seen: it finds that one itself.
    if (changed.length + deleted.length > 0) {
      const previous = session.snapshot;
      // The shape of a file first edited since the last semantic check, while the checker still
      // has its tree of the text that check saw. A mesh of one file has no other file to spare.
      const file = changed.length === 1 && session.texts.size > 1 ? changed[0]! : undefined;
      if (checked && file !== undefined && !checked.shapes.has(file) && checked.texts.get(file) === session.texts.get(file)) {
        const before = previous.getProject(session.configPath)?.program.getSourceFile(file);
        if (before) checked.shapes.set(file, typeShape(before));
      }
      session.snapshot = session.api.updateSnapshot({ fileChanges: { changed, deleted } });
      previous.dispose();
    }
  }
  const project = session.snapshot.getProject(session.configPath);
  if (!project) throw new Error(`the native checker did not open ${session.configPath}`);
  const program = project.program;
  const userFiles = program
    .getSourceFileNames()
    .map((f) => path.resolve(f))
    .filter((f) => !/\.d\.[cm]?ts$/.test(f) && !f.split(path.sep).includes("node_modules"));
  const texts = new Map<string, string>();
  for (const file of userFiles) {
    const text = textOf(file);
    if (text !== undefined) texts.set(file, text);
  }
  session.texts = texts;

  const lines = new Map<string, readonly number[]>();
  const convert = (raw: readonly NativeDiagnostic[]) => raw.map((d) => fromNative(d, sources, textOf, lines));
  const isError = (d: NativeDiagnostic) => d.category === DiagnosticCategory.Error;
  const head: NativeDiagnostic[] = [...program.getProgramDiagnostics()];
  const syntactic: NativeDiagnostic[] = [];
  for (const file of userFiles) syntactic.push(...program.getSyntacticDiagnostics(file));
  // As tsc does, syntax errors are reported without the global diagnostics, which the checker
  // finds by checking every file (~0.8 s at 1,000 services, for a missing bracket).
  if (head.some(isError) || syntactic.some(isError)) {
    return { diagnostics: convert([...head, ...syntactic]), userFiles };
  }

  const treesOf = () => {
    const trees = new Map<string, NativeSourceFile>();
    for (const file of userFiles) {
      const tree = program.getSourceFile(file);
      if (tree) trees.set(file, tree);
    }
    return trees;
  };
  const early = meanwhile !== undefined && sessionFits(session) ? treesOf() : undefined;
  // Only the edited file is checked again when no other file's types can see the edit (none when
  // the files are back to the last semantic check's texts). Otherwise one request for every file:
  // the checker spreads them over its checkers (per-file requests would be checked one after
  // another). Only the user's files' diagnostics are kept, in order.
  const files = checked ? filesToCheck(checked, userFiles, texts, program) : undefined;
  const asking = files === undefined || files.length > 0;
  const params = { snapshot: (program as unknown as { snapshotId: number }).snapshotId, project: project.id, ...(files?.length === 1 ? { file: files[0] } : {}) };
  const answer = early && asking ? sendAhead(program, "getSemanticDiagnostics", params) : undefined;
  let ran: { value: T; ms: number } | undefined;
  let all: readonly NativeDiagnostic[] | undefined;
  try {
    if (meanwhile && early && (answer || !asking)) {
      const t0 = performance.now();
      const value = meanwhile(early);
      ran = { value, ms: performance.now() - t0 };
    }
  } finally {
    // Whatever `meanwhile` did, the answer is read: the channel carries one request at a time.
    if (answer) all = (answer() as readonly NativeDiagnostic[] | undefined) ?? [];
  }
  if (asking) all ??= files ? program.getSemanticDiagnostics(files[0]!) : program.getSemanticDiagnostics();
  const byFile = new Map<string, NativeDiagnostic[]>();
  for (const d of all ?? []) {
    const file = d.fileName === undefined ? undefined : path.resolve(d.fileName);
    if (file === undefined) continue;
    let list = byFile.get(file);
    if (!list) byFile.set(file, (list = []));
    list.push(d);
  }
  const semantic = new Map<string, readonly NativeDiagnostic[]>();
  for (const file of userFiles) semantic.set(file, files && !files.includes(file) ? checked!.semantic.get(file)! : (byFile.get(file) ?? []));
  // Asking for them after checking one file would check all the others.
  const global = files ? checked!.global : program.getGlobalDiagnostics();
  // The shapes known stay true: the edited file's is unchanged, and no other file changed.
  session.checked = { texts, semantic, global, shapes: files ? checked!.shapes : new Map() };
  const raw = [...head, ...syntactic, ...global, ...userFiles.flatMap((f) => semantic.get(f)!)];
  const diagnostics = convert(raw);
  const result = { diagnostics, userFiles, ...(files ? { rechecked: files } : {}), ...(ran ? { meanwhile: ran } : {}) };
  return raw.some(isError) ? result : { ...result, trees: early ?? treesOf() };
}

/**
 * The files whose semantic diagnostics can differ from the last semantic check's, when they are
 * fewer than all: none when every file has the text it had then; the one file whose text differs,
 * when its shape is what it was then (see shape.ts). Undefined: every file. Always among the same
 * files as then.
 */
function filesToCheck(checked: CheckedState, userFiles: readonly string[], texts: ReadonlyMap<string, string>, program: { getSourceFile(file: string): NativeSourceFile | undefined }): readonly string[] | undefined {
  if (userFiles.length !== checked.texts.size || !userFiles.every((f) => checked.texts.has(f))) return undefined;
  const edited = userFiles.filter((f) => texts.get(f) !== checked.texts.get(f));
  if (edited.length === 0) return [];
  // One file edited out of one: checking it alone is checking everything, without the shapes.
  if (edited.length > 1 || userFiles.length === 1) return undefined;
  const file = edited[0]!;
  const before = checked.shapes.get(file);
  const after = before === undefined ? undefined : program.getSourceFile(file);
  return after !== undefined && typeShape(after) === before ? [file] : undefined;
}

/**
 * The most source text (UTF-16 code units, all user files together) that is run beside the
 * checker: ~5,800 services of the benchmark's shape. Larger meshes run after it, the two peaks
 * apart. Both at once, sampled by `npm run bench`: 746 MiB at 5,000 services in 41 files (2.9
 * MiB), 933 MiB at 6,400 (3.7 MiB).
 */
export const OVERLAP_MAX_SOURCE = 3.5 * 1024 * 1024;

/**
 * The largest single file run beside the checker (~3,100 services). One huge file costs the
 * checker more than the same source in many: at 5,000 services in one file (3.0 MiB) it holds ~580
 * MiB, and running the mesh beside it brought both to ~1 GiB.
 */
export const OVERLAP_MAX_FILE = 2 * 1024 * 1024;

/** Whether a mesh whose files have these lengths is run beside the checker (see the limits above). */
export function overlapFits(lengths: readonly number[]): boolean {
  let total = 0;
  for (const length of lengths) {
    if (length > OVERLAP_MAX_FILE) return false;
    total += length;
  }
  return total <= OVERLAP_MAX_SOURCE;
}

/**
 * Whether the mesh a session last checked is within the limits above: then it runs beside the
 * checker, and watch mode keeps the checker for the next edit (typecheck.ts).
 */
export function sessionFits(session: NativeSession): boolean {
  return overlapFits([...session.texts.values()].map((text) => text.length));
}

/** The parts of typescript 7.0's pure-JS `SyncRpcChannel` that {@link sendAhead} uses. */
interface SyncChannel {
  writeTuple(type: number, name: Buffer, payload: string | Uint8Array): void;
  getMethodBuf(method: string): Buffer;
  requestBytesSync(method: string, payload: string): Buffer;
}

/** The channel's message type of a request (`MSG_REQUEST` in typescript-native's syncChannel.js). */
const MSG_REQUEST = 1;

/**
 * Sends a request to the checker and returns a function that waits for its answer, so the caller
 * works while the checker does. The sync API only offers request-and-wait, so this reaches into
 * its client's channel (pinned typescript 7.0.2: a pure-JS `SyncRpcChannel` that writes a request
 * tuple and then reads until the answer, serving the checker's callbacks meanwhile). Where that
 * channel is not there, it returns undefined and the caller asks the usual way.
 * `native.test.ts` holds this path to the plain one.
 */
export function sendAhead(program: unknown, method: string, params: object): (() => unknown) | undefined {
  const channel = (program as { client?: { channel?: Partial<SyncChannel> } }).client?.channel;
  if (!channel || typeof channel.writeTuple !== "function" || typeof channel.getMethodBuf !== "function" || typeof channel.requestBytesSync !== "function") return undefined;
  const c = channel as SyncChannel;
  const payload = JSON.stringify(params);
  c.writeTuple(MSG_REQUEST, c.getMethodBuf(method), payload);
  return () => {
    // The channel's own read loop, without its first step (writing the request, already sent).
    const write = c.writeTuple;
    const own = Object.prototype.hasOwnProperty.call(c, "writeTuple");
    c.writeTuple = function (this: SyncChannel, type, name, body) {
      if (type !== MSG_REQUEST) write.call(this, type, name, body);
    };
    let bytes: Buffer;
    try {
      bytes = c.requestBytesSync(method, payload);
    } finally {
      if (own) c.writeTuple = write;
      else delete (c as Partial<SyncChannel>).writeTuple;
    }
    return bytes.length > 0 ? JSON.parse(bytes.toString("utf8")) : undefined;
  };
}

/** A native diagnostic as a meshc one, as {@link fromTs} converts TypeScript 6's. */
function fromNative(d: NativeDiagnostic, sources: MeshSources, textOf: (file: string) => string | undefined, lines: Map<string, readonly number[]>): Diagnostic {
  const severity = d.category === DiagnosticCategory.Error ? "error" : d.category === DiagnosticCategory.Warning ? "warning" : "info";
  const message = flatten(d, 0);
  const file = d.fileName === undefined ? undefined : path.resolve(d.fileName);
  const text = file === undefined ? undefined : textOf(file);
  if (file !== undefined && text !== undefined) {
    let starts = lines.get(file);
    if (!starts) lines.set(file, (starts = lineStarts(text)));
    const a = lineAndColumn(starts, text.length, d.pos);
    const b = lineAndColumn(starts, text.length, d.end);
    return { code: `TS${d.code}`, name: "TypeScript", severity, message, span: { file: sources.relative(file), line: a.line, column: a.column, endLine: b.line, endColumn: b.column } };
  }
  return { code: `TS${d.code}`, name: "TypeScript", severity, message };
}

/** The message and its chain, indented as `ts.flattenDiagnosticMessageText(…, "\n  ")` does. */
function flatten(d: Pick<NativeDiagnostic, "text" | "messageChain">, depth: number): string {
  let out = d.text;
  // The new line is "\n  ", then two spaces per level.
  for (const next of d.messageChain ?? []) out += `\n  ${"  ".repeat(depth + 1)}${flatten(next, depth + 1)}`;
  return out;
}

function readOrUndefined(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/** 1-based line and column of a UTF-16 offset. */
function lineAndColumn(starts: readonly number[], length: number, offset: number): { line: number; column: number } {
  const at = Math.max(0, Math.min(offset, length));
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= at) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: at - starts[lo]! + 1 };
}
