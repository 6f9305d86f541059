import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { compileMesh } from "../compile.js";
import type { MeshIR } from "../ir.js";
import { toHtml } from "./html.js";
import { meshGraph } from "./model.js";
import { writeMesh } from "../../test/bench/generate.mjs";
import { BOUNDED_LAYOUT_FROM, EXTERNAL_LABELS_FROM, missingFrom, toDot, toMermaid, toSvg, type GraphvizRenderer } from "./render.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const EXAMPLES = ["bookinfo", "online-boutique"];
const irs = new Map<string, MeshIR>();

beforeAll(() => {
  for (const name of EXAMPLES) {
    const result = compileMesh(path.join(repo, "examples", name, "mesh.ts"));
    expect(result.diagnostics).toEqual([]);
    irs.set(name, result.ir!);
  }
});

describe.each(EXAMPLES)("the graph of %s", (name) => {
  it("is drawn as Mermaid and DOT, grouped by namespace, with every service and call", async () => {
    const ir = irs.get(name)!;
    const graph = meshGraph(ir);
    await expect(toMermaid(graph) + "\n").toMatchFileSnapshot(`./__snapshots__/${name}.mmd`);
    await expect(toDot(graph) + "\n").toMatchFileSnapshot(`./__snapshots__/${name}.dot`);
    expect(graph.groups).toEqual(ir.namespaces);
    expect(graph.edges).toHaveLength(ir.calls.length + ir.ingresses.reduce((n, i) => n + i.routes.length, 0));
  });

  it("renders to SVG offline, with a node for every service", async () => {
    const ir = irs.get(name)!;
    const svg = await toSvg(meshGraph(ir));
    expect(svg).toMatch(/^<\?xml[\s\S]*<svg[\s\S]*<\/svg>\s*$/);
    // Graphviz writes "-" as "&#45;" in text.
    for (const s of ir.services) expect(svg).toContain(`>${s.key.replace(/-/g, "&#45;")}</text>`);
    expect(svg).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    expect(missingFrom(svg, meshGraph(ir))).toEqual([]);
  });
});

