// The peer reference: cdk8s-plus synthesising N Deployments and their Services, in a fresh
// process, module loading included (what `cdk8s synth` on a plain-JS app costs; a TypeScript app
// would also pay for ts-node or tsc on top).
// Usage: node child-cdk8s.mjs <N> <out folder> <result.json>
import fs from "node:fs";

const [n, outDir, resultFile] = process.argv.slice(2);
const started = performance.now();
const { App, Chart } = await import("cdk8s");
const kplus = await import("cdk8s-plus-33");
const moduleLoad = performance.now() - started;

const t0 = performance.now();
const app = new App({ outdir: outDir });
const chart = new Chart(app, "bench");
for (let i = 0; i < Number(n); i++) {
  const name = `svc-${String(i).padStart(5, "0")}`;
  const deployment = new kplus.Deployment(chart, name, {
    metadata: { name },
    replicas: 2,
    containers: [{ image: `registry.example.com/team-00/${name}:1.0.0`, ports: [{ number: 8080, name: "http" }, { number: 9090, name: "grpc" }], envVariables: { LOG_LEVEL: kplus.EnvValue.fromValue("info") }, securityContext: { ensureNonRoot: false } }],
  });
  deployment.exposeViaService({ name, ports: [{ port: 8080, targetPort: 8080, name: "http" }, { port: 9090, targetPort: 9090, name: "grpc" }] });
}
const construct = performance.now() - t0;
const t1 = performance.now();
app.synth();
const synth = performance.now() - t1;
const files = fs.readdirSync(outDir);
const bytes = files.reduce((sum, f) => sum + fs.statSync(`${outDir}/${f}`).size, 0);
fs.writeFileSync(resultFile, JSON.stringify({ moduleLoad, construct, synth, total: performance.now(), maxRssKiB: process.resourceUsage().maxRSS, cpu: (process.resourceUsage().userCPUTime + process.resourceUsage().systemCPUTime) / 1000, files: files.length, bytes }));
