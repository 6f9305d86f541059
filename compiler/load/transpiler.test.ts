// The loader's esbuild runs in a worker thread (transpiler.ts). Whatever route a transform takes
// (the worker, or esbuild on this thread when the worker cannot load it), it must give what
// esbuild's own transformSync gives, and fail as it fails.
import * as esbuild from "esbuild";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { restartTranspiler, transform, transformAll, transpilerRunning } from "./transpiler.js";

const OPTIONS: esbuild.TransformOptions = { loader: "ts", format: "cjs", target: "es2022", sourcefile: "/mesh/mesh.ts", logLevel: "silent" };
const SOURCE = `import { defineMesh } from "meshc";\nconst port: number = 8080;\nexport default defineMesh({ name: "shop", port } as const);\n`;

afterAll(() => restartTranspiler());

describe.each([
  ["the worker", undefined],
  ["esbuild on the calling thread (the worker cannot load esbuild)", "/nonexistent/esbuild/lib/main.js"],
])("transform through %s", (_route, esbuildPath) => {
  it("gives esbuild's code and source map, and fails where esbuild fails", () => {
    restartTranspiler(esbuildPath);
    const expected = esbuild.transformSync(SOURCE, OPTIONS);
    expect(transform(SOURCE, OPTIONS)).toEqual({ code: expected.code, map: "" });
    const mapped = esbuild.transformSync(SOURCE, { ...OPTIONS, sourcemap: "external" });
    expect(transform(SOURCE, { ...OPTIONS, sourcemap: "external" })).toEqual({ code: mapped.code, map: mapped.map });
    expect(() => esbuild.transformSync("const = ;", OPTIONS)).toThrow();
    expect(() => transform("const = ;", OPTIONS)).toThrow(/Expected identifier/);
    // The worker's route keeps its worker after esbuild's error; the other never had one serving.
    expect(transpilerRunning()).toBe(true);
  });

  it("answers a batch in order, an input esbuild rejects with its error and the others all the same", () => {
    restartTranspiler(esbuildPath);
    const inputs = Array.from({ length: 20 }, (_, i) => (i === 7 ? "const = ;" : `export const n${i}: number = ${i};`));
    const out = transformAll(inputs.map((input) => ({ input, options: OPTIONS })));
    expect(out[7]).toEqual({ error: expect.stringMatching(/Expected identifier/) });
    expect(out.filter((_, i) => i !== 7)).toEqual(inputs.filter((_, i) => i !== 7).map((input) => ({ code: esbuild.transformSync(input, OPTIONS).code, map: "" })));
  });
});

/** Runs `fn` with the worker loading a stand-in for esbuild whose `transform` rejects with `message`. */
function withFailingEsbuild(message: string, fn: () => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "meshc-transpiler-"));
  const fake = path.join(dir, "esbuild.cjs");
  fs.writeFileSync(fake, `exports.transform = () => Promise.reject(new Error(${JSON.stringify(message)}));\n`);
  try {
    restartTranspiler(fake);
    fn();
  } finally {
    restartTranspiler();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("transform when esbuild's process dies in the worker", () => {
  it("goes to the main thread from then on, with esbuild's output", () => {
    // A stand-in for esbuild whose service has stopped, as esbuild reports it.
    withFailingEsbuild("The service was stopped: killed", () => {
      const expected = esbuild.transformSync(SOURCE, OPTIONS).code;
      expect(transform(SOURCE, OPTIONS).code).toBe(expected);
      expect(transform(SOURCE, OPTIONS).code).toBe(expected);
      // esbuild's own errors still reach the caller.
      expect(() => transform("const = ;", OPTIONS)).toThrow(/Expected identifier/);
    });
  });

  it("passes on an error of the transform itself", () => {
    withFailingEsbuild("Transform failed with 1 error", () => {
      expect(() => transform(SOURCE, OPTIONS)).toThrow(/Transform failed with 1 error/);
    });
  });
});
