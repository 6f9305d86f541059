// A 1,000-identity mesh: every leaf is issued once, and a second build reuses them all without
// touching the state file. Timings are only logged: the machine is shared and noisy, so speed is
// measured by `npm run bench` (certificate leaves per second at 5,000 services), not asserted here.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileMesh } from "../../compiler/compile.js";
import type { IdentityIR, MeshIR } from "../../compiler/ir.js";
import { renderOutput } from "../../compiler/writer.js";
import { example } from "../../test/helpers/mesh.js";
import { FIXTURE_NOW } from "./__fixtures__/ca.js";
import { certsTarget } from "./index.js";

const COUNT = 1000;
const parent = fs.mkdtempSync(path.join(os.tmpdir(), "meshc-certs-scale-"));
afterAll(() => fs.rmSync(parent, { recursive: true, force: true }));

function bigMesh(): MeshIR {
  const ir = compileMesh(example("bookinfo"), { skipTypeCheck: true }).ir!;
  const identities: IdentityIR[] = Array.from({ length: COUNT }, (_, i) => {
    const namespace = `team-${String(i % 20).padStart(2, "0")}`;
    const serviceAccount = `svc-${String(i).padStart(4, "0")}`;
    return { namespace, serviceAccount, spiffeId: `spiffe://${ir.trustDomain}/ns/${namespace}/sa/${serviceAccount}`, principal: `${ir.trustDomain}/ns/${namespace}/sa/${serviceAccount}`, services: [] };
  }).sort((a, b) => (a.spiffeId < b.spiffeId ? -1 : 1));
  return { ...ir, identities, ingresses: [] };
}

describe(`certs target with ${COUNT} identities`, () => {
  it("issues every leaf once and reuses them all on the next build, leaving the state file untouched", () => {
    const ir = bigMesh();
    const stateDir = path.join(parent, "state");
    const options = { stateDir, now: FIXTURE_NOW, includeSecrets: true };
    const cpu = (since?: NodeJS.CpuUsage) => {
      const u = process.cpuUsage(since);
      return (u.user + u.system) / 1000;
    };
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const first = certsTarget.run(ir, options);
    const t1 = performance.now();
    const firstCpu = cpu(c0);
    const files = renderOutput(first.artifacts);
    const statePath = path.join(stateDir, "leaves.json");
    const before = { text: fs.readFileSync(statePath, "utf8"), mtimeMs: fs.statSync(statePath).mtimeMs };
    const t2 = performance.now();
    const c2 = process.cpuUsage();
    const second = certsTarget.run(ir, options);
    const t3 = performance.now();
    const secondCpu = cpu(c2);
    const stored = fs.statSync(statePath).size;
    console.log(
      `certs target, ${COUNT} identities: first run ${(t1 - t0).toFixed(0)} ms wall / ${firstCpu.toFixed(0)} ms CPU (new CA, ${COUNT} leaves, leaves.json ${(stored / 1024).toFixed(0)} KiB), ` +
        `serialising ${files.length} files ${(t2 - t1).toFixed(0)} ms, second run (all reused) ${(t3 - t2).toFixed(0)} ms wall / ${secondCpu.toFixed(0)} ms CPU`,
    );
    const secrets = first.artifacts.filter((a) => "sensitive" in a && a.sensitive);
    expect(secrets).toHaveLength(COUNT);
    expect(new Set(secrets.map((a) => JSON.stringify((a as { yaml: { data: unknown } }).yaml.data))).size).toBe(COUNT);
    expect(JSON.stringify(second.artifacts)).toBe(JSON.stringify(first.artifacts));
    // Every leaf reused: nothing issued, so the state file is not written again.
    expect(fs.readFileSync(statePath, "utf8")).toBe(before.text);
    expect(fs.statSync(statePath).mtimeMs).toBe(before.mtimeMs);
    expect((JSON.parse(before.text) as { leaves: unknown[] }).leaves).toHaveLength(COUNT);
  });
});
