/**
 * Bundles the CLI into `dist/bundle/` once tsc has written `dist/` (`npm run build` runs it); the
 * package's `meshc` command is `dist/bundle/meshc.js`.
 *
 * Why: a `meshc check` of a small mesh spent more time loading modules than checking. Its
 * modules are ~210 files (zod alone is 95, typescript-native 56), and Node 20 resolves, reads and
 * compiles each on its own. One file per command instead (esbuild's code splitting keeps each
 * command's modules apart, so `check` still loads no target) took ~0.1 s off each run on
 * bookinfo (~0.6 to ~0.5 s, side by side).
 *
 * What stays outside: TypeScript 6 and 7 and esbuild, which find their own files (libraries,
 * native binaries) beside their modules. The library's exports (`meshc`, `meshc/compiler`,
 * `meshc/pulumi`) stay in `dist/` unbundled: a mesh's program and Pulumi's import them.
 *
 * The build's worker thread (build-worker.ts) is an entry of its own, in the same folder as the
 * chunk that starts it, as `new URL("./build-worker.js", import.meta.url)` expects. The bundle holds its own
 * copy of the DSL, which the loader hands to the mesh it runs (evaluate.ts), so a mesh run by the
 * CLI sees one DSL, as before.
 */
import fs from "node:fs";
import path from "node:path";
import * as esbuild from "esbuild";
import { meshcPackageRoot } from "../package.js";

const dist = path.join(meshcPackageRoot(), "dist");
const outdir = path.join(dist, "bundle");

fs.rmSync(outdir, { recursive: true, force: true });
await esbuild.build({
  entryPoints: {
    meshc: path.join(dist, "compiler", "cli", "bin.js"),
    "build-worker": path.join(dist, "compiler", "build-worker.js"),
    // The compiler's API as the CLI loads it, for `npm run bench` (test/bench/child-meshc.mjs),
    // which measures a build as `meshc build` runs it. Not an export of the package.
    compiler: path.join(dist, "compiler", "index.js"),
  },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external: ["typescript", "typescript-native", "esbuild"],
  // CommonJS modules in the bundle (asn1js, tslib, …) call `require` for Node's own modules; an ES
  // module has none unless it makes one.
  banner: { js: 'import { createRequire as __meshcCreateRequire } from "node:module"; const require = __meshcCreateRequire(import.meta.url);' },
  logLevel: "warning",
});
fs.chmodSync(path.join(outdir, "meshc.js"), 0o755);
