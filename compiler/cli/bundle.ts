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
 * What stays outside:
 * - TypeScript 6 and 7 and esbuild, which find their own files (libraries, native binaries)
 *   beside their modules;
 * - `meshc build`, which the bundle imports from `dist/compiler/cli/commands/build.js`, with the
 *   rest of `dist/` behind it (its worker thread too). Built from the bundle, a mesh of 5,000
 *   services in one file peaked at ~0.83-0.9 GiB (9 runs), against ~0.64-0.72 GiB (7 runs) from
 *   `dist/`: the same code and about the same time, and the cause not found. Loading from `dist/`
 *   costs a build ~0.2 s more (~0.45 s against ~0.26 s), which is little beside a build;
 * - the library's exports (`meshc`, `meshc/compiler`, `meshc/pulumi`): a mesh's program and
 *   Pulumi's import them from `dist/`.
 *
 * The bundle holds its own copy of the DSL, which the loader hands to the mesh it runs
 * (evaluate.ts), so a mesh run by the CLI sees one DSL, as before.
 */
import fs from "node:fs";
import path from "node:path";
import * as esbuild from "esbuild";
import { meshcPackageRoot } from "../package.js";

const dist = path.join(meshcPackageRoot(), "dist");
const outdir = path.join(dist, "bundle");

/** main.js's import of the build command, left to `dist/` (see above); every chunk is in `outdir`. */
const buildFromDist: esbuild.Plugin = {
  name: "meshc-build-from-dist",
  setup(build) {
    build.onResolve({ filter: /^\.\/commands\/build\.js$/ }, (args) =>
      args.importer === path.join(dist, "compiler", "cli", "main.js") ? { path: "../compiler/cli/commands/build.js", external: true } : undefined,
    );
  },
};

fs.rmSync(outdir, { recursive: true, force: true });
await esbuild.build({
  entryPoints: { meshc: path.join(dist, "compiler", "cli", "bin.js") },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external: ["typescript", "typescript-native", "esbuild"],
  plugins: [buildFromDist],
  // CommonJS modules in the bundle (asn1js, tslib, …) call `require` for Node's own modules; an ES
  // module has none unless it makes one.
  banner: { js: 'import { createRequire as __meshcCreateRequire } from "node:module"; const require = __meshcCreateRequire(import.meta.url);' },
  logLevel: "warning",
});
if (!fs.readdirSync(outdir).some((f) => fs.readFileSync(path.join(outdir, f), "utf8").includes('"../compiler/cli/commands/build.js"'))) {
  throw new Error("bundle.ts: the build command was bundled; it must be imported from dist/");
}
fs.chmodSync(path.join(outdir, "meshc.js"), 0o755);
