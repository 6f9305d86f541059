#!/usr/bin/env node
// `npm run bench`: meshc against itself at growing N, and against its reference points (bare
// `tsc --noEmit` on the same mesh, cdk8s-plus synthesising as many Deployments and Services).
// Every measurement runs in a fresh child process (a cold start, as in CI; peak RSS is that
// process's own), several times; the tables show medians. Plain JavaScript over the compiled
// dist/ so that it measures what users run and needs nothing but `npm ci`.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { PROBE_SERVICE, probeFile, teamCount, writeMesh } from "./generate.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "..", "..");

const HELP = `Usage: npm run bench -- [options]

Options:
  --sizes <list>     service counts (default 10,100,1000; --large adds 5000)
  --large            also N = 5,000 (about 10 more minutes with the default runs)
  --layouts <list>   single, teams (default both)
  --runs <n>         runs per measurement; medians are reported (default 3)
  --no-tsc           skip the bare tsc reference
  --no-cdk8s         skip the cdk8s-plus reference
  --no-watch         skip the warm re-check (check --watch) measurement
  --dist <dir>       compiled meshc to measure (default: dist/ of this repository)
  --work <dir>       where meshes are generated (default: $TMPDIR/meshc-bench)
  --json <file>      results file (default: test/bench/results/latest.json)

MESHC_OVERLAP=0 npm run bench measures meshc running each mesh after its type-check instead of
beside it (see README); MESHC_PARALLEL=0, every target on the main thread (no build worker).
`;

