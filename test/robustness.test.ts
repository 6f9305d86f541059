// Whatever a mesh.ts program does, meshc ends with diagnostics (exit 1) or with success: never an
// exception, never a MESH9xx (a bug in meshc). Hand-written hostile programs, names Kubernetes
// would reject (diagnosed MESH107 at their line), random mutations of generated meshes, text-level
// damage, a 3,000-service mesh, a few type-checked programs, and generated meshes built by every
// registered target (so each target is fuzzed as it lands).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { buildMesh } from "../compiler/build.js";
import { dedent } from "../compiler/checks/harness.js";
import type { CompileResult } from "../compiler/compile.js";
import type { Diagnostic } from "../compiler/diagnostics.js";
import { targets } from "../targets/index.js";
import { compileSource, repoRoot, scratch } from "./helpers/mesh.js";
import { meshArbitrary, meshTrees, renderMesh, renderTrees } from "./oracle/arbitrary.js";
import { mutateTrees, mutationArbitrary } from "./oracle/mutate.js";

const SEED = Number(process.env.MESHC_ROBUSTNESS_SEED ?? 9_090_909);
const RUNS = Number(process.env.MESHC_ROBUSTNESS_RUNS ?? 120);
const NOW = new Date("2025-01-01T00:00:00Z");
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "meshc-robust-state-"));
afterAll(() => fs.rmSync(stateDir, { recursive: true, force: true }));

const show = (ds: readonly Diagnostic[]) => ds.map((d) => `${d.code}${d.target ? `[${d.target}]` : ""} ${d.span ? `${d.span.file}:${d.span.line}` : "-"} ${d.message}`);

/** The contract: diagnostics with a place and an error (exit 1), or an IR and no error (exit 0); no MESH9xx. */
function expectContract(result: Pick<CompileResult, "diagnostics" | "ir">, source?: string): "error" | "ok" {
  const internal = result.diagnostics.filter((d) => d.code.startsWith("MESH9"));
  expect(show(internal), source).toEqual([]);
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  if (errors.length === 0) {
    expect(result.ir, source).toBeDefined();
    return "ok";
  }
  // Every diagnostic of a mesh that exists points at a line of it.
  expect(show(result.diagnostics.filter((d) => !d.span || !(d.span.line >= 1) || typeof d.span.file !== "string")), source).toEqual([]);
  return "error";
}

const compile = (source: string, options: { skipTypeCheck?: boolean } = { skipTypeCheck: true }) => compileSource(source, options);

