/**
 * TypeScript 6, loaded on first use. The native checker (TypeScript 7) does the type-check and
 * hands over its syntax trees, so most runs never need TypeScript 6; loading its 9 MB CommonJS
 * file costs ~0.25 s through `require` and ~0.8 s through `import` (Node scans it for export
 * names and module syntax first), which was most of the time `meshc --help` took.
 */
import { createRequire } from "node:module";
import type ts from "typescript";

const require = createRequire(import.meta.url);
let loaded: typeof ts | undefined;

export function typescript6(): typeof ts {
  return (loaded ??= require("typescript") as typeof ts);
}
