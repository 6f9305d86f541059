// Same mesh → the same bytes: across two builds, across time zones and locales (the real CLI in
// child processes with TZ=Pacific/Chatham LANG=tr_TR.UTF-8 against TZ=UTC LANG=C), and whatever
// order services, ports, versions, calls, policy functions, routes and entry points are declared
// in. Every registered target takes part, so a target that leaks Map order, the clock, the locale
// or a declaration's position into its output fails here.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it, vi } from "vitest";
import { buildMesh, type BuildResult } from "../compiler/build.js";
import { renderOutput } from "../compiler/writer.js";
import { targets } from "../targets/index.js";
import { example, repoRoot, scratch } from "./helpers/mesh.js";
import { meshArbitrary, renderMesh } from "./oracle/arbitrary.js";

const SEED = 7_777_777;
const RUNS = Number(process.env.MESHC_DETERMINISM_RUNS ?? 25);
const NOW = new Date("2025-03-01T12:34:56Z");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "meshc-determinism-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
/** One CA for every build, as a repository's `.meshc/` would be. */
const stateDir = path.join(tmp, "state");

type Files = Map<string, string>;

/** What the writer would write, as text by path. */
function filesOf(result: BuildResult): Files {
  expect(result.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual([]);
  return new Map(renderOutput(result.artifacts).map((f) => [f.path, f.data.toString("utf8")]));
}

function readTree(dir: string): Files {
  const out: Files = new Map();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p).split(path.sep).join("/"), fs.readFileSync(p, "utf8"));
    }
  };
  walk(dir);
  return out;
}

/** Equal file sets, reporting the first differing file with a line of context. */
function expectSameFiles(a: Files, b: Files, label: string): void {
  expect([...b.keys()].sort(), `${label}: file lists`).toEqual([...a.keys()].sort());
  for (const [p, text] of a) {
    const other = b.get(p)!;
    if (other === text) continue;
    const la = text.split("\n");
    const lb = other.split("\n");
    const i = la.findIndex((l, j) => l !== lb[j]);
    expect(`${p}:${i + 1}: ${lb[i]}`, `${label}: ${p} differs`).toBe(`${p}:${i + 1}: ${la[i]}`);
  }
}

const build = (entry: string, options: { targets?: readonly string[] } = {}) =>
  buildMesh(entry, { skipTypeCheck: true, stateDir, now: NOW, ...(options.targets ? { targets: options.targets } : {}) });

describe("two builds of one mesh", () => {
  for (const name of ["bookinfo", "online-boutique"]) {
    it(`${name}: byte-identical with every registered target (${targets.map((t) => t.name).join(", ")})`, async () => {
      const first = filesOf(await build(example(name)));
      const second = filesOf(await build(example(name)));
      expect(first.size).toBeGreaterThan(targets.length);
      expectSameFiles(first, second, name);
    });
  }
});

describe("time zone and locale", () => {
  const bin = path.join(repoRoot, "dist/bundle/meshc.js");
  // The CLI takes the clock from the system: freeze it in the child so only TZ and LANG differ.
  const freeze = `data:text/javascript,${encodeURIComponent(
    `const T = ${NOW.getTime()}; const D = Date; globalThis.Date = class extends D { constructor(...a) { super(...(a.length ? a : [T])); } static now() { return T; } };`,
  )}`;
  const cli = (env: Record<string, string>, out: string) => {
    const run = spawnSync(process.execPath, [`--import=${freeze}`, bin, "build", example("bookinfo"), "--out", out, "--state-dir", stateDir], {
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? tmp, NO_COLOR: "1", ...env },
    });
    expect(run.status, run.stdout + run.stderr).toBe(0);
    return readTree(out);
  };

  it.skipIf(!fs.existsSync(bin))("the CLI writes the same bytes under TZ=Pacific/Chatham LANG=tr_TR.UTF-8 as under TZ=UTC LANG=C", () => {
    const exotic = cli({ TZ: "Pacific/Chatham", LANG: "tr_TR.UTF-8", LC_ALL: "tr_TR.UTF-8" }, path.join(tmp, "out-chatham"));
    const plain = cli({ TZ: "UTC", LANG: "C", LC_ALL: "C" }, path.join(tmp, "out-utc"));
    expect(exotic.size).toBeGreaterThan(2);
    expectSameFiles(plain, exotic, "TZ/LANG");
  });

  it("targets take time from the injected clock, not the system's", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(new Date("2031-07-04T03:00:00Z"));
      const later = filesOf(await build(example("bookinfo")));
      vi.setSystemTime(new Date("2019-11-30T23:59:59Z"));
      const earlier = filesOf(await build(example("bookinfo")));
      expectSameFiles(later, earlier, "system clock");
    } finally {
      vi.useRealTimers();
    }
  });
});

/** The IR without source positions: what declaration order may not change. */
function withoutSpans(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSpans);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).filter(([k]) => !(k === "span" || k === "fieldSpans" || k.endsWith("Span"))).map(([k, v]) => [k, withoutSpans(v)]));
  }
  return value;
}

describe("declaration order", () => {
  // The ir target dumps the IR with its source spans, which move with the declarations by design;
  // it is compared without them below.
  const positional = new Set(["ir"]);
  const compared = targets.filter((t) => !positional.has(t.name)).map((t) => t.name);

  it(`generated meshes declared in two orders build to the same bytes (${compared.join(", ")}) and the same IR`, async () => {
    await fc.assert(
      fc.asyncProperty(meshArbitrary(), fc.nat(), fc.nat(), async (mesh, a, b) => {
        const one = scratch({ "mesh.ts": renderMesh(mesh, { seed: a }) });
        const two = scratch({ "mesh.ts": renderMesh(mesh, { seed: b === a ? a + 1 : b }) });
        try {
          const first = await build(one.file("mesh.ts"), { targets: compared });
          const second = await build(two.file("mesh.ts"), { targets: compared });
          expectSameFiles(filesOf(first), filesOf(second), `${renderMesh(mesh, { seed: a })}\n---\n${renderMesh(mesh, { seed: b })}`);
          expect(withoutSpans(second.compiled.ir)).toEqual(withoutSpans(first.compiled.ir));
        } finally {
          one.dispose();
          two.dispose();
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("the comparison bites: two orders really differ, and output that carries positions differs too", async () => {
    const [mesh] = fc.sample(
      meshArbitrary().filter((m) => m.services.length >= 3 && m.calls.length >= 3),
      { seed: SEED, numRuns: 1 },
    );
    expect(renderMesh(mesh!, { seed: 1 })).not.toBe(renderMesh(mesh!, { seed: 2 }));
    const one = scratch({ "mesh.ts": renderMesh(mesh!, { seed: 1 }) });
    const two = scratch({ "mesh.ts": renderMesh(mesh!, { seed: 2 }) });
    try {
      const a = filesOf(await build(one.file("mesh.ts"), { targets: ["ir"] }));
      const b = filesOf(await build(two.file("mesh.ts"), { targets: ["ir"] }));
      expect(() => expectSameFiles(a, b, "ir")).toThrow();
    } finally {
      one.dispose();
      two.dispose();
    }
  });
});