describe("a large mesh's graph", () => {
  let dir: string;
  beforeAll(() => void (dir = fs.mkdtempSync(path.join(os.tmpdir(), "meshc-graph-large-"))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("bounds Graphviz's placement, and still draws every service; a small one is laid out in full", async () => {
    const result = compileMesh(writeMesh(path.join(dir, "mesh"), { services: BOUNDED_LAYOUT_FROM, layout: "teams" }), { skipTypeCheck: true });
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const graph = meshGraph(result.ir!);
    expect(graph.nodes.length).toBeGreaterThanOrEqual(BOUNDED_LAYOUT_FROM);
    expect(toDot(graph).split("\n")[1]).toContain(", nslimit=2];");
    const svg = await toSvg(graph);
    for (const s of result.ir!.services) expect(svg).toContain(`>${s.key.replace(/-/g, "&#45;")}</text>`);
    for (const name of EXAMPLES) expect(toDot(meshGraph(irs.get(name)!))).not.toContain("nslimit");
  });

  it("labels calls beside their edges from 1,000 nodes, and still draws every service and call", async () => {
    const result = compileMesh(writeMesh(path.join(dir, "large"), { services: EXTERNAL_LABELS_FROM, layout: "teams" }), { skipTypeCheck: true });
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const graph = meshGraph(result.ir!);
    const dot = toDot(graph);
    expect(dot).toContain(`[id="e0", xlabel="`);
    expect(dot).not.toMatch(/ -> .*, label=/);
    const svg = await toSvg(graph);
    expect(missingFrom(svg, graph)).toEqual([]);
    // The labels are still drawn, in the call's own group.
    expect(svg).toMatch(/<g id="e0" class="edge">[\s\S]*?<text[^>]*>http: GET<\/text>[\s\S]*?<\/g>/);
    for (const name of EXAMPLES) expect(toDot(meshGraph(irs.get(name)!))).toMatch(/\[id="e0", label="/);
  });
});

describe("a drawing Graphviz left a call out of", () => {
  const graph = () => meshGraph(irs.get("bookinfo")!);
  /** Graphviz's real SVG of bookinfo's graph. */
  let svg: string;
  beforeAll(async () => void (svg = await toSvg(graph())));
  /** The SVG less one edge's group, as a failed edge route leaves it. */
  const dropping = (id: string) => svg.replace(new RegExp(`<g id="${id}" class="edge">[\\s\\S]*?</g>\n`), "");

  it("is laid out again with straight edges, and Graphviz's own stderr lines are not printed", async () => {
    const attempts: (Record<string, string> | undefined)[] = [];
    const renderer: GraphvizRenderer = {
      render(_dot, options) {
        attempts.push(options.graphAttributes);
        console.error("lib/pathplan/shortest.c:333: triangulation failed");
        return { status: "success", output: attempts.length === 1 ? dropping("e1") : svg, errors: [] };
      },
    };
    const printed = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      expect(missingFrom(dropping("e1"), graph())).toHaveLength(1);
      await expect(toSvg(graph(), renderer)).resolves.toBe(svg);
      expect(attempts).toEqual([{}, { splines: "line" }]);
      expect(printed).not.toHaveBeenCalled();
    } finally {
      printed.mockRestore();
    }
  });

  it("is an error naming the missing call when no layout draws it", async () => {
    const g = graph();
    const e = g.edges[1]!;
    const label = (id: string) => g.nodes.find((n) => n.id === id)!.label;
    const renderer: GraphvizRenderer = { render: () => ({ status: "success", output: dropping(e.id), errors: [] }) };
    await expect(toSvg(g, renderer)).rejects.toThrow(`Graphviz left 1 of the mesh's nodes and calls out of the drawing (${label(e.from)} → ${label(e.to)} ${e.label}); use --format dot or mermaid`);
  });
});

/** Debian's Chromium; `.ci/run` installs it, a developer may not have. */
const CHROMIUM = "/usr/bin/chromium";
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium && !process.env.CI) {
  console.warn(`Skipping the headless-browser test of the HTML graph: ${CHROMIUM} is missing (apt-get install -y chromium). In CI it runs.`);
}

describe.skipIf(!haveChromium && !process.env.CI)("the HTML graph in headless Chromium", () => {
  let dir: string;
  beforeAll(() => void (dir = fs.mkdtempSync(path.join(os.tmpdir(), "meshc-graph-"))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("shows every service of online-boutique, and a service's policy on click, without touching the network", async () => {
    const ir = irs.get("online-boutique")!;
    const file = path.join(dir, "graph.html");
    fs.writeFileSync(file, await toHtml(meshGraph(ir)));
    const { chromium } = await import("playwright-core");
    const context = await chromium.launchPersistentContext(path.join(dir, "profile"), {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    try {
      const requests: string[] = [];
      await context.route("**/*", (route) => {
        const url = route.request().url();
        if (!url.startsWith("file:") && !url.startsWith("data:")) {
          requests.push(url);
          return route.abort();
        }
        return route.continue();
      });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("console", (m) => void (m.type() === "error" && errors.push(m.text())));
      await page.goto(pathToFileURL(file).href);
      const drawn = await page.locator("svg g.node text").allTextContents();
      for (const s of ir.services) expect(drawn, `service ${s.key} is drawn`).toContain(s.key);
      const listed = await page.locator("ul.groups button").allTextContents();
      expect(listed).toEqual(expect.arrayContaining(ir.services.map((s) => s.key)));
      await page.locator("svg g.node", { hasText: "paymentservice" }).first().click();
      const details = await page.locator("#details").innerText();
      expect(details).toContain("paymentservice (service)");
      expect(details).toContain("spiffe://cluster.local/ns/online-boutique/sa/paymentservice");
      expect(details).toContain("rate limit");
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
