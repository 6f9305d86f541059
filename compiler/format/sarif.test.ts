import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type * as Sarif from "sarif";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dedent } from "../checks/harness.js";
import { allEntries } from "../codes.js";
import { compileMesh } from "../compile.js";
import { formatSarif } from "./sarif.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const examples = fs
  .readdirSync(path.join(repo, "examples"))
  .filter((d) => fs.existsSync(path.join(repo, "examples", d, "mesh.ts")))
  .sort();

/** A mesh with several problems: related locations, a hint with parameters, errors, warnings and an info. */
const SEVERAL = `
  import { defineMesh, anyService } from "meshc";
  export default defineMesh(
    { name: "shop", defaults: { egress: "allow-any" }, services: {
      web: { serviceAccount: "shop", ports: { http: { port: 80 } } },
      api: { serviceAccount: "shop", ports: { http: { port: 80 }, metrics: { port: 80, mtls: "permissive" } }, versions: { v1: {}, v2: {} } },
    } },
    (s) => ({
      calls: [
        { from: anyService, to: s.web.ports.http },
        { from: s.web, to: s.api.ports.http, timeout: "1s", retries: { attempts: 2, perTryTimeout: "1s" } },
        { from: s.api, to: s.web.ports.http, methods: ["GET"] },
      ],
      routes: { api: { http: [{ to: [{ version: "v1", weight: 60 }, { version: "v2", weight: 60 }] }] } },
    }),
  );
`;

let dir: string;
beforeAll(() => {
  // A repository of its own, so URIs are relative to it as they are in a user's checkout.
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "meshc-sarif-"));
  fs.mkdirSync(path.join(dir, ".git"));
  fs.mkdirSync(path.join(dir, "mesh"));
  fs.writeFileSync(path.join(dir, "mesh", "several.ts"), dedent(SEVERAL));
  fs.writeFileSync(path.join(dir, "mesh", "typo.ts"), 'import { defineMesh } from "meshc";\nexport default defineMesh({ name: "m", services: { a: { ports: { http: { port: "80" } } } } });\n');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function sarifOf(file: string, options: { skipTypeCheck?: boolean } = {}): Sarif.Log {
  const result = compileMesh(file, options);
  return JSON.parse(formatSarif(result.diagnostics, { root: result.sources.root, cwd: dir })) as Sarif.Log;
}

describe("formatSarif", () => {
  it("describes every catalogue entry as a rule and locates results relative to the repository root", () => {
    const log = sarifOf(path.join(dir, "mesh", "several.ts"), { skipTypeCheck: true });
    const run = log.runs[0]!;
    expect(log.version).toBe("2.1.0");
    expect(run.tool.driver.name).toBe("meshc");
    expect(run.tool.driver.rules!.map((r) => r.id)).toEqual(allEntries.map((e) => e.code));
    for (const r of run.tool.driver.rules!) {
      expect(r.shortDescription?.text).toBeTruthy();
      expect(r.fullDescription?.text).toBeTruthy();
      expect(r.help?.text).toBeTruthy();
      expect(["error", "warning", "note"]).toContain(r.defaultConfiguration?.level);
    }
    const rows = run.results!.map((r) => {
      const loc = r.locations![0]!.physicalLocation!;
      return `${r.level} ${r.ruleId} ${loc.artifactLocation!.uriBaseId} ${loc.artifactLocation!.uri}:${loc.region!.startLine}:${loc.region!.startColumn}-${loc.region!.endLine}:${loc.region!.endColumn} related=${r.relatedLocations?.length ?? 0}`;
    });
    expect(rows).toEqual([
      "warning MESH118 %SRCROOT% mesh/several.ts:3:19-3:52 related=0",
      "warning MESH117 %SRCROOT% mesh/several.ts:5:12-5:34 related=1",
      "error MESH108 %SRCROOT% mesh/several.ts:5:65-5:106 related=1",
      "warning MESH115 %SRCROOT% mesh/several.ts:5:86-5:104 related=0",
      "warning MESH116 %SRCROOT% mesh/several.ts:9:9-9:25 related=0",
      "warning MESH114 %SRCROOT% mesh/several.ts:10:83-10:102 related=1",
      "note MESH122 %SRCROOT% mesh/several.ts:11:7-11:62 related=1",
      "error MESH104 %SRCROOT% mesh/several.ts:13:31-13:97 related=0",
    ]);
  });

  it("passes Microsoft's SARIF validator with no errors, for every example and for meshes with problems", () => {
    const out = path.join(dir, "out");
    fs.mkdirSync(out);
    const logs: Record<string, Sarif.Log> = {
      ...Object.fromEntries(examples.map((e) => [e, sarifOf(path.join(repo, "examples", e, "mesh.ts"))])),
      several: sarifOf(path.join(dir, "mesh", "several.ts"), { skipTypeCheck: true }),
      typo: sarifOf(path.join(dir, "mesh", "typo.ts")),
      missing: sarifOf(path.join(dir, "mesh", "missing.ts")),
    };
    expect(logs.several!.runs[0]!.results!.length).toBeGreaterThan(5);
    expect(logs.typo!.runs[0]!.results!.map((r) => r.ruleId)).toEqual(["TS2322"]);
    expect(logs.missing!.runs[0]!.results!.map((r) => [r.ruleId, r.locations])).toEqual([["MESH001", undefined]]);
    const files = Object.entries(logs).map(([name, log]) => {
      const file = path.join(out, `${name}.sarif`);
      fs.writeFileSync(file, JSON.stringify(log, null, 2));
      return file;
    });
    const report = path.join(out, "validation.sarif");
    execFileSync(multitool(), ["validate", ...files, "--output", report, "--level", "Error", "Warning", "Note", "--kind", "Fail"], {
      stdio: "pipe",
      timeout: 120_000,
      // The validator needs no culture data; without ICU installed, .NET would refuse to start.
      env: { ...process.env, DOTNET_SYSTEM_GLOBALIZATION_INVARIANT: "1" },
    });
    const findings = (JSON.parse(fs.readFileSync(report, "utf8")) as Sarif.Log).runs.flatMap((r) => r.results ?? []);
    const serious = findings.filter((f) => (f.level ?? "warning") !== "note").map((f) => `${f.level ?? "warning"} ${f.ruleId}: ${f.message.text ?? f.message.id}`);
    // SARIF2005 asks for `informationUri`, which needs a homepage in package.json.
    expect(serious.filter((f) => !f.includes("SARIF2005"))).toEqual([]);
    expect(findings.length, "the validator ran and reported its notes").toBeGreaterThan(0);
  });
});

/**
 * The validator's .NET binary. Its package's postinstall makes it executable, but npm ≥ 11 gates
 * install scripts, so do it here when it was skipped.
 */
function multitool(): string {
  const binary = createRequire(import.meta.url)(`@microsoft/sarif-multitool-${process.platform}`) as string;
  if ((fs.statSync(binary).mode & 0o100) === 0) fs.chmodSync(binary, 0o755);
  return binary;
}