describe("hostile mesh programs end in diagnostics", () => {
  const head = `import { anyService, defineMesh } from "meshc";\n`;
  const one = `{ name: "x", services: { a: { ports: { http: { port: 80 } } } } } as any`;
  const cases: Record<string, { body: string; codes: readonly string[] }> = {
    "a getter on the spec that throws": { body: `export default defineMesh({ name: "x", get services(): any { throw new Error("boom"); } } as any);`, codes: ["MESH004"] },
    "a getter on a service that throws": { body: `export default defineMesh({ name: "x", services: { get a(): any { throw new Error("boom"); } } } as any);`, codes: ["MESH004"] },
    "a getter on a port that throws": { body: `export default defineMesh({ name: "x", services: { a: { ports: { get http(): any { throw new Error("boom"); } } } } } as any);`, codes: ["MESH004"] },
    "a getter on a policy result that throws": { body: `export default defineMesh(${one}, (s: any) => ({ get calls(): any { throw new Error("boom"); } }));`, codes: ["MESH006"] },
    "a getter returning a different value on each read": {
      body: `let n = 0;\nexport default defineMesh({ name: "x", services: { a: { ports: { http: { get port(): any { return n++ === 0 ? 80 : "eighty"; } } } } } } as any);`,
      codes: ["MESH110"],
    },
    "a Proxy whose traps throw, as the mesh": { body: `export default new Proxy({}, { get() { throw new Error("trap"); } });`, codes: ["MESH004"] },
    "a Proxy whose traps throw, as the services": { body: `export default defineMesh({ name: "x", services: new Proxy({}, { ownKeys() { throw new Error("keys"); } }) } as any);`, codes: ["MESH004"] },
    "a fake mesh whose policies are not a list": { body: `export default { [Symbol.for("meshc.mesh")]: true, spec: { name: "x", services: {} }, policies: 5 };`, codes: ["MESH006"] },
    "a fake mesh whose spec getter throws": { body: `export default { [Symbol.for("meshc.mesh")]: true, get spec() { throw new Error("s"); }, policies: [] };`, codes: ["MESH004"] },
    "a fake mesh whose policies are a throwing Proxy": {
      body: `export default { [Symbol.for("meshc.mesh")]: true, spec: { name: "x", services: {} }, policies: new Proxy([], { get() { throw new Error("list trap"); } }) };`,
      codes: ["MESH004"],
    },
    "a revoked Proxy as the mesh": { body: `const r = Proxy.revocable({}, {});\nr.revoke();\nexport default r.proxy;`, codes: ["MESH004"] },
    "a fake mesh whose policies are a revoked Proxy": {
      body: `const r = Proxy.revocable([], {});\nr.revoke();\nexport default { [Symbol.for("meshc.mesh")]: true, spec: { name: "x", services: {} }, policies: r.proxy };`,
      codes: ["MESH004"],
    },
    "a policy returning a number": { body: `export default defineMesh(${one}, (() => 42) as any);`, codes: ["MESH006"] },
    "a policy returning null": { body: `export default defineMesh(${one}, (() => null) as any);`, codes: ["MESH006"] },
    "a policy returning undefined": { body: `export default defineMesh(${one}, (() => undefined) as any);`, codes: ["MESH006"] },
    "a policy returning an array": { body: `export default defineMesh(${one}, (() => []) as any);`, codes: ["MESH006"] },
    "an async policy (a Promise, whose calls would be lost)": { body: `export default defineMesh(${one}, (async (s: any) => ({ calls: [] })) as any);`, codes: ["MESH006"] },
    "a policy that is not a function": { body: `export default defineMesh(${one}, 5 as any);`, codes: ["MESH006"] },
    "a policy that throws": { body: `export default defineMesh(${one}, (s: any) => s.nope.ports.http);`, codes: ["MESH006"] },
    "a cyclic service": { body: `const a: any = { ports: { http: { port: 80 } } }; a.self = a;\nexport default defineMesh({ name: "x", services: { a } } as any);`, codes: ["MESH011"] },
    "a cyclic spec": { body: `const spec: any = { name: "x", services: {} }; spec.services.b = spec;\nexport default defineMesh(spec);`, codes: ["MESH012", "MESH011"] },
    "a cyclic list of calls": { body: `export default defineMesh(${one}, (s: any) => { const c: any[] = []; c.push(c); return { calls: c }; });`, codes: ["MESH010"] },
    "a null spec": { body: `export default defineMesh(null as any);`, codes: ["MESH010"] },
    "an empty spec": { body: `export default defineMesh({} as any);`, codes: ["MESH012"] },
    "an array as spec": { body: `export default defineMesh([] as any);`, codes: ["MESH010"] },
    "null everywhere": {
      body: `export default defineMesh({ name: "x", services: { a: { ports: { http: { port: 80 } }, versions: { v1: null } } } } as any, (s: any) => ({ calls: [null, { from: null, to: null }], routes: { a: { http: [{ match: { headers: null } }] } }, ingress: null }));`,
      codes: ["MESH010", "MESH015"],
    },
    "empty objects": { body: `export default defineMesh({ name: "x", services: { a: {} } } as any, (s: any) => ({ calls: [{}], routes: { a: {} }, ingress: [{}] }));`, codes: ["MESH012"] },
    "missing fields": { body: `export default defineMesh({ services: { a: { ports: { http: {} } } } } as any, (s: any) => ({ calls: [{ from: s.a }], ingress: [{ name: "i" }] }));`, codes: ["MESH012"] },
    "wrong types": {
      body: `export default defineMesh({ name: 42, namespace: [], services: { a: { ports: { http: { port: "80", protocol: 1 } }, versions: "v1", workload: { replicas: "2" } } } } as any, (s: any) => ({ calls: "all", routes: [], ingress: {} }));`,
      codes: ["MESH010"],
    },
    "NaN, Infinity and bigints as numbers": {
      body: `export default defineMesh({ name: "x", services: { a: { ports: { http: { port: Number("x") }, b: { port: Infinity }, c: { port: 10n } } } } } as any);`,
      codes: ["MESH010"],
    },
    "a bigint, a symbol and a cyclic object where a choice is expected": {
      body: `const o: any = {}; o.o = o;\nexport default defineMesh({ name: "x", defaults: { mtls: 10n, egress: o }, services: { a: { ports: { http: { port: 80, protocol: Symbol("p") } } } } } as any);`,
      codes: ["MESH013"],
    },
    "huge numbers": {
      body: `export default defineMesh({ name: "x", services: { a: { ports: { http: { port: 1e308, targetPort: -0 } }, workload: { replicas: 1e308 } } } } as any);`,
      codes: ["MESH013"],
    },
    "-0 and out-of-range integers": {
      body: `export default defineMesh({ name: "x", services: { a: { ports: { http: { port: -0 }, h: { port: 70000 } }, workload: { replicas: -0 } } } } as any);`,
      codes: ["MESH106"],
    },
    "durations that overflow to Infinity": {
      body: `export default defineMesh({ name: "x", defaults: { traffic: { timeout: "${"9".repeat(400)}s" } }, certificates: { leafLifetime: "${"9".repeat(400)}d" }, services: { a: { ports: { http: { port: 80 } } } } } as any);`,
      codes: ["MESH105"],
    },
    "built-in objects where declarations are plain objects": {
      body: `export default defineMesh({ name: new Date(0), services: new Map([["a", { ports: {} }]]) } as any);`,
      codes: ["MESH010"],
    },
    "a Promise as the traffic policy": { body: `export default defineMesh({ name: "x", services: { a: { ports: { http: { port: 80 } }, traffic: Promise.resolve({}) } } } as any);`, codes: ["MESH010"] },
    "an array too long to walk": { body: `export default defineMesh(${one}, (s: any) => ({ calls: new Array(2 ** 32 - 1) }));`, codes: ["MESH013"] },
    "a sparse array of calls": { body: `export default defineMesh(${one}, (s: any) => ({ calls: [, ,] }));`, codes: ["MESH012"] },
    "handles forged as strings": { body: `export default defineMesh(${one}, (s: any) => ({ calls: [{ from: "a", to: "a.http" }] }));`, codes: ["MESH015"] },
    "a handle mutated by the policy": { body: `export default defineMesh(${one}, (s: any) => { s.a.kind = "x"; return {}; });`, codes: ["MESH006"] },
    "a syntax error": { body: `export default defineMesh({ name: "x", services: { ;`, codes: ["TS1136"] },
    "a module that throws at load": { body: `throw new Error("top");`, codes: ["MESH004"] },
    "a module that throws null": { body: `throw null;`, codes: ["MESH004"] },
    "no default export": { body: `export const mesh = 1;`, codes: ["MESH002"] },
    "a default export that is not a mesh": { body: `export default Promise.resolve(1);`, codes: ["MESH003"] },
    "an import that does not exist": { body: `import "./nowhere.js";\nexport default defineMesh(${one});`, codes: ["MESH005"] },
    "keys that shadow Object.prototype": {
      body: `export default defineMesh({ name: "x", services: { constructor: { ports: { http: { port: 80 } } }, toString: { ports: { valueOf: { port: 81 } } }, ["__proto__"]: { ports: { http: { port: 82 } } } } } as any, (s: any) => ({ calls: [{ from: s.constructor, to: s.toString.ports.valueOf }] }));`,
      codes: ["MESH107"],
    },
    "a duplicate Kubernetes name": {
      body: `export default defineMesh({ name: "x", services: { a: { name: "b", ports: { http: { port: 80 } } }, b: { ports: { http: { port: 80 } } } } } as any, (s: any) => ({ calls: [{ from: s.a, to: s.b.ports.http }] }));`,
      codes: ["MESH101"],
    },
    "duplicate ingress names and duplicate routes": {
      body: `export default defineMesh(${one}, (s: any) => ({ ingress: [{ name: "i", routes: [{ to: s.a.ports.http }] }], routes: { a: { http: [{}] } } }), (s: any) => ({ ingress: [{ name: "i", routes: [{ to: s.a.ports.http }] }], routes: { a: { http: [{}] } } }));`,
      codes: ["MESH101"],
    },
  };

  for (const [name, c] of Object.entries(cases)) {
    it(name, () => {
      const source = head + c.body + "\n";
      const result = compile(source);
      const codes = new Set(result.diagnostics.map((d) => d.code));
      for (const code of c.codes) expect([...codes], show(result.diagnostics).join("\n")).toContain(code);
      expectContract(result, source);
    });
  }

  it("reports the line of a getter that throws, and which field it was", () => {
    const result = compile(dedent(`
      import { defineMesh } from "meshc";
      export default defineMesh({
        name: "x",
        services: {
          a: { ports: { get http(): any { throw new Error("no port today"); } } },
        },
      } as any);
    `));
    expect(show(result.diagnostics)).toEqual(["MESH004 mesh.ts:5 The mesh threw while being evaluated: reading services.a.ports.http threw: no port today"]);
  });

  it("reports an async policy at the policy", () => {
    const result = compile(dedent(`
      import { defineMesh } from "meshc";
      export default defineMesh({ name: "x", services: { a: { ports: { http: { port: 80 } } } } },
        (async (s: any) => ({ calls: [] })) as any,
      );
    `));
    expect(show(result.diagnostics)).toEqual(["MESH006 mesh.ts:3 A policy function failed: it returned a Promise (policy functions run synchronously: remove `async`), not an object { calls, routes, ingress }"]);
  });
});

