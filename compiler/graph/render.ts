/**
 * Renders a {@link MeshGraph} as Mermaid, Graphviz DOT, and SVG (DOT laid out by Graphviz compiled
 * to WebAssembly, so it works offline and needs no system Graphviz).
 */
import type { GraphNode, MeshGraph } from "./model.js";

/** Mermaid label text: quotes and angle brackets as entities. */
const mermaidText = (s: string) => s.replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;");

export function toMermaid(graph: MeshGraph): string {
  const out = ["flowchart LR"];
  const shape = (n: GraphNode) => {
    const t = mermaidText(n.label);
    return n.kind === "external" ? `${n.id}(["${t}"])` : n.kind === "ingress" ? `${n.id}[/"${t}"/]` : n.kind === "any" ? `${n.id}{{"${t}"}}` : `${n.id}["${t}"]`;
  };
  graph.groups.forEach((group, i) => {
    out.push(`  subgraph g${i}["${mermaidText(group)}"]`);
    for (const n of graph.nodes.filter((x) => x.group === group)) out.push(`    ${shape(n)}`);
    out.push("  end");
  });
  for (const e of graph.edges) out.push(`  ${e.from} -->|"${mermaidText(e.label)}"| ${e.to}`);
  return out.join("\n");
}

/** A DOT string literal. */
const dotString = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;

const tooltip = (details: GraphNode["details"]) => details.map(([k, v]) => `${k}: ${v}`).join("\n");

/**
 * Nodes from which Graphviz's placement is bounded: `nslimit=2`, at most 2 × nodes iterations of
 * the network simplex that places nodes across ranks (unbounded by default). That search was most
 * of the layout's time on large meshes: measured with the bench's team meshes, 3.7 MB of SVG at
 * 1,000 services took 29.8 s to lay out unbounded and 4.6 s bounded, 304 nodes 2.4 and 1.1 s.
 * The drawing is as readable (the nodes' places across ranks move, not their ranks); smaller
 * graphs, cheap to lay out in full, are left as they were.
 */
export const BOUNDED_LAYOUT_FROM = 200;

/**
 * Nodes from which calls' labels are external (`xlabel`), placed beside their edges once the
 * layout is done. A `label` is a node of its own in every rank the edge crosses, which the layout
 * must order and place: on the bench's team meshes, 1,000 services took 2.3 s to lay out with
 * them and 1.2 s without, 2,000 services 18.0 and 3.7 s, 5,000 services 111 and 13.6 s (where
 * routing around those nodes also lost 3 of 14,750 edges). Below this, labels keep their own room.
 */
export const EXTERNAL_LABELS_FROM = 1000;

export function toDot(graph: MeshGraph): string {
  const bounded = graph.nodes.length >= BOUNDED_LAYOUT_FROM ? ", nslimit=2" : "";
  const out = [
    `digraph ${dotString(graph.name)} {`,
    `  graph [rankdir=LR, fontname=Helvetica, fontsize=12, nodesep=0.35, ranksep=0.9, compound=true${bounded}];`,
    "  node [fontname=Helvetica, fontsize=11, shape=box, style=\"rounded,filled\", fillcolor=\"#eef4ff\", color=\"#4a6fa5\"];",
    "  edge [fontname=Helvetica, fontsize=9, color=\"#57606a\", fontcolor=\"#24292f\"];",
  ];
  const attrs = (n: GraphNode) => {
    const base = `id=${dotString(n.id)}, label=${dotString(n.label)}, tooltip=${dotString(tooltip(n.details))}`;
    switch (n.kind) {
      case "external":
        return `${base}, shape=ellipse, fillcolor="#fff4e5", color="#b76e00"`;
      case "ingress":
        return `${base}, shape=cds, fillcolor="#e9f7ef", color="#1a7f37"`;
      case "any":
        return `${base}, shape=hexagon, fillcolor="#ffebe9", color="#cf222e"`;
      case "service":
        return base;
    }
  };
  graph.groups.forEach((group, i) => {
    out.push(`  subgraph cluster_${i} {`, `    id=${dotString(`g${i}`)}; label=${dotString(group)}; style="rounded,dashed"; color="#8c959f";`);
    for (const n of graph.nodes.filter((x) => x.group === group)) out.push(`    ${n.id} [${attrs(n)}];`);
    out.push("  }");
  });
  const labelAttr = graph.nodes.length >= EXTERNAL_LABELS_FROM ? "xlabel" : "label";
  for (const e of graph.edges) out.push(`  ${e.from} -> ${e.to} [id=${dotString(e.id)}, ${labelAttr}=${dotString(e.label)}, tooltip=${dotString(tooltip(e.details))}];`);
  out.push("}");
  return out.join("\n");
}

