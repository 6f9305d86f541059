import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { compileMesh } from "../../compiler/compile.js";
import type { MeshIR } from "../../compiler/ir.js";
import { example, scratch } from "../../test/helpers/mesh.js";
import { shopMesh } from "../kubernetes/__fixtures__/shop.js";
import { moveDefaultNamespace } from "./namespace.js";

function compile(source: string): MeshIR {
  const s = scratch({ "mesh.ts": source });
  try {
    const result = compileMesh(s.file("mesh.ts"));
    if (!result.ir) throw new Error(result.diagnostics.map((d) => d.message).join("\n"));
    return result.ir;
  } finally {
    s.dispose();
  }
}

// The oracle is the compiler itself: the same mesh.ts declaring the other namespace. The names
// have equal lengths, so every span matches too.
describe("moveDefaultNamespace", () => {
  it.each([
    ["bookinfo", fs.readFileSync(example("bookinfo"), "utf8"), 'namespace: "bookinfo",', 'namespace: "shopdev1",', "shopdev1"],
    // Services in "payments" and a gateway in "edge" stay where the mesh put them.
    ["a mesh over three namespaces", shopMesh("registry-only"), 'namespace: "shop",', 'namespace: "mall",', "mall"],
  ])("%s: equals the IR of the mesh declaring the new namespace", (_, source, from, to, namespace) => {
    expect(source.split(from)).toHaveLength(2);
    const moved = moveDefaultNamespace(compile(source), namespace);
    expect(moved).toEqual(compile(source.replace(from, to)));
  });

  it("returns the IR itself when the namespace does not change", () => {
    const ir = compile(shopMesh("allow-any"));
    expect(moveDefaultNamespace(ir, "shop")).toBe(ir);
  });
});
