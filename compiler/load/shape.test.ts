// A file's shape decides whether watch mode re-checks only that file after an edit: two texts of one
// file with the same shape must be indistinguishable to every other file's types.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { defineMesh, ExternalMap, Mesh, MeshSpec, policy, PolicyFn, ServicesMap } from "../../dsl/index.js";
import { scratch } from "../../test/helpers/mesh.js";
import { closeNative, startNative, type NativeSession } from "./native.js";
import { typeShape } from "./shape.js";
import { MeshSources } from "./source.js";
import { meshTsconfigOptions } from "./typecheck.js";

const head = `import { defineMesh, policy, services } from "meshc";\nimport type { Services } from "./mesh.js";\n`;

/** Pairs of texts of one file: [before, after]. */
const cases: Record<string, readonly [string, string]> = {
  policyBody: [
    `${head}export const p = policy<Services>((s) => ({ calls: [{ from: s.a, to: s.b.ports.http, timeout: "2s" }] }));\n`,
    `${head}export const p = policy<Services>((s) => ({ calls: [{ from: s.a, to: s.b.ports.http, timeout: "3s" }] }));\n`,
  ],
  policyTypeArgument: [
    `${head}export const p = policy<Services>((s) => ({ calls: [] }));\n`,
    `${head}export const p = policy<Services, {}>((s) => ({ calls: [] }));\n`,
  ],
  policyInferred: [
    `${head}export const p = policy((s: any) => ({ calls: [] }));\n`,
    `${head}export const p = policy((s: any) => ({ calls: [1] }));\n`,
  ],
  defineMeshPolicies: [
    `${head}export default defineMesh({ name: "m", services: {} }, (s) => ({ calls: [] }));\n`,
    `${head}export default defineMesh({ name: "m", services: {} }, (s) => ({ calls: [] }), (s) => ({ ingress: [] }));\n`,
  ],
  defineMeshSpec: [
    `${head}export default defineMesh({ name: "m", services: {} }, (s) => ({ calls: [] }));\n`,
    `${head}export default defineMesh({ name: "n", services: {} }, (s) => ({ calls: [] }));\n`,
  ],
  aliased: [
    `import { policy as team } from "meshc";\nexport const p = team<{}>((s) => ({ calls: [] }));\n`,
    `import { policy as team } from "meshc";\nexport const p = team<{}>((s) => ({ ingress: [] }));\n`,
  ],
  inArrayAndSatisfies: [
    `${head}export const ps = [policy<Services>((s) => ({ calls: [] }))] satisfies unknown[];\n`,
    `${head}export const ps = [policy<Services>((s) => ({ routes: [] }))] satisfies unknown[];\n`,
  ],
  namespaceImport: [
    `import * as m from "meshc";\nexport const p = m.policy<{}>((s) => ({ calls: [] }));\n`,
    `import * as m from "meshc";\nexport const p = m.policy<{}>((s) => ({ ingress: [] }));\n`,
  ],
  otherModule: [
    `import { policy } from "./mesh.js";\nexport const p = policy<{}>((s) => ({ calls: [] }));\n`,
    `import { policy } from "./mesh.js";\nexport const p = policy<{}>((s) => ({ ingress: [] }));\n`,
  ],
  // A parameter of the same name anywhere: the file is not trusted to mean the DSL's function.
  redeclared: [
    `${head}const f = (policy: number) => policy;\nexport const p = policy<Services>((s) => ({ calls: [] }));\n`,
    `${head}const f = (policy: number) => policy;\nexport const p = policy<Services>((s) => ({ ingress: [] }));\n`,
  ],
  importedTwice: [
    `import { policy } from "meshc";\nimport { defineMesh as policy } from "meshc";\nexport const p = policy<{}>((s) => ({ calls: [] }));\n`,
    `import { policy } from "meshc";\nimport { defineMesh as policy } from "meshc";\nexport const p = policy<{}>((s) => ({ ingress: [] }));\n`,
  ],
  // Inside a function, a local could stand for anything: not left out.
  insideFunction: [
    `${head}export function make() {\n  return policy<Services>((s) => ({ calls: [] }));\n}\n`,
    `${head}export function make() {\n  return policy<Services>((s) => ({ ingress: [] }));\n}\n`,
  ],
  outsideTheCalls: [
    `${head}export const p = policy<Services>((s) => ({ calls: [] }));\n`,
    `${head}export const p = policy<Services>((s) => ({ calls: [] }));\nexport const q = 1;\n`,
  ],
};

// What leaving arguments out relies on, checked by `npm run typecheck`: each function has this one
// signature, whose result type the left-out arguments cannot reach. An overload, or another
// parameter or result type, fails here. (Whether a parameter is `NoInfer` this comparison cannot
// tell; the series of edits in native.test.ts edits defineMesh's policies.)
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
export const signatures: [Same<typeof policy, <S extends ServicesMap, X extends ExternalMap = {}>(fn: PolicyFn<S, X>) => PolicyFn<S, X>>, Same<typeof defineMesh, <S extends ServicesMap, X extends ExternalMap = {}>(spec: MeshSpec<S, X>, ...policies: readonly PolicyFn<NoInfer<S>, NoInfer<X>>[]) => Mesh<S, X>>] = [true, true];

let session: NativeSession;
let s: ReturnType<typeof scratch>;
const files: Record<string, string> = {};
for (const [name, [before, after]] of Object.entries(cases)) {
  files[`${name}-before.ts`] = before;
  files[`${name}-after.ts`] = after;
}

beforeAll(() => {
  // One checker for every case: an entry that imports them all brings each file into its program.
  s = scratch({
    ...files,
    "mesh.ts": `${Object.keys(files).map((f) => `import "./${f.replace(/\.ts$/, ".js")}";`).join("\n")}\nexport type Services = {};\nexport const policy = <T>(f: T) => f;\n`,
  });
  session = startNative(new MeshSources(s.file("mesh.ts")), meshTsconfigOptions());
});

afterAll(() => {
  closeNative(session);
  s.dispose();
});

const shape = (file: string) => {
  const tree = session.snapshot.getProject(session.configPath)!.program.getSourceFile(s.file(file));
  if (!tree) throw new Error(`no tree for ${file}`);
  return typeShape(tree);
};
const sameShape = (name: string) => shape(`${name}-before.ts`) === shape(`${name}-after.ts`);

describe("the shape of a file", () => {
  it("leaves out the body of policy<…>(…), with its type arguments written", () => {
    expect(sameShape("policyBody")).toBe(true);
    expect(sameShape("aliased")).toBe(true);
    expect(sameShape("inArrayAndSatisfies")).toBe(true);
    expect(sameShape("policyTypeArgument")).toBe(false);
    // Inferred from the function: its type is the function's.
    expect(sameShape("policyInferred")).toBe(false);
  });

  it("leaves out defineMesh's policies, not its spec", () => {
    expect(sameShape("defineMeshPolicies")).toBe(true);
    expect(sameShape("defineMeshSpec")).toBe(false);
  });

  it("leaves out nothing where the callee may not be the DSL's", () => {
    for (const name of ["namespaceImport", "otherModule", "redeclared", "importedTwice", "insideFunction"]) {
      expect(sameShape(name), name).toBe(false);
      // Nothing left out at all: the shape is the text.
      expect(shape(`${name}-before.ts`), name).toBe(cases[name]![0]);
    }
  });

  it("keeps everything outside those arguments", () => {
    expect(sameShape("outsideTheCalls")).toBe(false);
    expect(shape("policyBody-before.ts")).toBe(`${head}export const p = policy<Services>(\u0000);\n`);
  });
});
