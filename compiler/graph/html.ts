/**
 * A self-contained HTML page of the mesh: the Graphviz SVG inline, services grouped by namespace,
 * and a panel showing the policy details of whatever node or edge is hovered or clicked. No
 * network: every byte of CSS, JS and data is in the page.
 */
import type { MeshGraph } from "./model.js";
import { toSvg } from "./render.js";

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** JSON that is safe inside a `<script>` element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");

const STYLE = `
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1f2328; background: #f6f8fa; display: grid; grid-template-columns: 1fr 340px; grid-template-rows: auto 1fr; height: 100vh; }
header { grid-column: 1 / 3; padding: 10px 16px; background: #fff; border-bottom: 1px solid #d0d7de; display: flex; gap: 16px; align-items: baseline; }
header h1 { font-size: 16px; margin: 0; }
header span { color: #59636e; }
main { overflow: auto; padding: 12px; }
main svg { max-width: 100%; height: auto; background: #fff; border: 1px solid #d0d7de; border-radius: 6px; }
aside { overflow: auto; border-left: 1px solid #d0d7de; background: #fff; padding: 12px 16px; }
aside h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: #59636e; margin: 16px 0 6px; }
#details dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; margin: 0; }
#details dt { color: #59636e; }
#details dd { margin: 0; word-break: break-word; }
#details .title { font-weight: 600; font-size: 15px; margin-bottom: 6px; }
#details .hint { color: #59636e; }
ul.groups { list-style: none; padding: 0; margin: 0; }
ul.groups > li { margin-bottom: 8px; }
ul.groups ul { list-style: none; padding-left: 12px; margin: 2px 0; }
ul.groups button { font: inherit; border: 0; background: none; padding: 0; color: #0969da; cursor: pointer; text-align: left; }
g.node, g.edge { cursor: pointer; }
g.node.selected polygon, g.node.selected ellipse, g.node.selected path { stroke: #cf222e; stroke-width: 3px; }
g.edge.selected path, g.edge.selected polygon { stroke: #cf222e; stroke-width: 2.5px; }
g.edge:hover path { stroke-width: 2.5px; }
`;

const SCRIPT = `
(() => {
  const data = JSON.parse(document.getElementById("mesh-data").textContent);
  const panel = document.getElementById("details");
  let pinned = null;
  const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; };
  const show = (id) => {
    const item = data.nodes[id] || data.edges[id];
    panel.replaceChildren();
    if (!item) { panel.append(el("p", "Hover over or click a service or a call to see its policy.", "hint")); return; }
    panel.append(el("div", item.title, "title"));
    const dl = el("dl");
    for (const [k, v] of item.details) { dl.append(el("dt", k), el("dd", v)); }
    panel.append(dl);
  };
  const select = (id) => {
    document.querySelectorAll(".selected").forEach((e) => e.classList.remove("selected"));
    pinned = pinned === id ? null : id;
    if (pinned) document.getElementById(pinned)?.classList.add("selected");
    show(pinned);
  };
  for (const id of [...Object.keys(data.nodes), ...Object.keys(data.edges)]) {
    const g = document.getElementById(id);
    if (!g) continue;
    g.addEventListener("mouseenter", () => show(id));
    g.addEventListener("mouseleave", () => show(pinned));
    g.addEventListener("click", (ev) => { ev.preventDefault(); select(id); });
  }
  document.querySelectorAll("button[data-node]").forEach((b) => b.addEventListener("click", () => select(b.dataset.node)));
  show(null);
})();
`;

/** The page for a graph. */
export async function toHtml(graph: MeshGraph): Promise<string> {
  const svg = (await toSvg(graph)).replace(/^<\?xml[^>]*>\s*/, "").replace(/<!DOCTYPE[^>]*>\s*/, "");
  const label = (id: string) => graph.nodes.find((n) => n.id === id)?.label ?? id;
  const data = {
    nodes: Object.fromEntries(graph.nodes.map((n) => [n.id, { title: `${n.label} (${n.kind === "any" ? "wildcard" : n.kind})`, details: n.details }])),
    edges: Object.fromEntries(graph.edges.map((e) => [e.id, { title: `${label(e.from)} → ${label(e.to)} ${e.label}`, details: e.details }])),
  };
  const groups = graph.groups
    .map((g) => {
      const items = graph.nodes.filter((n) => n.group === g).map((n) => `<li><button type="button" data-node="${n.id}">${escapeHtml(n.label)}</button></li>`);
      return `<li><strong>${escapeHtml(g)}</strong><ul>${items.join("")}</ul></li>`;
    })
    .join("\n");
  const services = graph.nodes.filter((n) => n.kind === "service").length;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(graph.name)} — meshc graph</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${escapeHtml(graph.name)}</h1><span>${plural(services, "service")}, ${plural(graph.edges.length, "allowed call or route", "allowed calls and routes")}, ${plural(graph.groups.length, "group")}</span></header>
<main>
${svg}
</main>
<aside>
<h2>Details</h2>
<div id="details"></div>
<h2>Services by namespace</h2>
<ul class="groups">
${groups}
</ul>
</aside>
<script type="application/json" id="mesh-data">${scriptJson(data)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
