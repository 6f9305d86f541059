// One `meshc build --include-secrets` in a fresh process, as a user runs it (with a new CA, so
// every workload certificate is issued); reports its phases as JSON.
// Usage: node child-meshc.mjs <dist folder> <mesh.ts> <out folder> <result.json>
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [dist, entry, outDir, resultFile] = process.argv.slice(2);
const started = performance.now();
// As `meshc build` loads it: from dist/, not from the CLI's bundle (see compiler/cli/bundle.ts).
const { buildMesh } = await import(pathToFileURL(path.join(dist, "compiler", "build.js")).href);
const moduleLoad = performance.now() - started;
const { PROBE_SERVICE } = await import("./generate.mjs");

// Every identity's certificate issued in this run: a fresh CA state (leaves are otherwise reused
// until they near expiry) and the Secrets written (without them no leaf is issued at all).
const stateDir = fs.mkdtempSync(path.join(path.dirname(outDir), ".meshc-state-"));
let result;
try {
  result = await buildMesh(entry, { outDir, stateDir, includeSecrets: true, now: new Date("2026-01-01T00:00:00Z") });
} finally {
  fs.rmSync(stateDir, { recursive: true, force: true });
}
const errors = result.diagnostics.filter((d) => d.severity === "error");
// Measured before anything else, so that serialising below is not counted.
const total = performance.now();
const usage = process.resourceUsage();
fs.writeFileSync(
  resultFile,
  JSON.stringify({
    ok: result.ok,
    errors: errors.length,
    firstErrors: errors.slice(0, 3).map((d) => `${d.code} ${d.message}`),
    warnings: result.diagnostics.filter((d) => d.severity === "warning").length,
    targets: Object.keys(result.timings).filter((k) => k.startsWith("target:")).map((k) => k.slice("target:".length)),
    moduleLoad,
    timings: result.timings,
    // Everything since the process started, module loading included: what a user waits for.
    total,
    maxRssKiB: usage.maxRSS,
    // CPU time of all threads (GC helpers included): steadier than wall time on a busy machine.
    cpu: (usage.userCPUTime + usage.systemCPUTime) / 1000,
    services: result.compiled.ir?.services.length ?? 0,
    identities: result.compiled.ir?.identities.length ?? 0,
    files: result.written?.files ?? 0,
    bytes: result.written?.bytes ?? 0,
    outputs: (result.written?.manifest ?? []).map((m) => [m.path, m.bytes]),
    // One proxy's objects, whatever the file layout (a file holds a namespace's objects).
    envoyProbeBytes: probeBytes(),
  }),
);

/**
 * The bytes of the probe service's Envoy objects, read back from the output: the build's worker
 * thread writes Envoy's files and returns none of its artifacts. A file of objects is their
 * documents joined by `---` lines, each document an object's YAML as the writer serialises it
 * alone, so a document's bytes are its object's.
 */
function probeBytes() {
  const envoy = path.join(outDir, "envoy");
  if (!fs.existsSync(envoy)) return 0;
  let bytes = 0;
  for (const file of fs.readdirSync(envoy, { recursive: true }).map(String).filter((f) => f.endsWith(".yaml") && !f.endsWith("kustomization.yaml"))) {
    for (const doc of fs.readFileSync(path.join(envoy, file), "utf8").split(/^---\n/m)) {
      const name = /^metadata:\n(?: .*\n)*?  name: "?([^"\n]*)"?$/m.exec(doc)?.[1];
      if (name?.includes(PROBE_SERVICE)) bytes += Buffer.byteLength(doc);
    }
  }
  return bytes;
}