const { values: opts } = parseArgs({
  options: {
    sizes: { type: "string" },
    large: { type: "boolean" },
    layouts: { type: "string" },
    runs: { type: "string" },
    "no-tsc": { type: "boolean" },
    "no-cdk8s": { type: "boolean" },
    "no-watch": { type: "boolean" },
    dist: { type: "string" },
    work: { type: "string" },
    json: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (opts.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const sizes = (opts.sizes ?? "10,100,1000").split(",").map(Number);
if (opts.large && !sizes.includes(5000)) sizes.push(5000);
const layouts = (opts.layouts ?? "single,teams").split(",");
const runs = Number(opts.runs ?? 3);
const dist = path.resolve(opts.dist ?? path.join(repo, "dist"));
const work = path.resolve(opts.work ?? path.join(os.tmpdir(), "meshc-bench"));
const jsonFile = path.resolve(opts.json ?? path.join(here, "results", "latest.json"));
for (const n of sizes) if (!Number.isInteger(n) || n < 10) throw new Error(`--sizes: ${n} is not an integer ≥ 10`);
for (const l of layouts) if (l !== "single" && l !== "teams") throw new Error(`--layouts: unknown layout ${l}`);
if (!fs.existsSync(path.join(dist, "compiler", "build.js"))) throw new Error(`${dist} holds no compiled meshc; run npm run build first`);

fs.mkdirSync(work, { recursive: true });
const node = process.execPath;
const tscBin = path.join(repo, "node_modules", "typescript", "lib", "tsc.js");
const rssPreload = pathToFileURL(path.join(here, "rss.mjs")).href;

/** The processes a process started, and theirs (Linux: /proc/<pid>/task/<tid>/children). */
function descendants(pid) {
  const out = [];
  const walk = (p) => {
    let tasks;
    try {
      tasks = fs.readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const t of tasks) {
      let kids = "";
      try {
        kids = fs.readFileSync(`/proc/${p}/task/${t}/children`, "utf8");
      } catch {
        continue;
      }
      for (const k of kids.trim().split(/\s+/).filter(Boolean)) {
        out.push(Number(k));
        walk(k);
      }
    }
  };
  walk(pid);
  return out;
}

const TICKS_PER_MS = 100 / 1000; // USER_HZ is 100 on Linux

/**
 * Peak RSS and CPU of one process from /proc, or undefined once it is gone. VmHWM is the
 * process's own peak, so a sample shortly before it exits still sees its highest point.
 */
function sample(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    const rss = /VmRSS:\s+(\d+) kB/.exec(status);
    return { maxRssKiB: hwm ? Number(hwm[1]) : 0, rssKiB: rss ? Number(rss[1]) : 0, cpu: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_MS };
  } catch {
    return undefined;
  }
}

/**
 * Runs a child to completion; returns its wall time (spawn to exit), the JSON it wrote, and what
 * the processes it started used (meshc's native type-checker runs as one): their peak RSS and
 * CPU, sampled every 20 ms from /proc.
 */
async function child(args, resultFile, env = {}) {
  fs.rmSync(resultFile, { force: true });
  const t0 = performance.now();
  const proc = spawn(node, args, { cwd: repo, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  proc.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
  proc.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
  const seen = new Map();
  // The whole tree's resident memory at one instant (the child and what it started), at its highest.
  let treeRssKiB = 0;
  const timer = setInterval(() => {
    let tree = sample(proc.pid)?.rssKiB ?? 0;
    for (const pid of descendants(proc.pid)) {
      const s = sample(pid);
      // An exited process (a zombie) has no memory lines left: keep the highest values seen.
      const before = seen.get(pid);
      if (s) seen.set(pid, before ? { maxRssKiB: Math.max(before.maxRssKiB, s.maxRssKiB), cpu: Math.max(before.cpu, s.cpu) } : s);
      tree += s?.rssKiB ?? 0;
    }
    treeRssKiB = Math.max(treeRssKiB, tree);
  }, 20);
  const status = await new Promise((resolve) => proc.on("close", (code) => resolve(code)));
  clearInterval(timer);
  const wall = performance.now() - t0;
  if (!fs.existsSync(resultFile)) {
    throw new Error(`${args.join(" ")} exited ${status} without a result:\n${(stderr || stdout).slice(0, 4000)}`);
  }
  const subs = [...seen.values()];
  return {
    wall,
    stdout,
    status,
    ...JSON.parse(fs.readFileSync(resultFile, "utf8")),
    ...(subs.length ? { subprocessMaxRssKiB: Math.max(...subs.map((x) => x.maxRssKiB)), subprocessCpu: subs.reduce((n, x) => n + x.cpu, 0), treeRssKiB } : {}),
  };
}

function median(values) {
  const v = values.filter((x) => typeof x === "number" && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Medians of every numeric field (nested one level, e.g. `timings`) across runs. */
function medians(results) {
  const out = {};
  for (const key of Object.keys(results[0])) {
    const first = results[0][key];
    if (typeof first === "number") out[key] = median(results.map((r) => r[key]));
    else if (first && typeof first === "object" && !Array.isArray(first)) {
      out[key] = {};
      for (const k of new Set(results.flatMap((r) => Object.keys(r[key] ?? {})))) out[key][k] = median(results.map((r) => r[key]?.[k]));
    } else out[key] = first;
  }
  return out;
}

function progress(text) {
  process.stderr.write(`${text}\n`);
}

/** The options meshc type-checks with, as a tsconfig.json for the tsc reference. */
async function writeTsconfig(dir) {
  const { meshTsconfigOptions } = await import(pathToFileURL(path.join(dist, "compiler", "load", "typecheck.js")).href);
  const { meshcPackageRoot } = await import(pathToFileURL(path.join(dist, "compiler", "package.js")).href);
  const compilerOptions = {
    ...meshTsconfigOptions(),
    // meshc's own fallback when "meshc" does not resolve from the mesh's folder.
    paths: { meshc: [path.join(meshcPackageRoot(), "dist", "dsl", "index.d.ts")] },
  };
  fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["mesh.ts"] }, null, 2));
}

function measureMeshc(entry, dir) {
  const resultFile = path.join(dir, "meshc.json");
  return child([path.join(here, "child-meshc.mjs"), dist, entry, path.join(dir, "out"), resultFile], resultFile);
}

async function measureTsc(dir) {
  const resultFile = path.join(dir, "tsc.json");
  const r = await child(["--import", rssPreload, tscBin, "-p", path.join(dir, "tsconfig.json"), "--extendedDiagnostics"], resultFile, { MESHC_BENCH_RSS_FILE: resultFile });
  const field = (name) => {
    const m = new RegExp(`^${name}:\\s+([\\d.]+)s`, "m").exec(r.stdout);
    return m ? Number(m[1]) * 1000 : undefined;
  };
  // A reference that failed is not a reference: kept in the results, left out of the ratios.
  if (r.status !== 0) return { failed: r.stdout.split("\n").filter((l) => l.includes("error")).slice(0, 3).join("\n") };
  return { wall: r.wall, cpu: r.cpu, total: field("Total time"), check: field("Check time"), program: field("Program time"), maxRssKiB: r.maxRssKiB };
}

function measureCdk8s(n) {
  const dir = path.join(work, `cdk8s-${n}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const resultFile = path.join(dir, "cdk8s.json");
  return child([path.join(here, "child-cdk8s.mjs"), String(n), path.join(dir, "out"), resultFile], resultFile);
}

/** `meshc check` as a user runs it (the installed bin, the CLI's bundle, a fresh process): what "instant" is about. */
async function measureCheck(entry) {
  const t0 = performance.now();
  const proc = spawn(node, [path.join(dist, "bundle", "meshc.js"), "check", entry], { cwd: repo, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  proc.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
  const status = await new Promise((resolve) => proc.on("close", (code) => resolve(code)));
  if (status !== 0) throw new Error(`meshc check ${entry} exited ${status}: ${stderr.slice(0, 2000)}`);
  return performance.now() - t0;
}

/**
 * Call edits after the three series, for a session edited a while (see child-watch.mjs): up to
 * 1,000 services, where they take seconds, not minutes.
 */
const WARM_EDITS = 9;
const WARM_UP_TO = 1000;

function measureWatch(entry, dir, options) {
  const resultFile = path.join(dir, "watch.json");
  const warm = options.services <= WARM_UP_TO ? WARM_EDITS : 0;
  return child([path.join(here, "child-watch.mjs"), dist, entry, probeFile(options), String(Math.max(3, runs)), resultFile, String(warm)], resultFile);
}

/** Envoy bytes of one proxy (the probe service's files) and the mean over all proxies. */
function envoyBytes(outputs, probe, services) {
  const envoy = outputs.filter(([p]) => p.startsWith("envoy/") && !p.endsWith("kustomization.yaml"));
  if (envoy.length === 0) return {};
  return { envoyProbeBytes: probe, envoyMeanBytes: envoy.reduce((s, [, b]) => s + b, 0) / services };
}

// What runs after the type-check's verdict: every phase but the load's parts, plus the
// evaluation that did not run beside the checker (all of it, where nothing overlapped), less the
// build worker's phases that ran beside the main thread's (`concurrent`).
const AFTER_TYPECHECK = (timings) =>
  Object.entries(timings)
    .filter(([k]) => k !== "load" && k !== "typecheck" && k !== "overlapped" && k !== "concurrent")
    .reduce((s, [, v]) => s + (v ?? 0), 0) - (timings.overlapped ?? 0) - (timings.concurrent ?? 0);

/** Written after every mesh, so that a long run that fails late keeps what it measured. */
function writeResults() {
  fs.mkdirSync(path.dirname(jsonFile), { recursive: true });
  fs.writeFileSync(jsonFile, JSON.stringify(results, null, 2) + "\n");
}

const overlap = process.env.MESHC_OVERLAP !== "0";
const parallel = process.env.MESHC_PARALLEL !== "0";
const results = { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, runs, overlap, parallel, dist: path.relative(repo, dist) || ".", meshes: [], cdk8s: {} };

for (const n of sizes) {
  for (const layout of layouts) {
    const dir = path.join(work, `n${n}-${layout}`);
    const entry = writeMesh(path.join(dir, "mesh"), { services: n, layout });
    const meshDir = path.dirname(entry);
    if (!opts["no-tsc"]) await writeTsconfig(meshDir);
    const sourceBytes = fs.readdirSync(meshDir, { recursive: true }).filter((f) => String(f).endsWith(".ts")).reduce((s, f) => s + fs.statSync(path.join(meshDir, String(f))).size, 0);
    const meshc = [];
    const tsc = [];
    const checks = [];
    let failure;
    for (let i = 0; i < runs; i++) {
      progress(`N=${n} ${layout}: meshc build, run ${i + 1}/${runs}`);
      const r = await measureMeshc(entry, dir);
      if (!r.ok) {
        failure = `${r.errors} errors, e.g. ${r.firstErrors.join("; ")}`;
        progress(`  failed: ${failure}`);
        break;
      }
      meshc.push(r);
      progress(`N=${n} ${layout}: meshc check (CLI), run ${i + 1}/${runs}`);
      checks.push(await measureCheck(entry));
      if (!opts["no-tsc"]) {
        progress(`N=${n} ${layout}: tsc --noEmit, run ${i + 1}/${runs}`);
        tsc.push(await measureTsc(meshDir));
      }
    }
    if (failure) {
      results.meshes.push({ services: n, layout, failed: failure });
      writeResults();
      continue;
    }
    const m = medians(meshc);
    const record = {
      services: n,
      layout,
      files: layout === "single" ? 1 : teamCount(n) + 1,
      sourceBytes,
      targets: m.targets,
      checkWall: median(checks),
      meshc: { ...m, outputs: undefined, firstErrors: undefined, afterTypecheck: median(meshc.map((r) => AFTER_TYPECHECK(r.timings))), ...envoyBytes(meshc[0].outputs, meshc[0].envoyProbeBytes, m.services) },
      ...(tsc.length ? { tsc: tsc.some((t) => t.failed) ? { failed: tsc.find((t) => t.failed).failed } : medians(tsc) } : {}),
    };
    if (!opts["no-watch"]) {
      progress(`N=${n} ${layout}: warm re-check after a one-line edit`);
      record.watch = await measureWatch(entry, dir, { services: n, layout });
    }
    results.meshes.push(record);
    writeResults();
  }
  if (!opts["no-cdk8s"]) {
    const c = [];
    for (let i = 0; i < runs; i++) {
      progress(`N=${n}: cdk8s-plus synth, run ${i + 1}/${runs}`);
      c.push(await measureCdk8s(n));
    }
    results.cdk8s[n] = medians(c);
    writeResults();
  }
}

// ---- report ----

const measured = results.meshes.filter((r) => !r.failed);

/** Which of a session's edits the warm series was, as child-watch.mjs counted them. */
const warmEdits = () => {
  const edits = measured.find((r) => r.watch?.warmEdits)?.watch.warmEdits;
  return edits ? `${edits[0]}–${edits[1]}` : "–";
};
const fmtMs = (v) => (v === undefined ? "–" : v >= 100 ? Math.round(v).toLocaleString("en-US") : v.toFixed(1));
const fmtBytes = (v) => (v === undefined ? "–" : v >= 1e6 ? `${(v / 1e6).toFixed(1)} MB` : v >= 1e4 ? `${(v / 1e3).toFixed(0)} kB` : `${Math.round(v)} B`);
const fmtMiB = (kib) => (kib === undefined ? "–" : `${Math.round(kib / 1024)} MiB`);
const pad = (s, w) => String(s).padStart(w);

const cols = measured.map((r) => `${r.services}/${r.layout === "single" ? "1 file" : `${r.files} files`}`);
const width = Math.max(10, ...cols.map((c) => c.length + 1));
const lines = [];
const row = (label, f) => lines.push(label.padEnd(26) + measured.map((r) => pad(f(r), width)).join(""));

lines.push(`meshc bench: Node ${results.node}, ${results.cpus} CPUs (${results.cpuModel}), medians of ${runs} runs, times in ms`);
lines.push(overlap ? "meshes up to 3.5 MiB (no file over 2 MiB) run beside their type-check (MESHC_OVERLAP=0: after it)" : "MESHC_OVERLAP=0: every mesh runs after its type-check");
lines.push(parallel ? "from 200 services, Envoy runs and writes in a worker thread beside the other targets (MESHC_PARALLEL=0: on the main thread)" : "MESHC_PARALLEL=0: every target runs on the main thread");
lines.push(`targets: ${measured[0]?.targets?.join(", ") || "(none registered)"}`);
for (const r of results.meshes.filter((m) => m.failed)) lines.push(`N=${r.services} ${r.layout}: meshc build FAILED: ${r.failed}`);
lines.push("");
lines.push("N / layout".padEnd(26) + cols.map((c) => pad(c, width)).join(""));
row("mesh source", (r) => fmtBytes(r.sourceBytes));
row("module load", (r) => fmtMs(r.meshc.moduleLoad));
const phases = [...new Set(measured.flatMap((r) => Object.keys(r.meshc.timings)))].filter((k) => k !== "load");
const order = (k) => ["typecheck", "evaluate", "overlapped", "validate", "resolve", "checks"].indexOf(k) + 1 || { write: 97, "write:worker": 98, concurrent: 99 }[k] || 50;
const label = {
  resolve: "resolve (IR)",
  typecheck: "typecheck (to verdict)",
  overlapped: "  of it beside type-check",
  write: "write (main thread)",
  "write:worker": "write (worker: envoy)",
  concurrent: "worker beside main",
};
for (const p of phases.sort((a, b) => order(a) - order(b))) row(`  ${label[p] ?? p}`, (r) => fmtMs(r.meshc.timings[p]));
row("  after type-check", (r) => fmtMs(r.meshc.afterTypecheck));
row("build, in process", (r) => fmtMs(r.meshc.total));
row("build, process wall", (r) => fmtMs(r.meshc.wall));
row("build, process CPU", (r) => fmtMs(r.meshc.cpu));
row("meshc check (CLI), wall", (r) => fmtMs(r.checkWall));
row("peak RSS", (r) => fmtMiB(r.meshc.maxRssKiB));
row("  type-checker process", (r) => fmtMiB(r.meshc.subprocessMaxRssKiB));
row("  both at once (sampled)", (r) => fmtMiB(r.meshc.treeRssKiB));
row("  type-checker CPU", (r) => fmtMs(r.meshc.subprocessCpu));
row("output files", (r) => r.meshc.files);
row("output bytes", (r) => fmtBytes(r.meshc.bytes));
row(`envoy B/proxy (${PROBE_SERVICE})`, (r) => fmtBytes(r.meshc.envoyProbeBytes));
row("envoy B/proxy (mean)", (r) => fmtBytes(r.meshc.envoyMeanBytes));
if (measured.some((r) => r.tsc)) {
  row("tsc --noEmit, wall", (r) => fmtMs(r.tsc?.wall));
  row("  tsc process CPU", (r) => fmtMs(r.tsc?.cpu));
  row("  tsc check time", (r) => fmtMs(r.tsc?.check));
  row("  tsc peak RSS", (r) => fmtMiB(r.tsc?.maxRssKiB));
}
if (measured.some((r) => r.watch)) {
  row("watch: first check", (r) => fmtMs(r.watch?.first));
  row("watch: re-check, call edit", (r) => fmtMs(r.watch?.recheck));
  row("  to type-check verdict", (r) => fmtMs(r.watch?.recheckTypecheck));
  row("    of it beside the check", (r) => fmtMs(r.watch?.recheckBeside));
  row("  the checker alone", (r) => fmtMs(r.watch?.recheckCheckerAlone));
  row(`  edits ${warmEdits()}, warm`, (r) => fmtMs(r.watch?.recheckWarm));
  row("watch: re-check, services", (r) => fmtMs(r.watch?.recheckServices));
}
if (Object.keys(results.cdk8s).length) {
  lines.push("");
  lines.push("cdk8s-plus (N Deployments + Services; node start, module load, construct, synth, write)");
  for (const [n, c] of Object.entries(results.cdk8s)) {
    lines.push(`  N=${n}: wall ${fmtMs(c.wall)}, CPU ${fmtMs(c.cpu)} (module load ${fmtMs(c.moduleLoad)}, construct ${fmtMs(c.construct)}, synth ${fmtMs(c.synth)}), peak RSS ${fmtMiB(c.maxRssKiB)}, ${fmtBytes(c.bytes)}`);
  }
}

// The issue's targets, as ratios measured side by side in this run.
const find = (n, layout) => measured.find((r) => r.services === n && r.layout === layout);
const checks = [];
const target = (name, value, limit, op, detail) => checks.push({ name, value, limit, met: value === undefined ? undefined : op === "≤" ? value <= limit : value >= limit, op, detail });
for (const layout of layouts) {
  const m = find(1000, layout);
  const c = results.cdk8s[1000];
  target(`build 1000 (${layout}) / cdk8s-plus 1000`, m && c ? m.meshc.wall / c.wall : undefined, 1.0, "≤", m && c ? `${fmtMs(m.meshc.wall)} / ${fmtMs(c.wall)} ms process wall; CPU ratio ${((m.meshc.cpu + (m.meshc.subprocessCpu ?? 0)) / c.cpu).toFixed(2)} (with the checker's)` : "needs N=1000 and cdk8s");
}
for (const layout of layouts) {
  const a = find(1000, layout);
  const b = find(5000, layout);
  target(`type-check 5000 / 1000 (${layout})`, a && b ? b.meshc.timings.typecheck / a.meshc.timings.typecheck : undefined, 6, "≤", a && b ? `${fmtMs(b.meshc.timings.typecheck)} / ${fmtMs(a.meshc.timings.typecheck)} ms` : "needs N=1000 and 5000 (--large)");
}
for (const n of [1000, 5000]) {
  for (const layout of layouts) {
    const m = find(n, layout);
    target(`after type-check / type-check, ${n} (${layout})`, m ? m.meshc.afterTypecheck / m.meshc.timings.typecheck : undefined, 0.5, "≤", m ? `${fmtMs(m.meshc.afterTypecheck)} / ${fmtMs(m.meshc.timings.typecheck)} ms` : `needs N=${n}`);
  }
}
{
  const m = find(5000, "single") ?? find(5000, "teams");
  const certs = m?.meshc.timings["target:certs"];
  target("certificates, leaves/s at 5000", m && certs ? m.meshc.identities / (certs / 1000) : undefined, 5000, "≥", !m ? "needs N=5000 (--large)" : certs === undefined ? "no certs target registered" : `${m.meshc.identities} identities in ${fmtMs(certs)} ms (whole target)`);
  const small = find(10, "single") ?? find(10, "teams");
  const big = find(5000, "single") ?? find(5000, "teams");
  const e0 = small?.meshc.envoyProbeBytes;
  const e1 = big?.meshc.envoyProbeBytes;
  target("envoy bytes/proxy 5000 / 10", e0 && e1 ? e1 / e0 : undefined, 1.05, "≤", e0 === undefined ? "no envoy output" : `${e1 ?? "–"} / ${e0} B (${PROBE_SERVICE})`);
  // The checker process lives only during the type-check, before meshc's own peak: what counts is
  // the most both held at one instant (sampled every 20 ms), or either's own peak if higher.
  const peak = (r) => Math.max(r.meshc.maxRssKiB, r.meshc.subprocessMaxRssKiB ?? 0, r.meshc.treeRssKiB ?? 0);
  const sum = (r) => r.meshc.maxRssKiB + (r.meshc.subprocessMaxRssKiB ?? 0);
  const at5000 = measured.filter((r) => r.services === 5000);
  target("peak RSS at 5000, MiB (meshc and checker at once)", big ? Math.max(...at5000.map(peak)) / 1024 : undefined, 1024, "≤", big ? `worse layout; the two peaks added: ${fmtMiB(Math.max(...at5000.map(sum)))}` : "needs N=5000 (--large)");
}
for (const layout of layouts) {
  const m = find(1000, layout);
  target(`watch re-check after an edit, 1000 (${layout}), ms`, m?.watch?.recheck, 300, "≤", m?.watch ? `${fmtMs(m.watch.recheckTypecheck)} ms until the type-check's verdict (${fmtMs(m.watch.recheckBeside)} ms of meshc's work beside it; the checker alone ${fmtMs(m.watch.recheckCheckerAlone)} ms; edits ${warmEdits()}: ${fmtMs(m.watch.recheckWarm)} ms)` : "needs N=1000");
}
for (const layout of layouts) {
  const m = find(1000, layout);
  if (m?.tsc?.total) lines.push(`(reference) meshc type-check / bare tsc total, 1000 (${layout}): ${(m.meshc.timings.typecheck / m.tsc.total).toFixed(2)}`);
}
results.targets = checks;
lines.push("");
lines.push("Issue 10 targets (ratios from this run)");
for (const c of checks) {
  const verdict = c.met === undefined ? "n/a " : c.met ? "met " : "MISS";
  const value = c.value === undefined ? "–" : c.value >= 100 ? Math.round(c.value).toLocaleString("en-US") : c.value.toFixed(2);
  lines.push(`  [${verdict}] ${c.name.padEnd(48)} ${pad(value, 8)} ${c.op} ${c.limit}   ${c.detail}`);
}

process.stdout.write(lines.join("\n") + "\n");
writeResults();
process.stdout.write(`\nResults: ${path.relative(process.cwd(), jsonFile)}\n`);
