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
  for (const e of graph.edges) out.push(`  ${e.from} -> ${e.to} [id=${dotString(e.id)}, label=${dotString(e.label)}, tooltip=${dotString(tooltip(e.details))}];`);
  out.push("}");
  return out.join("\n");
}

/** Lays the graph out with Graphviz (WebAssembly) and returns the SVG document. */
export async function toSvg(graph: MeshGraph): Promise<string> {
  const { instance } = await import("@viz-js/viz");
  const viz = await instance();
  return viz.renderString(toDot(graph), { format: "svg", engine: "dot" });
}
