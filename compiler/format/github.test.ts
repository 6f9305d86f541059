import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../diagnostics.js";
import { escapeData, escapeProperty, formatGithub } from "./github.js";

const span = (file: string, line: number, column: number, endLine = line, endColumn = column + 4) => ({ file, line, column, endLine, endColumn });

describe("formatGithub", () => {
  it("escapes data and properties as the Actions runner expects", () => {
    expect(escapeData("50% done\r\nnext: a, b")).toBe("50%25 done%0D%0Anext: a, b");
    expect(escapeProperty("teams/a,b:c.ts 100%")).toBe("teams/a%2Cb%3Ac.ts 100%25");
  });

  it("prints one workflow command per diagnostic, located relative to the repository", () => {
    const diagnostics: Diagnostic[] = [
      {
        code: "MESH101",
        name: "DuplicateName",
        severity: "error",
        message: 'Duplicate ingress "public".',
        span: span("teams/web,shop.ts", 3, 5),
        hint: "Rename one of them; 100% of objects collide.",
        related: [{ message: "First declared here.", span: span("mesh.ts", 1, 1) }],
      },
      { code: "MESH116", name: "WildcardAllow", severity: "warning", message: "Any service may call it.", span: span("mesh.ts", 7, 9, 8, 2) },
      { code: "MESH122", name: "CallCycle", severity: "info", message: 'Calls form a cycle: "a" → "a".', span: span("mesh.ts", 9, 1) },
      { code: "MESH001", name: "EntryNotFound", severity: "error", message: 'Cannot read mesh file "nope.ts".' },
    ];
    expect(formatGithub(diagnostics, { root: "/repo/deploy", cwd: "/elsewhere", repo: "/repo" }).split("\n")).toEqual([
      "::error file=deploy/teams/web%2Cshop.ts,line=3,col=5,endLine=3,endColumn=9,title=MESH101::Duplicate ingress \"public\".%0ARename one of them; 100%25 of objects collide.%0Adeploy/mesh.ts:1:1: First declared here.",
      "::warning file=deploy/mesh.ts,line=7,col=9,endLine=8,endColumn=2,title=MESH116::Any service may call it.",
      '::notice file=deploy/mesh.ts,line=9,col=1,endLine=9,endColumn=5,title=MESH122::Calls form a cycle: "a" → "a".',
      '::error title=MESH001::Cannot read mesh file "nope.ts".',
    ]);
  });
});
