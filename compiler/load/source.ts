import path from "node:path";
import type ts from "typescript";
import type { Span } from "../ir.js";

/**
 * The mesh's files: their root directory (the entry's folder) and the path conversions every
 * span goes through, so that spans in the IR and in outputs never hold machine-specific paths.
 */
export class MeshSources {
  readonly root: string;
  readonly entry: string;

  constructor(entry: string) {
    this.entry = path.resolve(entry);
    this.root = path.dirname(this.entry);
  }

  // Every span of every literal asks for its file's relative path: computed once per file.
  private readonly relatives = new Map<string, string>();

  /** Root-relative, `/`-separated path of an absolute file path. */
  relative(file: string): string {
    let rel = this.relatives.get(file);
    if (rel === undefined) {
      rel = path.relative(this.root, path.resolve(file)).split(path.sep).join("/");
      this.relatives.set(file, rel);
    }
    return rel;
  }

  /** Absolute path of a root-relative span file. */
  absolute(file: string): string {
    return path.resolve(this.root, file);
  }

  /** The span of `start..end` (character offsets) in a parsed source file. */
  span(sf: ts.SourceFile, start: number, end: number): Span {
    const a = sf.getLineAndCharacterOfPosition(start);
    const b = sf.getLineAndCharacterOfPosition(end);
    return { file: this.relative(sf.fileName), line: a.line + 1, column: a.character + 1, endLine: b.line + 1, endColumn: b.character + 1 };
  }

  /** The span of a whole file's first character: for problems that belong to a file, not a line. */
  fileSpan(file: string): Span {
    return { file: this.relative(file), line: 1, column: 1, endLine: 1, endColumn: 1 };
  }
}

/**
 * Where each line of `text` starts, lines ended as ECMAScript (and TypeScript, and esbuild's
 * source maps) end them: CR, LF, CR LF, U+2028, U+2029.
 */
export function lineStarts(text: string): readonly number[] {
  const starts = [0];
  for (const m of text.matchAll(/\r\n?|[\n\u2028\u2029]/g)) starts.push(m.index + m[0].length);
  return starts;
}
