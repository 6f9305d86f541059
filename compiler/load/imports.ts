import path from "node:path";

/** A TypeScript module meshc runs: `.ts`, `.tsx`, `.mts`, `.cts`, but not a declaration file. */
export function isTypeScriptModule(file: string): boolean {
  return /\.(c|m)?tsx?$/.test(file) && !/\.d\.(c|m)?ts$/.test(file);
}

/**
 * Candidate files for a relative import, in the order TypeScript's NodeNext resolution tries them
 * (`./a.js` is `./a.ts` or `./a.tsx`; an extensionless specifier, as CommonJS-format files may
 * use, is a file or a folder's index). The specifier itself comes first, for callers listing files.
 */
export function relativeImportCandidates(specifier: string): string[] {
  const ext = path.posix.extname(specifier);
  const stem = specifier.slice(0, specifier.length - ext.length);
  const swapped: Record<string, string[]> = { ".js": [".ts", ".tsx"], ".mjs": [".mts"], ".cjs": [".cts"], ".jsx": [".tsx"] };
  return [specifier, ...(swapped[ext] ?? []).map((e) => stem + e), `${specifier}.ts`, `${specifier}.tsx`, `${specifier}/index.ts`];
}
