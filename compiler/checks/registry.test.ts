import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { allEntries, catalogue } from "../codes.js";
import type { Check } from "./check.js";
import { checks } from "./index.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");
/** Files in compiler/checks/ that are not checks. */
const NOT_CHECKS = new Set(["check.ts", "index.ts", "harness.ts"]);
const checkFiles = fs
  .readdirSync(here)
  .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && !NOT_CHECKS.has(f))
  .sort();

const isCheck = (value: unknown): value is Check =>
  typeof value === "object" && value !== null && typeof (value as Check).name === "string" && typeof (value as Check).run === "function";

/** Every non-test TypeScript file under a folder. */
function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" || e.name === "__snapshots__" ? [] : sources(p);
    return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") ? [p] : [];
  });
}

describe("the check registry", () => {
  it.each(checkFiles)("registers the check in %s, which opens with its title, invariant and reference", async (file) => {
    const exported = Object.values((await import(`./${file.replace(/\.ts$/, ".js")}`)) as Record<string, unknown>).filter(isCheck);
    expect(exported, `${file} exports exactly one check`).toHaveLength(1);
    expect(checks, `${file}'s check is listed in compiler/checks/index.ts`).toContain(exported[0]);
    const head = fs.readFileSync(path.join(here, file), "utf8").split("\n").slice(0, 3);
    expect(head.every((l) => l.startsWith("// ")), `${file} opens with three comment lines`).toBe(true);
    expect(head[2]!.startsWith("// See: "), `${file}'s third line is its reference`).toBe(true);
    expect(fs.existsSync(path.join(here, file.replace(/\.ts$/, ".test.ts"))), `${file} has a test beside it`).toBe(true);
  });

  it("lists each check once, each reporting its own MESH1xx entry", () => {
    const names = checks.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const c of checks) expect(catalogue[c.name].code).toMatch(/^MESH1\d\d$/);
    expect(checks.length).toBe(checkFiles.length);
  });
});

describe("the diagnostic catalogue", () => {
  it("has unique, well-formed codes, names matching their keys, and non-empty descriptions", () => {
    const codes = allEntries.map((e) => e.code);
    expect(new Set(codes).size, "duplicate code").toBe(codes.length);
    for (const [key, e] of Object.entries(catalogue)) {
      expect(e.code).toMatch(/^MESH\d{3}$/);
      expect(e.name).toBe(key);
      expect(e.description.trim().length, `${e.code} has a description`).toBeGreaterThan(0);
      expect(e.description, `${e.code}'s description is a sentence`).toMatch(/[.)]$/);
    }
  });

  it("has no entry that nothing reports", () => {
    const checked = new Set(checks.map((c) => c.name));
    // MESH0xx, 2xx and 9xx are reported by the loader, the validator, the targets and the driver.
    const text = [...sources(path.join(repo, "compiler")), ...sources(path.join(repo, "targets"))]
      .filter((f) => path.basename(f) !== "codes.ts")
      .map((f) => fs.readFileSync(f, "utf8"))
      .join("\n");
    const unused = allEntries
      .filter((e) => !e.retired)
      .filter((e) => (e.code.startsWith("MESH1") ? !checked.has(e.name as keyof typeof catalogue) : !text.includes(`"${e.name}"`)))
      .map((e) => `${e.code} ${e.name}`);
    expect(unused).toEqual([]);
  });
});
