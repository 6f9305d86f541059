import { compileMesh } from "../../compile.js";
import { parse, type Command } from "../command.js";
import type { Io } from "../io.js";
import { exitCodeFor, parseFormat, printDiagnostics } from "../report.js";
import path from "node:path";

export const checkCommand: Command = {
  name: "check",
  summary: "Type-check and analyse a mesh; report problems",
  help: `Usage: meshc check [mesh.ts] [options]

Type-checks mesh.ts, validates its declarations and runs every check. Nothing is written.

Arguments:
  mesh.ts                 the mesh file (default: ./mesh.ts)

Options:
  --format <format>       text (default), json, sarif or github
  --strict                warnings fail the check too (exit 1)
  --no-color              never colour the output (NO_COLOR is honoured too)
  -h, --help              show this help

Exit codes: 0 no errors, 1 the mesh has errors (or warnings with --strict), 2 usage or internal error.
`,
  run(argv: readonly string[], io: Io) {
    const { values, positionals } = parse(argv, {
      format: { type: "string" },
      strict: { type: "boolean" },
      "no-color": { type: "boolean" },
    });
    if (values.help) {
      io.stdout(checkCommand.help);
      return 0;
    }
    const format = parseFormat(values.format);
    const entry = path.resolve(io.cwd, positionals[0] ?? "mesh.ts");
    const result = compileMesh(entry);
    printDiagnostics(io, result.diagnostics, format, result.sources.root, values["no-color"] ? false : undefined);
    const code = exitCodeFor(result.diagnostics, values.strict === true);
    if (format === "text" && code === 0) io.stdout(`${path.relative(io.cwd, entry) || entry}: ok (${result.ir?.services.length ?? 0} services, ${result.ir?.calls.length ?? 0} calls)\n`);
    return code;
  },
};
