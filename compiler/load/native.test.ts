// The native checker (TypeScript 7) must report what TypeScript 6 reports, at the same places:
// users see its diagnostics, and TypeScript 6 takes over where the native binary is missing.
import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { writeMesh } from "../../test/bench/generate.mjs";
import { compileMesh } from "../compile.js";
import { example, scratch, summarize } from "../../test/helpers/mesh.js";
import { OVERLAP_MAX_FILE, OVERLAP_MAX_SOURCE, overlapFits } from "./native.js";
import { createLoadCache, disposeLoadCache } from "./index.js";
import { MeshSources } from "./source.js";
import { createTypeCheckCache, disposeTypeCheckCache, typeCheck } from "./typecheck.js";

const bookinfo = fs.readFileSync(new URL("../../examples/bookinfo/mesh.ts", import.meta.url), "utf8");
const broken = bookinfo
  .replace("to: s.ratings.ports.http", "to: s.ratingz.ports.http")
  .replace(`to: "v2" }`, `to: "v9" }`)
  .replace(`timeout: "2s"`, `timeout: "5 seconds"`);

const saved = process.env.MESHC_TYPESCRIPT;
afterEach(() => {
  if (saved === undefined) delete process.env.MESHC_TYPESCRIPT;
  else process.env.MESHC_TYPESCRIPT = saved;
});

function checkWith(checker: "native" | "typescript", entry: string) {
  if (checker === "typescript") process.env.MESHC_TYPESCRIPT = "6";
  else delete process.env.MESHC_TYPESCRIPT;
  const result = typeCheck(new MeshSources(entry));
  expect(result.checker).toBe(checker);
  return result;
}

/** Both checkers on the same files: the same codes, messages, spans and user files. */
function same(files: Record<string, string>, entry = "mesh.ts") {
  const s = scratch(files);
  try {
    const native = checkWith("native", s.file(entry));
    const typescript = checkWith("typescript", s.file(entry));
    expect(native.diagnostics).toEqual(typescript.diagnostics);
    expect([...native.userFiles].sort()).toEqual([...typescript.userFiles].sort());
    return native;
  } finally {
    s.dispose();
  }
}

