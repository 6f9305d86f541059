import fs from "node:fs";
import path from "node:path";
import { compileMesh } from "../../compile.js";
import { formatText } from "../../format/text.js";
import { toHtml } from "../../graph/html.js";
import { meshGraph } from "../../graph/model.js";
import { toDot, toMermaid, toSvg } from "../../graph/render.js";
import { parse, type Command } from "../command.js";
import { UsageError, useColor, type Io } from "../io.js";

const GRAPH_FORMATS = ["mermaid", "dot", "svg", "html"] as const;
type GraphFormat = (typeof GRAPH_FORMATS)[number];

export const graphCommand: Command = {
  name: "graph",
  help: `Usage: meshc graph [mesh.ts] [options]

Draws the mesh: services grouped by namespace, external hosts, ingress gateways, and every
allowed call or ingress route as an edge labelled with its port and what it allows.

Arguments:
  mesh.ts                 the mesh file (default: ./mesh.ts)

Options:
  --format <format>       mermaid (default), dot, svg (laid out offline by Graphviz in
                          WebAssembly) or html (a self-contained page: hover or click a service
                          or a call to see its policy)
  --out <file>            write to a file instead of standard output
  -h, --help              show this help

Exit codes: 0 drawn, 1 the mesh does not load, 2 usage or internal error.
`,
  async run(argv: readonly string[], io: Io) {
    const { values, positionals } = parse(argv, { format: { type: "string" }, out: { type: "string" }, "no-color": { type: "boolean" } });
    if (values.help) {
      io.stdout(graphCommand.help);
      return 0;
    }
    const format = (values.format ?? "mermaid") as GraphFormat;
    if (!GRAPH_FORMATS.includes(format)) throw new UsageError(`unknown --format "${format}"; use one of ${GRAPH_FORMATS.join(", ")}`);
    if (positionals.length > 1) throw new UsageError("give at most one mesh file");
    const entry = path.resolve(io.cwd, positionals[0] ?? "mesh.ts");
    const result = compileMesh(entry);
    if (!result.ir) {
      io.stderr(formatText(result.diagnostics, { root: result.sources.root, cwd: io.cwd, color: useColor(io, values["no-color"] ? false : undefined) }) + "\n");
      return 1;
    }
    const graph = meshGraph(result.ir);
    const text =
      format === "mermaid" ? toMermaid(graph) + "\n" : format === "dot" ? toDot(graph) + "\n" : format === "svg" ? await toSvg(graph) : await toHtml(graph);
    if (values.out) {
      const out = path.resolve(io.cwd, values.out);
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, text);
    } else io.stdout(text);
    return 0;
  },
};
