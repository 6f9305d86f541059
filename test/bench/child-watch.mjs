// The warm re-check of `meshc check --watch`: one cold check, then a one-line edit (a call's
// timeout, alternately "2s" and "3s") checked again with the kept state, several times; then as
// many edits of a service's replicas (2 and 3), which every file's types can see, so that in team
// files the first series re-checks the edited file alone and the second every file. A third series
// repeats the call edits with nothing run beside the checker (`overlap: false`), so that its
// time is the checker's own: the floor a re-check cannot go under while meshc runs beside it.
// Last, `warm` more call edits (none by default) measure a session that has been edited for a
// while: the first series runs meshc's code paths for the second time, before V8 has optimised
// them. Measured through the same API the watcher calls, so fs.watch latency and the 50 ms
// debounce are not included.
// Usage: node child-watch.mjs <dist> <mesh.ts> <file to edit> <edits> <result.json> [warm]
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { PROBE_CALL, PROBE_REPLICAS } from "./generate.mjs";

const [dist, entry, fileRel, edits, resultFile, warm = "0"] = process.argv.slice(2);
const { compileMesh } = await import(pathToFileURL(path.join(dist, "compiler", "compile.js")).href);
const { createLoadCache, disposeLoadCache } = await import(pathToFileURL(path.join(dist, "compiler", "load", "index.js")).href);

const file = path.join(path.dirname(entry), fileRel);
const original = fs.readFileSync(file, "utf8");
if (!original.includes(PROBE_CALL)) throw new Error(`${file} does not hold the probe call`);
if (!original.includes(PROBE_REPLICAS)) throw new Error(`${file} does not hold the probe service's workload`);
const cache = createLoadCache();
/** Checks so far in this session (the first check is 0; the n-th edit's re-check is n). */
let checks = -1;
const run = (overlap = true) => {
  checks++;
  const t0 = performance.now();
  const result = compileMesh(entry, { cache, overlap });
  const ms = performance.now() - t0;
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0 || !result.ir) throw new Error(`check failed: ${errors.slice(0, 3).map((d) => d.message).join("; ")}`);
  const probe = result.ir.calls.find((c) => c.from.service?.endsWith("/svc-00005") && c.to.service?.endsWith("/svc-00006") && c.to.port === "http");
  const replicas = result.ir.services.find((s) => s.key === "svc-00005")?.workload?.replicas;
  return { ms, typecheck: result.timings.typecheck, beside: result.timings.overlapped ?? 0, timeoutMs: probe?.timeoutMs, replicas };
};
const first = run();
const rechecks = [];
const servicesRechecks = [];
const checkerRechecks = [];
const warmRechecks = [];
let warmFrom;
/** The i-th call edit (timeout alternately 3s and 2s), checked; the IR must show it. */
const callEdit = (i, overlap) => {
  const timeout = i % 2 === 0 ? "3s" : "2s";
  fs.writeFileSync(file, original.replace(PROBE_CALL, PROBE_CALL.replace('timeout: "2s"', `timeout: "${timeout}"`)));
  const r = run(overlap);
  // A stale cache would be fast and wrong: the edit must show in the IR.
  if (r.timeoutMs !== (timeout === "3s" ? 3000 : 2000)) throw new Error(`the re-check did not see the edit (timeout ${r.timeoutMs} ms)`);
  return r;
};
try {
  for (let i = 0; i < Number(edits); i++) rechecks.push(callEdit(i, true));
  for (let i = 0; i < Number(edits); i++) {
    const replicas = i % 2 === 0 ? 3 : 2;
    fs.writeFileSync(file, original.replace(PROBE_REPLICAS, PROBE_REPLICAS.replace("replicas: 2", `replicas: ${replicas}`)));
    const r = run();
    if (r.replicas !== replicas) throw new Error(`the re-check did not see the edit (replicas ${r.replicas})`);
    servicesRechecks.push(r);
  }
  // Back to the call edits' texts first, so that the checker's series re-checks one file, as the first.
  callEdit(1, true);
  for (let i = 0; i < Number(edits); i++) checkerRechecks.push(callEdit(i, false));
  warmFrom = checks + 1;
  for (let i = 0; i < Number(warm); i++) warmRechecks.push(callEdit(i, true));
} finally {
  fs.writeFileSync(file, original);
  // The native type-checker runs as a child process while the cache keeps it.
  disposeLoadCache?.(cache);
}
const median = (v) => v.sort((a, b) => a - b)[v.length >> 1];
fs.writeFileSync(
  resultFile,
  JSON.stringify({
    first: first.ms,
    recheck: median(rechecks.map((r) => r.ms)),
    // Until the checker's verdict, which includes the work done beside it (recheckBeside).
    recheckTypecheck: median(rechecks.map((r) => r.typecheck)),
    recheckBeside: median(rechecks.map((r) => r.beside)),
    rechecks: rechecks.map((r) => Math.round(r.ms)),
    recheckServices: median(servicesRechecks.map((r) => r.ms)),
    // The checker's own re-check of the call edit, with meshc's work after it instead of beside it.
    recheckCheckerAlone: median(checkerRechecks.map((r) => r.typecheck)),
    checkerRechecks: checkerRechecks.map((r) => Math.round(r.typecheck)),
    ...(warmRechecks.length > 0 ? { recheckWarm: median(warmRechecks.map((r) => r.ms)), warmRechecks: warmRechecks.map((r) => Math.round(r.ms)), warmEdits: [warmFrom, checks] } : {}),
    servicesRechecks: servicesRechecks.map((r) => Math.round(r.ms)),
    maxRssKiB: process.resourceUsage().maxRSS,
  }),
);
