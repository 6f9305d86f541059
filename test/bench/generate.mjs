// Synthetic meshes for the benchmark: N services with the same shape at every N, so that per-service
// costs (type-check time, Envoy bytes per proxy) can be compared across sizes.
//
// Plain JavaScript so that `npm run bench` runs with nothing but Node on a fresh clone; the types
// are in generate.d.mts.
//
// Shape of service i (names are fixed-width, so bytes do not grow with N):
// - `svc-<5 digits>` in namespace `team-<2 digits>`, ports http 8080 and grpc 9090, a workload;
// - every 10th service has versions v1 and v2, and a route on its http port: a header match to v2,
//   then a 90/10 split;
// - calls i → i+1 (http GET), i+2 (grpc), i+3 (http, paths) within its block of 50 services: a
//   DAG at most 50 calls deep (real call chains are short), so no call cycles; the first service
//   of each block is reached from the ingress, every other one by a call;
// - every 20th service (i ≡ 5 mod 20, the probe service among them) also calls one of three external hosts, with retries.
import fs from "node:fs";
import path from "node:path";

/** Services per team file are at most this many teams' worth: 40 files at N = 1,000. */
export const MAX_TEAMS = 40;

/** Calls stay within blocks of this many services, which bounds the depth of call chains. */
export const BLOCK = 50;

/** The service whose proxy is measured for "Envoy bytes per proxy": it exists at every N ≥ 10. */
export const PROBE_SERVICE = serviceName(5);

/** The line of the probe service's first call, which the watch benchmark edits. */
export const PROBE_CALL = `{ from: s["${serviceName(5)}"], to: s["${serviceName(6)}"].ports.http, methods: ["GET"], timeout: "2s" },`;

/**
 * The end of the probe service's workload line, which the watch benchmark also edits: an edit of a
 * team's services, which every file's types see (see the probe call's, which only its file's see).
 */
export const PROBE_REPLICAS = `/${serviceName(5)}:1.0.0", replicas: 2,`;

export function serviceName(i) {
  return `svc-${String(i).padStart(5, "0")}`;
}

function teamName(t) {
  return `team-${String(t).padStart(2, "0")}`;
}

function teamIdent(t) {
  return `team${String(t).padStart(2, "0")}`;
}

/** How many team files a mesh of `n` services is split into: 2 at N = 10, 40 from N = 1,000. */
export function teamCount(n) {
  return Math.max(2, Math.min(MAX_TEAMS, Math.ceil(n / 25)));
}

/** The team (and namespace) of service i: contiguous blocks, so most calls stay within a team. */
function teamOf(i, n, teams) {
  return Math.floor((i * teams) / n);
}

const EXTERNALS = [0, 1, 2].map((k) => ({ key: `ext-${String(k).padStart(2, "0")}`, host: `api-${String(k).padStart(2, "0")}.partner.example.com` }));

function serviceLines(i, n, teams, indent) {
  const name = serviceName(i);
  const ns = teamName(teamOf(i, n, teams));
  const image = `registry.example.com/${ns}/${name}`;
  const lines = [
    `"${name}": {`,
    `  namespace: "${ns}",`,
    `  ports: { http: { port: 8080, protocol: "http" }, grpc: { port: 9090, protocol: "grpc" } },`,
    `  workload: { image: "${image}:1.0.0", replicas: 2, env: { LOG_LEVEL: "info" } },`,
  ];
  if (i % 10 === 0) lines.push(`  versions: { v1: {}, v2: { workload: { image: "${image}:2.0.0" } } },`);
  lines.push(`},`);
  return lines.map((l) => indent + l);
}

function callLines(i, n, indent) {
  const from = `s["${serviceName(i)}"]`;
  const lines = [];
  const last = Math.min(n, (Math.floor(i / BLOCK) + 1) * BLOCK) - 1;
  if (i + 1 <= last) lines.push(`{ from: ${from}, to: s["${serviceName(i + 1)}"].ports.http, methods: ["GET"], timeout: "2s" },`);
  if (i + 2 <= last) lines.push(`{ from: ${from}, to: s["${serviceName(i + 2)}"].ports.grpc, grpcMethods: ["bench.Svc${String(i + 2).padStart(5, "0")}/*"], timeout: "2s" },`);
  if (i + 3 <= last) lines.push(`{ from: ${from}, to: s["${serviceName(i + 3)}"].ports.http, methods: ["GET", "POST"], paths: ["/api/*"], timeout: "2s" },`);
  if (i % 20 === 5) {
    const ext = EXTERNALS[(i / 20) % EXTERNALS.length | 0];
    lines.push(`{ from: ${from}, to: s["${ext.key}"].ports.https, timeout: "2s", retries: { attempts: 2, perTryTimeout: "500ms" } },`);
  }
  return lines.map((l) => indent + l);
}

function routeLines(i, indent) {
  if (i % 10 !== 0) return [];
  return [
    `"${serviceName(i)}": {`,
    `  http: [`,
    `    { match: { headers: { "x-canary": { exact: "true" } } }, to: "v2" },`,
    `    { to: [{ version: "v1", weight: 90 }, { version: "v2", weight: 10 }] },`,
    `  ],`,
    `},`,
  ].map((l) => indent + l);
}