/** What {@link toSvg} needs of `@viz-js/viz`'s instance (a test stands in for it). */
export interface GraphvizRenderer {
  render(dot: string, options: { format: "svg"; engine: "dot"; graphAttributes?: Record<string, string> }): { status: "success" | "failure"; output?: string; errors: readonly { level?: string; message: string }[] };
}

/**
 * Layouts tried in turn until every node and call is in the drawing. Graphviz routes each edge's
 * spline around the nodes it passes, and where that fails (on large meshes: "triangulation
 * failed") it leaves the edge out and still succeeds, so a call would silently vanish from the
 * picture a reviewer reads. Straight edges (`splines=line`) need no routing.
 */
const LAYOUTS: readonly Record<string, string>[] = [{}, { splines: "line" }];

/** Lays the graph out with Graphviz (WebAssembly) and returns the SVG document. */
export async function toSvg(graph: MeshGraph, renderer?: GraphvizRenderer): Promise<string> {
  const viz: GraphvizRenderer = renderer ?? (await (await import("@viz-js/viz")).instance());
  const dot = toDot(graph);
  let missing: string[] = [];
  for (const graphAttributes of LAYOUTS) {
    const result = quietly(() => viz.render(dot, { format: "svg", engine: "dot", graphAttributes }));
    if (result.status !== "success" || result.output === undefined) {
      throw new Error(`Graphviz could not draw the graph: ${result.errors.map((e) => e.message).join("; ") || "no reason given"}`);
    }
    missing = missingFrom(result.output, graph);
    if (missing.length === 0) return result.output;
  }
  throw new Error(`Graphviz left ${missing.length} of the mesh's nodes and calls out of the drawing (${missing.slice(0, 5).join(", ")}); use --format dot or mermaid`);
}

/**
 * Runs a synchronous render with console.error held. @viz-js/viz 3.31 collects Graphviz's
 * messages into its result, but its module then rebinds the function that collects stderr to
 * console.error, so Graphviz's own lines ("lib/pathplan/shortest.c:333: triangulation failed")
 * were printed over meshc's output. What they report is checked by {@link missingFrom} instead.
 */
function quietly<T>(render: () => T): T {
  const error = console.error;
  console.error = () => {};
  try {
    return render();
  } finally {
    console.error = error;
  }
}

/** The labels of the nodes and calls whose ids Graphviz did not draw (each is a `<g id=…>`). */
export function missingFrom(svg: string, graph: MeshGraph): string[] {
  const drawn = new Set<string>();
  for (const m of svg.matchAll(/<g id="([^"]*)" class="(?:node|edge)"/g)) drawn.add(m[1]!);
  const labels = new Map(graph.nodes.map((n) => [n.id, n.label]));
  return [
    ...graph.nodes.filter((n) => !drawn.has(n.id)).map((n) => n.label),
    ...graph.edges.filter((e) => !drawn.has(e.id)).map((e) => `${labels.get(e.from) ?? e.from} → ${labels.get(e.to) ?? e.to} ${e.label}`),
  ];
}
