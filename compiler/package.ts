import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** A package.json, as far as meshc reads its own. */
type Manifest = { readonly name: string; readonly version: string; readonly [field: string]: unknown };

/** The package found by {@link meshcPackageRoot}: its folder and its parsed package.json. */
let found: { readonly dir: string; readonly manifest: Manifest } | undefined;

/**
 * The folder of the meshc package that is running (its package.json is named "meshc"), found by
 * walking up from this module: it sits at another depth in the CLI's bundle (`dist/bundle/`) than
 * in `dist/compiler/`. Found once per process.
 */
export function meshcPackageRoot(): string {
  return locate().dir;
}

/** The running meshc's package.json. */
export function meshcPackage(): Manifest {
  return locate().manifest;
}

function locate(): NonNullable<typeof found> {
  if (found) return found;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, "package.json");
    if (fs.existsSync(pkg)) {
      try {
        const manifest = JSON.parse(fs.readFileSync(pkg, "utf8")) as { name?: unknown; version?: unknown };
        if (manifest.name === "meshc") return (found = { dir, manifest: manifest as Manifest });
      } catch {
        // an unreadable package.json is not ours; keep walking up
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("cannot find the meshc package root");
    dir = parent;
  }
}
