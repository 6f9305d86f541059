// The CLI contract (DESIGN.md): exit codes, formats, --help, colour, and what a user sees for
// their mistakes — located, coded, never a stack trace.
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import YAML from "yaml";
import { describe, expect, it } from "vitest";
import { main } from "../compiler/cli/main.js";
import type { Io } from "../compiler/cli/io.js";
import { example, repoRoot, scratch } from "./helpers/mesh.js";

async function cli(argv: string[], opts: { cwd?: string; env?: Record<string, string>; tty?: boolean } = {}) {
  let stdout = "";
  let stderr = "";
  const io: Io = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    cwd: opts.cwd ?? repoRoot,
    env: opts.env ?? {},
    isTty: opts.tty ?? false,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

const bookinfo = fs.readFileSync(example("bookinfo"), "utf8");

describe("meshc check", () => {
  it("--timings prints the phases to stderr and leaves the format's stdout as it was", async () => {
    const plain = await cli(["check", "examples/online-boutique/mesh.ts", "--format", "json"]);
    const timed = await cli(["check", "examples/online-boutique/mesh.ts", "--format", "json", "--timings"]);
    expect(timed.code).toBe(0);
    expect(timed.stdout).toBe(plain.stdout);
    expect(plain.stderr).toBe("");
    const rows = timed.stderr.split("\n");
    expect(rows[0]).toBe("Timings of meshc check:");
    const phases = rows.slice(1).filter(Boolean).map((r) => /^  (\S+) +([\d,]+) ms/.exec(r)?.[1]);
    expect(phases).not.toContain(undefined);
    // The checker's verdict, the mesh's run and the analysers, and the whole at the end.
    expect(phases).toEqual(expect.arrayContaining(["typecheck", "evaluate", "validate", "resolve", "checks"]));
    expect(phases.at(-1)).toBe("total");
  });

  it("passes the examples", async () => {
    for (const name of ["bookinfo", "online-boutique"]) {
      const r = await cli(["check", `examples/${name}/mesh.ts`]);
      expect(r.code, r.stdout).toBe(0);
      expect(r.stdout).toMatch(/: ok \(\d+ services, \d+ calls\)/);
    }
  });

  it("reports a misspelt handle, a split to a missing version and a malformed timeout at their lines", async () => {
    const broken = bookinfo
      .replace("to: s.details.ports.http,", "to: s.detials.ports.http,")
      .replace('to: "v2" }', 'to: "v4" }')
      .replace('timeout: "2s",', 'timeout: "5 seconds",');
    const s = scratch({ "mesh.ts": broken });
    try {
      const r = await cli(["check", "mesh.ts"], { cwd: s.dir });
      expect(r.code).toBe(1);
      const heads = r.stdout.split("\n").filter((l) => / - error /.test(l));
      const line = (needle: string) => broken.split("\n").findIndex((l) => l.includes(needle)) + 1;
      expect(heads.map((h) => h.replace(/: .*$/, ""))).toEqual([
        `mesh.ts:${line("s.detials")}:15 - error TS2551`,
        `mesh.ts:${line('"5 seconds"')}:9 - error TS2322`,
        `mesh.ts:${line('to: "v4"')}:69 - error TS2322`,
      ]);
      expect(r.stdout).toContain("Did you mean 'details'?");
      expect(r.stdout).toContain("Found 3 errors.");
      expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      s.dispose();
    }
  });

  it("reports an exception thrown while evaluating a mesh, at the throwing line of the imported file", async () => {
    const s = scratch({
      "mesh.ts": `import { defineMesh } from "meshc";\nimport { ports } from "./lib.js";\nexport default defineMesh({ name: "x", services: { a: { ports: ports(80) } } });\n`,
      "lib.ts": `export function ports(port: number) {\n  if (port < 1024) throw new Error("privileged port " + port);\n  return { http: { port } };\n}\n`,
    });
    try {
      const r = await cli(["check", "mesh.ts"], { cwd: s.dir });
      expect(r.code).toBe(1);
      expect(r.stdout).toContain("lib.ts:2:26 - error MESH004: The mesh threw while being evaluated: privileged port 80");
      expect(r.stdout).not.toMatch(/\n\s+at /);
    } finally {
      s.dispose();
    }
  });

  it("explains a mesh without a default export, and a default export that is not a mesh", async () => {
    const s = scratch({
      "none.ts": `import { defineMesh } from "meshc";\nexport const mesh = defineMesh({ name: "x", services: {} });\n`,
      "other.ts": `export default { name: "x", services: {} };\n`,
    });
    try {
      const none = await cli(["check", "none.ts"], { cwd: s.dir });
      expect(none.code).toBe(1);
      expect(none.stdout).toContain('none.ts:1:1 - error MESH002: "none.ts" has no default export.');
      const other = await cli(["check", "other.ts"], { cwd: s.dir });
      expect(other.code).toBe(1);
      expect(other.stdout).toContain('other.ts:1:1 - error MESH003: The default export of "other.ts" is an object, not a mesh made by defineMesh().');
    } finally {
      s.dispose();
    }
  });

  it("reports a missing file", async () => {
    const r = await cli(["check", "nope/mesh.ts"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('error MESH001: Cannot read mesh file "');
  });

  it("prints JSON diagnostics with code, severity, message, file, line and column", async () => {
    const s = scratch({ "mesh.ts": bookinfo.replace('timeout: "2s",', 'timeout: "5 seconds",') });
    try {
      const r = await cli(["check", "mesh.ts", "--format", "json"], { cwd: s.dir });
      expect(r.code).toBe(1);
      const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ code: "TS2322", severity: "error", file: "mesh.ts", column: 9 });
      expect(rows[0]!.message).toContain('"5 seconds"');
      expect(typeof rows[0]!.line).toBe("number");
    } finally {
      s.dispose();
    }
  });

  it("colours output only on a TTY and never with NO_COLOR", async () => {
    const s = scratch({ "mesh.ts": bookinfo.replace('timeout: "2s",', 'timeout: "5 seconds",') });
    try {
      const tty = await cli(["check", "mesh.ts"], { cwd: s.dir, tty: true });
      expect(tty.stdout).toContain("\x1b[");
      const noColor = await cli(["check", "mesh.ts"], { cwd: s.dir, tty: true, env: { NO_COLOR: "1" } });
      expect(noColor.stdout).not.toContain("\x1b[");
      const pipe = await cli(["check", "mesh.ts"], { cwd: s.dir, tty: false });
      expect(pipe.stdout).not.toContain("\x1b[");
    } finally {
      s.dispose();
    }
  });
});

describe("usage", () => {
  it("prints help for every command and exits 0", async () => {
    for (const argv of [["--help"], ["check", "--help"], ["build", "--help"]]) {
      const r = await cli(argv);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: meshc/);
    }
  });

  it("exits 2 on usage errors, with a one-line message", async () => {
    expect((await cli(["frobnicate"])).code).toBe(2);
    const badOption = await cli(["check", "--frob"]);
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toMatch(/^meshc check: Unknown option '--frob'/);
    const badFormat = await cli(["check", "--format", "xml", "examples/bookinfo/mesh.ts"]);
    expect(badFormat.code).toBe(2);
    const badTarget = await cli(["build", "examples/bookinfo/mesh.ts", "--target", "consul"]);
    expect(badTarget.code).toBe(2);
    expect(badTarget.stderr).toContain('unknown target "consul"');
  });
});