describe("the native type-checker", () => {
  it("reports a misspelt handle, an undeclared version and a malformed duration as TypeScript 6 does", () => {
    const r = same({ "mesh.ts": broken });
    expect(r.diagnostics.map((d) => `${d.code} ${d.span?.line}:${d.span?.column}-${d.span?.endLine}:${d.span?.endColumn}`)).toEqual([
      "TS2322 70:9-70:16",
      "TS2551 74:32-74:39",
      "TS2322 79:69-79:71",
    ]);
  });

  it("accepts a valid mesh", () => {
    expect(same({ "mesh.ts": bookinfo }).diagnostics).toEqual([]);
  });

  it("places errors after non-ASCII text and other line ends where TypeScript 6 does", () => {
    const r = same({
      "mesh.ts": `import { defineMesh } from "meshc";\r\n// café — 日本語 — 🚀🚀\r\nconst note = "é\u2028ü"; const n: number = "😀 not a number";\rexport default defineMesh({ name: "ünïcode", services: {}, trustDomain: 1 });\n`,
    });
    expect(r.diagnostics.map((d) => d.code)).toEqual(["TS2322", "TS2322"]);
  });

  it("checks the files a mesh imports, and names them", () => {
    const r = same({
      "mesh.ts": `import { defineMesh } from "meshc";\nimport { team } from "./teams/a.js";\nexport default defineMesh({ name: "m", services: team });\n`,
      "teams/a.ts": `export const team = {\n  a: { ports: { http: { port: 80 } } },\n};\nexport const retries: number = "3";\n`,
    });
    expect(r.diagnostics.map((d) => `${d.code} ${d.span?.file}:${d.span?.line}`)).toEqual(["TS2322 teams/a.ts:4"]);
    expect(r.userFiles.map((f) => f.slice(f.lastIndexOf("/meshc-test-")).replace(/^\/meshc-test-[^/]+\//, "")).sort()).toEqual(["mesh.ts", "teams/a.ts"]);
  });

  it("reports syntax errors alone, as TypeScript 6 does", () => {
    const r = same({ "mesh.ts": `import { defineMesh } from "meshc";\nexport default defineMesh({ name: "m", services: { ;\n` });
    expect(r.diagnostics.length).toBeGreaterThan(0);
    expect(r.diagnostics.every((d) => d.code.startsWith("TS1"))).toBe(true);
  });

  it("keeps running between checks and sees each edit (watch mode)", () => {
    delete process.env.MESHC_TYPESCRIPT;
    const s = scratch({ "mesh.ts": bookinfo, "other.ts": "export const x: number = 1;\n" });
    const cache = createTypeCheckCache();
    try {
      const sources = () => new MeshSources(s.file("mesh.ts"));
      expect(typeCheck(sources(), undefined, cache).diagnostics).toEqual([]);
      const session = cache.native;
      expect(session).toBeDefined();
      fs.writeFileSync(s.file("mesh.ts"), broken);
      const second = typeCheck(sources(), undefined, cache);
      expect(second.diagnostics.map((d) => d.code)).toEqual(["TS2322", "TS2551", "TS2322"]);
      // One file: checking it alone is checking everything, so no shapes are compared.
      expect(second.rechecked).toBeUndefined();
      expect(cache.native).toBe(session);
      fs.writeFileSync(s.file("mesh.ts"), bookinfo);
      expect(typeCheck(sources(), undefined, cache).diagnostics).toEqual([]);
    } finally {
      disposeTypeCheckCache(cache);
      s.dispose();
    }
    expect(cache.native).toBeUndefined();
  });

  it("is not kept between checks for a mesh over the size it would be run beside (a fresh one checks each edit)", () => {
    delete process.env.MESHC_TYPESCRIPT;
    const big = `${bookinfo}\n// ${"x".repeat(OVERLAP_MAX_FILE)}\n`;
    const s = scratch({ "mesh.ts": big });
    const cache = createTypeCheckCache();
    try {
      const sources = () => new MeshSources(s.file("mesh.ts"));
      const first = typeCheck(sources(), undefined, cache);
      expect(first.checker).toBe("native");
      expect(first.diagnostics).toEqual([]);
      expect(cache.native).toBeUndefined();
      // The next check still sees the edit, from a checker of its own.
      fs.writeFileSync(s.file("mesh.ts"), `${broken}\n// ${"x".repeat(OVERLAP_MAX_FILE)}\n`);
      const second = typeCheck(sources(), undefined, cache);
      expect(second.checker).toBe("native");
      expect(second.diagnostics.map((d) => d.code)).toEqual(["TS2322", "TS2551", "TS2322"]);
      expect(cache.native).toBeUndefined();
    } finally {
      disposeTypeCheckCache(cache);
      s.dispose();
    }
  });
});

describe("running the mesh beside the native checker", () => {
  /** A one-file mesh compiled beside the check and after it: both routes must say the same. */
  const bothRoutes = (source: string) => {
    delete process.env.MESHC_TYPESCRIPT;
    const s = scratch({ "mesh.ts": source });
    try {
      const beside = compileMesh(s.file("mesh.ts"));
      const after = compileMesh(s.file("mesh.ts"), { overlap: false });
      expect(beside.timings.overlapped).toBeGreaterThan(0);
      expect(summarize(beside)).toEqual(summarize(after));
      return { beside, after };
    } finally {
      s.dispose();
    }
  };

  const withMeanwhile = (entry: string) => {
    delete process.env.MESHC_TYPESCRIPT;
    const seen: string[] = [];
    const result = typeCheck(new MeshSources(entry), undefined, undefined, (trees) => {
      seen.push(...[...trees.keys()].map((f) => f.slice(f.lastIndexOf("/") + 1)));
      return "ran";
    });
    return { result, seen };
  };

  it("hands over the parsed files, and the checker's verdict is the plain check's", () => {
    const s = scratch({ "mesh.ts": broken, "other.ts": "export const x: number = 1;\n" });
    try {
      const { result, seen } = withMeanwhile(s.file("mesh.ts"));
      // The request went out ahead through the client's channel: if typescript-native's internals
      // change, this is where it shows (meshc would still be right, only slower).
      expect(result.meanwhile?.value).toBe("ran");
      expect(seen).toEqual(["mesh.ts"]);
      expect(result.diagnostics).toEqual(checkWith("native", s.file("mesh.ts")).diagnostics);
      expect(result.diagnostics).toEqual(checkWith("typescript", s.file("mesh.ts")).diagnostics);
      // Type errors: no trees for running the mesh afterwards.
      expect(result.trees).toBeUndefined();
    } finally {
      s.dispose();
    }
  });

  it("runs beside the check meshes under both size limits: of any one file, and of all together", () => {
    expect(overlapFits([OVERLAP_MAX_FILE, OVERLAP_MAX_SOURCE - OVERLAP_MAX_FILE])).toBe(true);
    expect(overlapFits([OVERLAP_MAX_FILE + 1])).toBe(false);
    expect(overlapFits([OVERLAP_MAX_FILE, OVERLAP_MAX_SOURCE - OVERLAP_MAX_FILE + 1])).toBe(false);
    expect(overlapFits(Array.from({ length: 41 }, () => 80_000))).toBe(true);
  });

  it("does not run it when a file does not parse, nor when the mesh is over the size it would be run beside", () => {
    const s = scratch({
      "mesh.ts": `import { defineMesh } from "meshc";\nexport default defineMesh({ name: "m", services: { ;\n`,
      // One file over the limit of a file, the mesh under the limit of all files together.
      "big.ts": `import { defineMesh } from "meshc";\n// ${"x".repeat(OVERLAP_MAX_FILE)}\nexport default defineMesh({ name: "m", services: {} });\n`,
      // Every file under the limit of a file, all of them over the limit together.
      "split.ts": `import { defineMesh } from "meshc";\nimport { a } from "./a.js";\nimport { b } from "./b.js";\nexport default defineMesh({ name: "m", services: { ...a, ...b } });\n`,
      "a.ts": `// ${"x".repeat(OVERLAP_MAX_SOURCE / 2)}\nexport const a = {};\n`,
      "b.ts": `// ${"x".repeat(OVERLAP_MAX_SOURCE / 2)}\nexport const b = {};\n`,
    });
    try {
      const syntax = withMeanwhile(s.file("mesh.ts"));
      expect(syntax.result.meanwhile).toBeUndefined();
      expect(syntax.result.diagnostics.length).toBeGreaterThan(0);
      const big = withMeanwhile(s.file("big.ts"));
      expect(big.result.meanwhile).toBeUndefined();
      expect(big.result.diagnostics).toEqual([]);
      expect(big.result.trees?.size).toBe(1);
      const split = withMeanwhile(s.file("split.ts"));
      expect(split.result.meanwhile).toBeUndefined();
      expect(split.result.diagnostics).toEqual([]);
      expect(split.result.trees?.size).toBe(3);
    } finally {
      s.dispose();
    }
  });

  it("compiles the examples to the same IR and diagnostics as running the mesh after the check", () => {
    delete process.env.MESHC_TYPESCRIPT;
    for (const name of ["bookinfo", "online-boutique"]) {
      const beside = compileMesh(example(name));
      const after = compileMesh(example(name), { overlap: false });
      // Validating, resolving and checking ran inside the window too (it spans all four).
      const t = beside.timings;
      expect(t.overlapped, name).toBeGreaterThanOrEqual(t.evaluate! + t.validate! + t.resolve! + t.checks!);
      expect(after.timings.overlapped, name).toBeUndefined();
      process.env.MESHC_OVERLAP = "0";
      try {
        expect(compileMesh(example(name)).timings.overlapped, name).toBeUndefined();
      } finally {
        delete process.env.MESHC_OVERLAP;
      }
      expect(JSON.stringify(beside.ir), name).toBe(JSON.stringify(after.ir));
      expect(beside.diagnostics, name).toEqual(after.diagnostics);
    }
  });

  it("reports schema and check errors as the plain route does", () => {
    const mesh = (ports: string) =>
      `import { defineMesh } from "meshc";\nexport default defineMesh({ name: "m", services: { a: { ports: ${ports} } } }, (s) => ({ ingress: [{ name: "public", routes: [{ to: s.a.ports.http }] }] }));\n`;
    const cases: [string, string][] = [
      [mesh("{ http: { port: 70000 } }"), "MESH106"], // the schema's
      [mesh("{ http: { port: 80 }, alt: { port: 80 } }"), "MESH108"], // a check's
    ];
    for (const [source, code] of cases) {
      const { beside, after } = bothRoutes(source);
      expect(beside.diagnostics.map((d) => d.code)).toEqual([code]);
      expect(JSON.stringify(beside.ir)).toBe(JSON.stringify(after.ir));
    }
  });

  it("reports a mesh's type errors, not what running it did", () => {
    // Runs (and throws) beside the check, but the type error is the verdict, as without overlap.
    const source = `import { defineMesh } from "meshc";\nconst n: number = "three";\nif (n) throw new Error("boom");\nexport default defineMesh({ name: "m", services: {} });\n`;
    expect(summarize(bothRoutes(source).beside)).toEqual([expect.stringMatching(/^TS2322 2:7 /)]);
  });
});

describe("watch mode's re-check of the edited file alone", () => {
  const shop = (body: string, services = `web: { ports: { http: { port: 8080 } } },\n  cart: { ports: { http: { port: 8080 } } },`) => `import { policy, services } from "meshc";
import type { Services } from "../mesh.js";

export const shop = services({
  ${services}
});

export const shopPolicy = policy<Services>((s) => ({
  calls: [${body}],
}));
`;
  const pay = `import { policy, services } from "meshc";
import type { Services } from "../mesh.js";

export const pay = services({ pay: { ports: { http: { port: 8080 } } } });

// Another team's services: an edit of shop's services is seen here.
export const payPolicy = policy<Services>((s) => ({
  calls: [{ from: s.cart, to: s.pay.ports.http, methods: ["POST"], timeout: "2s" }],
}));
`;
  const mesh = (ingress: string, name = "watched") => `import { defineMesh } from "meshc";
import { pay, payPolicy } from "./teams/pay.js";
import { shop, shopPolicy } from "./teams/shop.js";

const services = { ...shop, ...pay };
export type Services = typeof services;

export default defineMesh(
  { name: "${name}", namespace: "shop", services },
  (s) => ({ ingress: [{ name: "public", routes: [{ paths: ["/*"], to: ${ingress} }] }] }),
  shopPolicy,
  payPolicy,
);
`;
  const call = `{ from: s.web, to: s.cart.ports.http, methods: ["GET"], timeout: "2s" }`;

  // Each step: the file written, its text, and what is checked again: the edited file alone
  // (true), every file (false), or none ("none": the semantic diagnostics are the last check's).
  const steps: [string, string, boolean | "none"][] = [
    ["teams/shop.ts", shop(call.replace(`"2s"`, `"3s"`)), true],
    // A type error in the policy's body: that file's diagnostics change, and only they can.
    ["teams/shop.ts", shop(call.replace("s.cart", "s.kart")), true],
    ["teams/shop.ts", shop(call.replace(`"2s"`, `"two seconds"`)), true],
    ["teams/shop.ts", shop(call), true],
    // Renaming a service changes what other files see: pay's call to s.cart is now an error.
    ["teams/shop.ts", shop(call.replace("s.cart", "s.basket"), `web: { ports: { http: { port: 8080 } } },\n  basket: { ports: { http: { port: 8080 } } },`), false],
    ["teams/shop.ts", shop(call), false],
    // The entry's own policies are its own: only it can see them.
    ["mesh.ts", mesh("s.web.ports.grpc"), true],
    ["mesh.ts", mesh("s.web.ports.http"), true],
    ["mesh.ts", mesh("s.web.ports.http", "renamed"), false],
    // A syntax error stops the check before the semantic pass; the next is compared with the last
    // check that got that far. Back to its very text: nothing to check again.
    ["teams/pay.ts", pay.replace("calls: [", "calls: [[,"), false],
    ["teams/pay.ts", pay, "none"],
    ["teams/pay.ts", pay.replace(`"POST"`, `"PUT"`), true],
    ["teams/pay.ts", pay.replace(`"POST"`, `"PUT"`).replace("calls: [", "calls: [[,"), false],
    // Fixed, with another body than the last check's: the same shape.
    ["teams/pay.ts", pay.replace(`"POST"`, `"PATCH"`), true],
    ["teams/pay.ts", pay.replace("calls: [", "calls: [[,"), false],
    // Fixed, with a service renamed while it did not parse: not the same shape.
    ["teams/pay.ts", pay.replace("pay: { ports", "till: { ports").replace("s.pay.ports", "s.till.ports"), false],
    ["teams/pay.ts", pay.replace("pay: { ports", "till: { ports").replace("s.pay.ports", "s.till.ports").replace(`"POST"`, `"GET"`), true],
  ];

  it("reports what a fresh check reports, after each of a series of edits", () => {
    delete process.env.MESHC_TYPESCRIPT;
    const s = scratch({ "mesh.ts": mesh("s.web.ports.http"), "teams/shop.ts": shop(call), "teams/pay.ts": pay });
    const cache = createTypeCheckCache();
    try {
      const sources = () => new MeshSources(s.file("mesh.ts"));
      expect(typeCheck(sources(), undefined, cache).diagnostics).toEqual([]);
      const seen: string[] = [];
      for (const [i, [file, text, alone]] of steps.entries()) {
        fs.writeFileSync(s.file(file), text);
        const warm = typeCheck(sources(), undefined, cache);
        const fresh = typeCheck(sources());
        expect(warm.checker, `step ${i}`).toBe("native");
        expect(warm.diagnostics, `step ${i}`).toEqual(fresh.diagnostics);
        expect(warm.rechecked, `step ${i}`).toEqual(alone === "none" ? [] : alone ? [s.file(file)] : undefined);
        seen.push(...warm.diagnostics.map((d) => `${i} ${d.code} ${d.span?.file}:${d.span?.line}`));
      }
      // The series holds errors found by the edited file alone and by every file.
      expect(seen).toEqual([
        "1 TS2339 teams/shop.ts:10",
        "2 TS2322 teams/shop.ts:10",
        "4 TS2339 teams/pay.ts:8",
        "6 TS2339 mesh.ts:10",
        "9 TS1137 teams/pay.ts:9",
        "12 TS1137 teams/pay.ts:9",
        "14 TS1137 teams/pay.ts:9",
      ]);
    } finally {
      disposeTypeCheckCache(cache);
      s.dispose();
    }
  });

  it("reports what a fresh check reports, after random edits of a generated mesh", () => {
    delete process.env.MESHC_TYPESCRIPT;
    // The benchmark's mesh at 10 services: team-00's policy calls team-01's services, and the
    // entry's ingress routes to team-00's svc-00000.
    const s = scratch({});
    const entry = writeMesh(s.dir, { services: 10, layout: "teams" });
    const root = path.dirname(entry);
    const originals = new Map(["mesh.ts", "teams/team-00.ts", "teams/team-01.ts"].map((n) => [n, fs.readFileSync(path.join(root, n), "utf8")]));
    // Each edit is one change to a file's original text: in a policy, in the services, or neither.
    const team = (file: string, own: string, called: string): [string, (text: string, nth: number) => string][] => [
      [file, (text, nth) => text.replace(`timeout: "2s"`, `timeout: "${["1s", "3s", "250ms", "five seconds"][nth % 4]}"`)],
      [
        file,
        (text, nth) => {
          let k = 0;
          return text.replace(/s\["svc-\d+"\]/g, (m) => (k++ === nth % 8 ? `s["svc-00099"]` : m));
        },
      ],
      [file, (text) => text.replace("calls: [", "calls: [[,")],
      [file, (text) => text.replace("replicas: 2,", "replicas: 3,")],
      [file, (text) => text.replace(`"${own}": {`, `"${own}x": {`)],
      [file, (text) => text.replace(`"${called}": {`, `"${called}x": {`)],
      [file, (text) => text],
    ];
    const pool = [
      ...team("teams/team-00.ts", "svc-00001", "svc-00000"),
      ...team("teams/team-01.ts", "svc-00009", "svc-00006"),
      ["mesh.ts", (text: string) => text.replace(`paths: ["/b000/*"]`, `paths: ["/b000/*", "/extra/*"]`)],
      ["mesh.ts", (text: string) => text.replace(`to: s["svc-00000"]`, `to: s["svc-00090"]`)],
      ["mesh.ts", (text: string) => text.replace(`name: "bench"`, `name: "bench-2"`)],
      ["mesh.ts", (text: string) => text],
    ] as const;
    let alone = 0;
    try {
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.nat(pool.length - 1), fc.nat(40)), { minLength: 8, maxLength: 8 }), (series) => {
          for (const [n, text] of originals) fs.writeFileSync(path.join(root, n), text);
          const cache = createTypeCheckCache();
          try {
            typeCheck(new MeshSources(entry), undefined, cache);
            for (const [i, nth] of series) {
              const [file, change] = pool[i]!;
              fs.writeFileSync(path.join(root, file), change(originals.get(file)!, nth));
              const warm = typeCheck(new MeshSources(entry), undefined, cache);
              expect(warm.diagnostics, `${file}, change ${i}`).toEqual(typeCheck(new MeshSources(entry)).diagnostics);
              if (warm.rechecked?.length === 1) alone++;
            }
          } finally {
            disposeTypeCheckCache(cache);
          }
        }),
        { numRuns: 4, seed: 20261127 },
      );
    } finally {
      s.dispose();
    }
    // The series went through the one-file path, not only around it.
    expect(alone).toBeGreaterThan(0);
  });

  it("still runs the mesh beside the check when nothing is left to ask the checker", () => {
    delete process.env.MESHC_TYPESCRIPT;
    const s = scratch({ "mesh.ts": mesh("s.web.ports.http"), "teams/shop.ts": shop(call), "teams/pay.ts": pay });
    const cache = createLoadCache();
    try {
      const first = compileMesh(s.file("mesh.ts"), { cache });
      expect(summarize(first)).toEqual([]);
      fs.writeFileSync(s.file("teams/pay.ts"), pay.replace("calls: [", "calls: [[,"));
      expect(summarize(compileMesh(s.file("mesh.ts"), { cache }))).toEqual([expect.stringMatching(/^TS1137 9:/)]);
      fs.writeFileSync(s.file("teams/pay.ts"), pay);
      const again = compileMesh(s.file("mesh.ts"), { cache });
      expect(summarize(again)).toEqual([]);
      expect(again.timings.overlapped).toBeGreaterThan(0);
      expect(JSON.stringify(again.ir)).toBe(JSON.stringify(first.ir));
    } finally {
      disposeLoadCache(cache);
      s.dispose();
    }
  });

  it("transpiles every file of the mesh before it runs, a file of types only too, to the modules each gives alone", () => {
    delete process.env.MESHC_TYPESCRIPT;
    const types = "export interface Owner {\n  readonly team: string;\n}\n";
    // Over one request's worth of text on its own: the files go to esbuild in several requests.
    const blob = `export const blob = "${"x".repeat(600 * 1024)}";\n`;
    const s = scratch({
      "mesh.ts": `import type { Owner } from "./owner.js";\nimport { blob } from "./blob.js";\nexport const owner: Owner = { team: "shop" };\nexport const size = blob.length;\n${mesh("s.web.ports.http")}`,
      "teams/shop.ts": shop(call),
      "teams/pay.ts": pay,
      "owner.ts": types,
      "blob.ts": blob,
    });
    const cache = createLoadCache();
    try {
      const ahead = compileMesh(s.file("mesh.ts"), { cache });
      expect(summarize(ahead)).toEqual([]);
      // owner.ts never runs (its import is erased), so only a compile ahead of the run has it.
      expect([...cache.transpiled.keys()].map((f) => path.relative(s.dir, f)).sort()).toEqual(["blob.ts", "mesh.ts", "owner.ts", "teams/pay.ts", "teams/shop.ts"]);
      // Without a type-check the files are transpiled one by one, as the imports reach them.
      const alone = createLoadCache();
      const one = compileMesh(s.file("mesh.ts"), { cache: alone, skipTypeCheck: true });
      expect([...alone.transpiled.keys()].map((f) => path.relative(s.dir, f)).sort()).toEqual(["blob.ts", "mesh.ts", "teams/pay.ts", "teams/shop.ts"]);
      for (const [file, { unit }] of alone.transpiled) expect(cache.transpiled.get(file)!.unit.code, file).toBe(unit.code);
      expect(JSON.stringify(one.ir)).toBe(JSON.stringify(ahead.ir));
    } finally {
      disposeLoadCache(cache);
      s.dispose();
    }
  });
});