const MESH_HEADER = [
  `    name: "bench",`,
  `    namespace: "team-00",`,
  `    defaults: { mtls: "strict", egress: "registry-only", traffic: { timeout: "15s" } },`,
];

function ingressLines(n, indent) {
  const routes = [];
  for (let b = 0; b * BLOCK < n; b++) routes.push(`      { paths: ["/b${String(b).padStart(3, "0")}/*"], to: s["${serviceName(b * BLOCK)}"].ports.http },`);
  return [`ingress: [`, `  {`, `    name: "public",`, `    port: 80,`, `    routes: [`, ...routes, `    ],`, `  },`, `],`].map((l) => indent + l);
}

function singleFile(n) {
  const teams = teamCount(n);
  const out = [`// Generated by test/bench/generate.mjs: ${n} services in one file.`, `import { defineMesh } from "meshc";`, ``, `export default defineMesh(`, `  {`];
  out.push(...MESH_HEADER, `    external: {`, ...EXTERNALS.map((e) => `      "${e.key}": { host: "${e.host}" },`), `    },`);
  out.push(`    services: {`);
  for (let i = 0; i < n; i++) out.push(...serviceLines(i, n, teams, "      "));
  out.push(`    },`, `  },`, `  (s) => ({`, ...ingressLines(n, "    "), `    calls: [`);
  for (let i = 0; i < n; i++) out.push(...callLines(i, n, "      "));
  out.push(`    ],`, `    routes: {`);
  for (let i = 0; i < n; i++) out.push(...routeLines(i, "      "));
  out.push(`    },`, `  }),`, `);`, ``);
  return { "mesh.ts": out.join("\n") };
}

function teamFiles(n) {
  const teams = teamCount(n);
  const files = {};
  const members = Array.from({ length: teams }, () => []);
  for (let i = 0; i < n; i++) members[teamOf(i, n, teams)].push(i);
  for (let t = 0; t < teams; t++) {
    const id = teamIdent(t);
    const out = [
      `// Generated by test/bench/generate.mjs: team ${teamName(t)}, ${members[t].length} of ${n} services.`,
      `import { policy, services } from "meshc";`,
      `import type { External, Services } from "../mesh.js";`,
      ``,
      `export const ${id} = services({`,
    ];
    for (const i of members[t]) out.push(...serviceLines(i, n, teams, "  "));
    out.push(`});`, ``, `export const ${id}Policy = policy<Services, External>((s) => ({`, `  calls: [`);
    for (const i of members[t]) out.push(...callLines(i, n, "    "));
    out.push(`  ],`, `  routes: {`);
    for (const i of members[t]) out.push(...routeLines(i, "    "));
    out.push(`  },`, `}));`, ``);
    files[`teams/${teamName(t)}.ts`] = out.join("\n");
  }
  const ids = Array.from({ length: teams }, (_, t) => teamIdent(t));
  const mesh = [
    `// Generated by test/bench/generate.mjs: ${n} services in ${teams} team files, composed by import.`,
    `import { defineMesh, external } from "meshc";`,
    ...ids.map((id, t) => `import { ${id}, ${id}Policy } from "./teams/${teamName(t)}.js";`),
    ``,
    `const services = { ${ids.map((id) => `...${id}`).join(", ")} };`,
    `const hosts = external({`,
    ...EXTERNALS.map((e) => `  "${e.key}": { host: "${e.host}" },`),
    `});`,
    ``,
    `/** The type team policies are checked against. */`,
    `export type Services = typeof services;`,
    `export type External = typeof hosts;`,
    ``,
    `export default defineMesh(`,
    `  {`,
    ...MESH_HEADER,
    `    external: hosts,`,
    `    services,`,
    `  },`,
    `  (s) => ({`,
    ...ingressLines(n, "    "),
    `  }),`,
    ...ids.map((id) => `  ${id}Policy,`),
    `);`,
    ``,
  ];
  files["mesh.ts"] = mesh.join("\n");
  return files;
}

/**
 * The files of a synthetic mesh, by path relative to its folder; the entry is `mesh.ts`.
 * Both layouts declare the same mesh (same services, calls, routes and external hosts).
 */
export function generateMesh(options) {
  const { services: n, layout } = options;
  if (!Number.isInteger(n) || n < 10) throw new Error(`services must be an integer ≥ 10, got ${n}`);
  if (layout === "single") return singleFile(n);
  if (layout === "teams") return teamFiles(n);
  throw new Error(`layout must be "single" or "teams", got ${String(layout)}`);
}

/** Writes a synthetic mesh into `dir` (replacing what was there) and returns the entry's path. */
export function writeMesh(dir, options) {
  fs.rmSync(dir, { recursive: true, force: true });
  for (const [rel, text] of Object.entries(generateMesh(options))) {
    const file = path.join(dir, ...rel.split("/"));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  return path.join(dir, "mesh.ts");
}

/** The file (relative to the mesh folder) that holds the probe service's calls. */
export function probeFile(options) {
  return options.layout === "single" ? "mesh.ts" : `teams/${teamName(teamOf(5, options.services, teamCount(options.services)))}.ts`;
}