describe("names Kubernetes would reject are diagnosed MESH107 at their line", () => {
  const cases: Record<string, { source: string; line: number; kind: string }> = {
    "an upper-case service name": { source: `services: {\n    Reviews: { ports: { http: { port: 80 } } },\n  }`, line: 5, kind: "Service name" },
    "a unicode service name": { source: `services: {\n    "café": { ports: { http: { port: 80 } } },\n  }`, line: 5, kind: "Service name" },
    "a CJK service name": { source: `services: {\n    "服务": { ports: { http: { port: 80 } } },\n  }`, line: 5, kind: "Service name" },
    "an emoji version": { source: `services: {\n    a: { ports: { http: { port: 80 } },\n      versions: { "🚀": {} } },\n  }`, line: 6, kind: "Version name" },
    "a 64-character service name": { source: `services: {\n    ${"a".repeat(64)}: { ports: { http: { port: 80 } } },\n  }`, line: 5, kind: "Service name" },
    "a name ending in a dash": { source: `services: {\n    "web-": { ports: { http: { port: 80 } } },\n  }`, line: 5, kind: "Service name" },
    "a dotted service name": { source: `services: {\n    "a.b": { ports: { http: { port: 80 } } },\n  }`, line: 5, kind: "Service name" },
    "an underscore in a port name": { source: `services: {\n    a: { ports: {\n      http_1: { port: 80 } } },\n  }`, line: 6, kind: "Port name" },
    "a 16-character port name": { source: `services: {\n    a: { ports: {\n      "abcdefghijklmnop": { port: 80 } } },\n  }`, line: 6, kind: "Port name" },
    "an upper-case namespace": { source: `services: {\n    a: {\n      namespace: "Prod",\n      ports: { http: { port: 80 } } },\n  }`, line: 6, kind: "Namespace" },
    "a service account with a space": { source: `services: {\n    a: {\n      serviceAccount: "my sa",\n      ports: { http: { port: 80 } } },\n  }`, line: 6, kind: "Service account" },
    "an empty name": { source: `services: {\n    "": { ports: { http: { port: 80 } } },\n  }`, line: 5, kind: "Service name" },
  };
  for (const [name, c] of Object.entries(cases)) {
    it(name, () => {
      const source = `import { defineMesh } from "meshc";\nexport default defineMesh({\n  name: "m",\n  ${c.source},\n} as any);\n`;
      const result = compile(source);
      const found = result.diagnostics.filter((d) => d.code === "MESH107" && d.message.startsWith(c.kind));
      expect(found.map((d) => d.span?.line), `${source}\n${show(result.diagnostics).join("\n")}`).toContain(c.line);
      expect(expectContract(result, source)).toBe("error");
    });
  }

  it("an ingress with an upper-case name, at its line", () => {
    const source = `import { defineMesh } from "meshc";\nexport default defineMesh({ name: "m", services: { a: { ports: { http: { port: 80 } } } } },\n  (s) => ({ ingress: [\n    { name: "Public", routes: [{ to: s.a.ports.http }] },\n  ] }),\n);\n`;
    const result = compile(source);
    expect(result.diagnostics.filter((d) => d.code === "MESH107" && d.message.startsWith("Ingress name")).map((d) => d.span?.line)).toEqual([4]);
  });
});

