// The editor is the manual: every field users can write in mesh.ts is documented, with an
// example, and every optional field says its default.
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./helpers/mesh.js";

function undocumented(file: string): string[] {
  const text = fs.readFileSync(path.join(repoRoot, file), "utf8");
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (node: ts.Node, inConditional: boolean) => {
    // `T extends { ports: infer P }` patterns are type plumbing, not fields a user writes.
    const conditional = inConditional || ts.isConditionalTypeNode(node);
    if (ts.isPropertySignature(node) && !conditional) {
      const tags = ts.getJSDocTags(node).map((t) => t.tagName.text);
      const missing = [
        ...(ts.getJSDocCommentsAndTags(node).length === 0 ? ["a comment"] : []),
        ...(node.questionToken && !tags.includes("default") ? ["@default"] : []),
        ...(!tags.includes("example") ? ["@example"] : []),
      ];
      if (missing.length > 0) out.push(`${file}:${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1} ${node.name.getText()} lacks ${missing.join(", ")}`);
    }
    ts.forEachChild(node, (child) => visit(child, conditional));
  };
  visit(sf, false);
  return out;
}

describe("the DSL's documentation", () => {
  it("covers every field with a comment, an example, and the default of optional ones", () => {
    const files = fs.readdirSync(path.join(repoRoot, "dsl")).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));
    expect(files.flatMap((f) => undocumented(`dsl/${f}`))).toEqual([]);
  });
});
