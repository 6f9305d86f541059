import path from "node:path";
import { buildMesh } from "../../build.js";
import { OUTPUT_LAYOUTS, unsafeOutDir, type OutputLayout } from "../../writer.js";
import { targets } from "../../../targets/index.js";
import { listOption, parse, type Command } from "../command.js";
import { UsageError, type Io } from "../io.js";
import { exitCodeFor, parseFormat, printDiagnostics, printTimings } from "../report.js";

export const buildCommand: Command = {
  name: "build",
  get help() {
    return `Usage: meshc build [mesh.ts] [options]

Compiles mesh.ts for the chosen targets and writes out/<target>/<namespace>/resources.yaml (the
namespace's objects; those holding private keys in secrets.yaml), a kustomization.yaml per target
and out/manifest.json. Nothing is written when the mesh has errors; the output folder is replaced
atomically.

Arguments:
  mesh.ts                 the mesh file (default: ./mesh.ts)

Options:
  --target <name>         ${["all", ...targets.map((t) => t.name)].join(", ")} (default: all);
                          repeat it or separate names with commas
  --out <dir>             output folder (default: out)
  --layout <layout>       namespace: one file of objects per target and namespace (default);
                          object: one file per object, <target>/<namespace>/<kind>-<name>.yaml
  --state-dir <dir>       where the certificate authority is kept (default: .meshc next to mesh.ts)
  --include-secrets       also write Secret manifests holding private keys (0600)
  --format <format>       how to print diagnostics: text (default), json, sarif or github
  --strict                warnings (including features a target cannot express) fail the build
  --no-color              never colour the output
  --timings               print how long each phase took, to stderr
  -h, --help              show this help

Targets:
${targets.map((t) => `  ${t.name.padEnd(22)}  ${t.description}`).join("\n")}
`;
  },
  async run(argv: readonly string[], io: Io) {
    const { values, positionals } = parse(argv, {
      target: { type: "string", multiple: true },
      out: { type: "string" },
      layout: { type: "string" },
      "state-dir": { type: "string" },
      "include-secrets": { type: "boolean" },
      format: { type: "string" },
      strict: { type: "boolean" },
      "no-color": { type: "boolean" },
      timings: { type: "boolean" },
    });
    if (values.help) {
      io.stdout(buildCommand.help);
      return 0;
    }
    const format = parseFormat(values.format);
    const requested = listOption(values.target);
    const names = requested.length === 0 || requested.includes("all") ? [] : requested;
    for (const n of names) {
      if (!targets.some((t) => t.name === n)) throw new UsageError(`unknown target "${n}"; use one of all, ${targets.map((t) => t.name).join(", ")}`);
    }
    const layout = values.layout ?? "namespace";
    if (!(OUTPUT_LAYOUTS as readonly string[]).includes(layout)) throw new UsageError(`unknown layout "${layout}"; use one of ${OUTPUT_LAYOUTS.join(", ")}`);
    const entry = path.resolve(io.cwd, positionals[0] ?? "mesh.ts");
    const outDir = path.resolve(io.cwd, values.out ?? "out");
    const unsafe = unsafeOutDir(outDir);
    if (unsafe) throw new UsageError(unsafe);
    const t0 = performance.now();
    const result = await buildMesh(entry, {
      targets: names,
      outDir,
      layout: layout as OutputLayout,
      ...(values["state-dir"] ? { stateDir: path.resolve(io.cwd, values["state-dir"]) } : {}),
      ...(values["include-secrets"] ? { includeSecrets: true } : {}),
      strict: values.strict === true,
    });
    const totalMs = performance.now() - t0;
    printDiagnostics(io, result.diagnostics, format, result.compiled.sources.root, values["no-color"] ? false : undefined);
    if (values.timings) printTimings(io, "build", result.timings, totalMs);
    const code = exitCodeFor(result.diagnostics, values.strict === true);
    if (result.ok && result.written && format === "text") {
      io.stdout(`Wrote ${result.written.files} files (${result.written.bytes} bytes) to ${path.relative(io.cwd, outDir) || "."}\n`);
    }
    return result.ok ? code : Math.max(code, 1);
  },
};