describe("random mutations of generated meshes", () => {
  it("never crash the compiler, nor a target on what the compiler accepts", () => {
    let errors = 0;
    fc.assert(
      fc.property(meshArbitrary({ maxServices: 4 }), fc.array(fc.record({ pick: fc.nat(), mutation: mutationArbitrary }), { minLength: 1, maxLength: 3 }), (mesh, mutations) => {
        const source = renderTrees(mutateTrees(meshTrees(mesh), mutations), { typed: false });
        let result: CompileResult | undefined;
        expect(() => (result = compile(source)), source).not.toThrow();
        if (expectContract(result!, source) === "error") {
          errors++;
          return;
        }
        // A mutation the compiler accepts (an odd string, -0, a huge count…) goes on to every target.
        for (const target of targets) {
          expect(() => target.run(result!.ir!, { stateDir, now: NOW }), `${target.name}:\n${source}`).not.toThrow();
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // The mutations must actually break meshes, or this test proves nothing.
    expect(errors).toBeGreaterThan(RUNS / 3);
  });

  it("never crash on text-level damage either", () => {
    fc.assert(
      fc.property(meshArbitrary({ maxServices: 3 }), fc.nat(), fc.constantFrom("", "}", "{", ",", ";", "(", "'", "`", "\\", "ü", "0", "null", "*/"), (mesh, at, insert) => {
        const text = renderMesh(mesh);
        const i = at % text.length;
        const source = text.slice(0, i) + insert + text.slice(i + 1);
        let result: CompileResult | undefined;
        expect(() => (result = compile(source)), source).not.toThrow();
        expectContract(result!, source);
      }),
      { seed: SEED + 1, numRuns: Math.ceil(RUNS / 2) },
    );
  });
});

describe("big meshes", () => {
  it("compiles 3,000 services (type-check skipped)", () => {
    const n = 3000;
    const services = Array.from({ length: n }, (_, i) => `    s${i}: { ports: { http: { port: 8080 } }, versions: { v1: {} } },`).join("\n");
    const calls = Array.from({ length: n - 1 }, (_, i) => `    { from: s.s${i}, to: s.s${i + 1}.ports.http, methods: ["GET"] },`).join("\n");
    const source = `import { defineMesh } from "meshc";\nexport default defineMesh({ name: "big", services: {\n${services}\n} }, (s) => ({ calls: [\n${calls}\n], ingress: [{ name: "public", routes: [{ to: s.s0.ports.http }] }] }));\n`;
    const t0 = performance.now();
    const result = compile(source);
    const ms = performance.now() - t0;
    expect(expectContract(result, "(3,000 services)")).toBe("ok");
    expect(result.ir!.services).toHaveLength(n);
    expect(result.ir!.calls).toHaveLength(n - 1);
    // Only logged (the machine is noisy): `npm run bench` measures how compile time grows with N.
    console.log(`3,000 services compiled in ${ms.toFixed(0)} ms`);
  });
});

describe("type-checked programs", () => {
  it("a wrong type is a TypeScript error at its line, not a crash", () => {
    const result = compile(`import { defineMesh } from "meshc";\nexport default defineMesh({ name: "x", services: {\n  a: { ports: { http: { port: "80" } } },\n} });\n`, {});
    expect(result.diagnostics.map((d) => `${d.code} ${d.span?.line}`)).toEqual(["TS2322 3"]);
  });

  it("a unicode service name type-checks and is then diagnosed MESH107 at its line", () => {
    const result = compile(`import { defineMesh } from "meshc";\nexport default defineMesh({ name: "x", services: {\n  "naïve": { ports: { http: { port: 80 } } },\n} });\n`, {});
    expect(result.diagnostics.filter((d) => d.code === "MESH107").map((d) => d.span?.line)).toContain(3);
    expectContract(result);
  });

  it("generated meshes type-check as written", () => {
    const meshes = fc.sample(meshArbitrary(), { seed: SEED, numRuns: 2 });
    for (const mesh of meshes) {
      const source = renderMesh(mesh);
      const result = compile(source, {});
      expect(show(result.diagnostics.filter((d) => d.code.startsWith("TS"))), source).toEqual([]);
      expect(expectContract(result, source)).toBe("ok");
    }
  });
});

describe("every registered target on generated meshes", () => {
  it(`builds without an internal error (${targets.map((t) => t.name).join(", ")})`, async () => {
    await fc.assert(
      fc.asyncProperty(meshArbitrary(), async (mesh) => {
        const s = scratch({ "mesh.ts": renderMesh(mesh) });
        try {
          const result = await buildMesh(s.file("mesh.ts"), { skipTypeCheck: true, stateDir, now: NOW });
          const internal = result.diagnostics.filter((d) => d.code.startsWith("MESH9"));
          expect(show(internal), renderMesh(mesh)).toEqual([]);
          // A valid mesh builds; a target's limits are warnings (MESH2xx), not errors.
          expect(show(result.diagnostics.filter((d) => d.severity === "error")), renderMesh(mesh)).toEqual([]);
          expect(result.ok).toBe(true);
        } finally {
          s.dispose();
        }
      }),
      { seed: SEED + 2, numRuns: Math.ceil(RUNS / 4) },
    );
  });

  it("builds odd but valid values: -0, unicode header values, regex metacharacters, long hosts", async () => {
    const source = dedent(`
      import { defineMesh } from "meshc";
      export default defineMesh({ name: "odd", services: {
        a: { ports: { http: { port: 80 } } },
        b: { ports: { http: { port: 80, targetPort: 8080 } }, versions: { v1: {}, v2: {} }, traffic: { retries: { attempts: -0 } } },
      }, external: { x: { host: "${"a".repeat(60)}.example.com" } } }, (s) => ({
        calls: [{ from: s.a, to: s.b.ports.http, paths: ["/ü/*", "/a b", "/(x)"] }, { from: s.a, to: s.x.ports.https }],
        routes: { b: { http: [
          { match: { headers: { "x-name": { exact: "Ünï \\"quoted\\" 名前" }, "x-re": { regex: "^(a|b)+$" } } }, to: [{ version: "v1", weight: 100 }, { version: "v2", weight: -0 }] },
          { to: "v2", fault: { abort: { httpStatus: 503, percent: -0 } } },
        ] } },
      }));
    `);
    const s = scratch({ "mesh.ts": source });
    try {
      const result = await buildMesh(s.file("mesh.ts"), { skipTypeCheck: true, stateDir, now: NOW });
      expect(show(result.diagnostics.filter((d) => d.code.startsWith("MESH9") || d.severity === "error"))).toEqual([]);
    } finally {
      s.dispose();
    }
  });
});

describe("the CLI on broken meshes", () => {
  const bin = path.join(repoRoot, "dist/bundle/meshc.js");
  it.skipIf(!fs.existsSync(bin))("exits 1 with diagnostics and no stack trace", () => {
    const s = scratch({ "mesh.ts": `import { defineMesh } from "meshc";\nexport default defineMesh({ name: "Bad_Name", services: { a: { ports: { http: { port: 1e308 } } } } } as any);\n` });
    try {
      const run = spawnSync(process.execPath, [bin, "check", s.file("mesh.ts")], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
      expect(run.status, run.stdout + run.stderr).toBe(1);
      expect(run.stdout + run.stderr).toMatch(/MESH0\d\d|MESH1\d\d/);
      expect(run.stdout + run.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    } finally {
      s.dispose();
    }
  });
});

