import type { Span } from "./ir.js";

export type Severity = "error" | "warning" | "info";

/** A related location, e.g. the first declaration of a duplicate. */
export interface RelatedInfo {
  readonly message: string;
  readonly span: Span;
}

/**
 * A diagnostic is data until a formatter prints it. `file` in spans is relative to the mesh root;
 * formatters make it relative to the working directory.
 */
export interface Diagnostic {
  /** `TS2322`, `MESH104`, … */
  readonly code: string;
  /** The catalogue name, e.g. `UnknownVersion` (`TypeScript` for TS diagnostics). */
  readonly name: string;
  readonly severity: Severity;
  readonly message: string;
  /** Absent only for problems with no place in a source file (e.g. a missing entry file). */
  readonly span?: Span;
  readonly related?: readonly RelatedInfo[];
  /** A suggested fix, in words. */
  readonly hint?: string;
  /** For MESH2xx: the target that cannot express the feature. */
  readonly target?: string;
}

/** Sorts diagnostics by file, line, column, then code: stable output on every run. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const key = (d: Diagnostic) => [d.span?.file ?? "", d.span?.line ?? 0, d.span?.column ?? 0, d.code, d.message] as const;
  return [...diagnostics].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) {
      const x = ka[i]!;
      const y = kb[i]!;
      if (x < y) return -1;
      if (x > y) return 1;
    }
    return 0;
  });
}

export function hasErrors(diagnostics: readonly Diagnostic[], strict = false): boolean {
  return diagnostics.some((d) => d.severity === "error" || (strict && d.severity === "warning"));
}

/**
 * The closest candidate by edit distance, if close enough to be a plausible typo.
 * One helper for every did-you-mean in meshc.
 */
export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance || (d === bestDistance && best !== undefined && candidate < best)) {
      best = candidate;
      bestDistance = d;
    }
  }
  const threshold = Math.max(1, Math.floor(name.length * 0.4));
  return best !== undefined && bestDistance <= threshold ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) cur[j] = Math.min(cur[j]!, prev[j - 2]! + 1);
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** `" Did you mean \"x\"?"` or the empty string. */
export function suggestion(name: string, candidates: Iterable<string>): string {
  const best = didYouMean(name, candidates);
  return best === undefined ? "" : ` Did you mean "${best}"?`;
}
