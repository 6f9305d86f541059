import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The folder of the meshc package that is running (its package.json is named "meshc"), found by
 * walking up from this module: it sits at another depth in the CLI's bundle (`dist/bundle/`) than
 * in `dist/compiler/`.
 */
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

/** The running meshc's package.json. */
export function meshcPackage(): { readonly name: string; readonly version: string; readonly [field: string]: unknown } {
  return JSON.parse(fs.readFileSync(path.join(meshcPackageRoot(), "package.json"), "utf8")) as { name: string; version: string };
}