describe("meshc build", () => {
  const tree = (dir: string) =>
    Object.fromEntries(
      (fs.readdirSync(dir, { recursive: true }) as string[])
        .filter((f) => fs.statSync(path.join(dir, f)).isFile())
        .sort()
        .map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]),
    );

  it("writes byte-identical output on two builds", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "meshc-build-"));
    try {
      const state = path.join(tmp, "state");
      const a = await cli(["build", example("bookinfo"), "--out", path.join(tmp, "a"), "--state-dir", state]);
      const b = await cli(["build", example("bookinfo"), "--out", path.join(tmp, "b"), "--state-dir", state]);
      expect(a.code, a.stdout).toBe(0);
      expect(b.code).toBe(0);
      const ta = tree(path.join(tmp, "a"));
      expect(Object.keys(ta)).toContain("manifest.json");
      expect(tree(path.join(tmp, "b"))).toEqual(ta);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("writes a file of objects per target and namespace, or one per object with --layout object", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "meshc-build-"));
    try {
      const state = path.join(tmp, "state");
      const a = await cli(["build", example("bookinfo"), "--out", path.join(tmp, "a"), "--state-dir", state, "--target", "istio"]);
      const b = await cli(["build", example("bookinfo"), "--out", path.join(tmp, "b"), "--state-dir", state, "--target", "istio", "--layout", "object"]);
      expect(a.code, a.stdout).toBe(0);
      expect(b.code, b.stdout).toBe(0);
      const ta = tree(path.join(tmp, "a"));
      const tb = tree(path.join(tmp, "b"));
      expect(Object.keys(ta).filter((f) => f.startsWith("istio/bookinfo/"))).toEqual(["istio/bookinfo/resources.yaml"]);
      const objects = Object.keys(tb).filter((f) => f.startsWith("istio/bookinfo/"));
      expect(objects.length).toBeGreaterThan(10);
      expect(objects).toContain("istio/bookinfo/peerauthentication-default.yaml");
      // The same objects either way.
      const docs = (t: Record<string, string>) => Object.entries(t).filter(([f]) => f.startsWith("istio/bookinfo/")).flatMap(([, text]) => YAML.parseAllDocuments(text).map((d) => JSON.stringify(d.toJS()))).sort();
      expect(docs(ta)).toEqual(docs(tb));
      expect(YAML.parse(ta["istio/kustomization.yaml"]!).resources).toContain("bookinfo/resources.yaml");
      const bad = await cli(["build", example("bookinfo"), "--out", path.join(tmp, "c"), "--layout", "flat"]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('unknown layout "flat"; use one of namespace, object');
      expect(fs.existsSync(path.join(tmp, "c"))).toBe(false);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("writes nothing when the mesh has errors", async () => {
    const s = scratch({ "mesh.ts": bookinfo.replace('timeout: "2s",', 'timeout: "-2s",') });
    try {
      const r = await cli(["build", "mesh.ts", "--out", "out"], { cwd: s.dir });
      expect(r.code).toBe(1);
      expect(r.stdout).toContain("error MESH105: timeout is -2s; it must be between 1ms and 24h.");
      expect(fs.existsSync(path.join(s.dir, "out"))).toBe(false);
    } finally {
      s.dispose();
    }
  });

  it("refuses to replace a folder meshc did not write", async () => {
    const s = scratch({ "mesh.ts": bookinfo, "out/notes.txt": "mine" });
    try {
      const r = await cli(["build", "mesh.ts", "--out", "out"], { cwd: s.dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("not empty and was not written by meshc");
      expect(fs.readFileSync(path.join(s.dir, "out/notes.txt"), "utf8")).toBe("mine");
    } finally {
      s.dispose();
    }
  });
});

describe("the installed bin", () => {
  it("runs as a process with exit codes and no stack trace on a user error", () => {
    // The package's `bin`: the CLI's bundle.
    const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { bin: { meshc: string } };
    const bin = path.join(repoRoot, manifest.bin.meshc);
    expect(fs.existsSync(bin), "run `npm run build` first").toBe(true);
    const ok = spawnSync(process.execPath, [bin, "check", example("bookinfo")], { encoding: "utf8" });
    expect(ok.status).toBe(0);
    const missing = spawnSync(process.execPath, [bin, "check", "/nonexistent/mesh.ts"], { encoding: "utf8" });
    expect(missing.status).toBe(1);
    expect(missing.stdout + missing.stderr).not.toMatch(/\n\s+at /);
    expect(execFileSync(process.execPath, [bin, "--version"], { encoding: "utf8" }).trim()).toMatch(/^\d+\.\d+\.\d+/);
    // The bundle runs `build` from dist/, whose usage errors are another class than the bundle's:
    // still a usage error (exit 2), not an internal one.
    const usage = spawnSync(process.execPath, [bin, "build", example("bookinfo"), "--target", "nope"], { encoding: "utf8" });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/^meshc build: unknown target "nope"/);
  });

  it("checks a clean mesh without loading TypeScript 6 (the native checker's trees are reused), nor esbuild on the main thread", () => {
    // Loading TypeScript 6 costs a quarter of a second; only its own checker and fallbacks need it.
    // esbuild runs in the loader's worker thread (load/transpiler.ts), whose modules are its own.
    const script = (entries: string[]) => `
      import { createRequire } from "node:module";
      const { main } = await import(${JSON.stringify(pathToFileURL(path.join(repoRoot, "dist/compiler/cli/main.js")).href)});
      const io = { stdout() {}, stderr() {}, cwd: process.cwd(), isTty: false, env: {} };
      for (const e of ${JSON.stringify(entries)}) if ((await main(["check", e], io)) !== 0) throw new Error("check failed: " + e);
      const cache = Object.keys(createRequire(import.meta.url).cache);
      console.log(cache.some((k) => k.endsWith("typescript.js")), cache.some((k) => /[\\/]esbuild[\\/]lib[\\/]main\.js$/.test(k)));`;
    const loaded = (env: NodeJS.ProcessEnv) =>
      execFileSync(process.execPath, ["--input-type=module", "-e", script([example("bookinfo"), example("online-boutique")])], { encoding: "utf8", env: { ...process.env, ...env } }).trim();
    expect(loaded({ MESHC_TYPESCRIPT: "" })).toBe("false false");
    // The probe can tell: TypeScript 6 as the checker is seen loaded.
    expect(loaded({ MESHC_TYPESCRIPT: "6" })).toMatch(/^true /);
  });
});
