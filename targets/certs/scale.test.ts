// A 1,000-identity mesh: issuance and persistence stay well under a second, and a second build
// reuses every leaf. Timings are logged (the machine is shared, so the bound is loose).
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
  it("issues, stores and writes every leaf quickly, and reuses them all on the next build", () => {
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
    const t2 = performance.now();
    const c2 = process.cpuUsage();
    const second = certsTarget.run(ir, options);
    const t3 = performance.now();
    const secondCpu = cpu(c2);
    const stored = fs.statSync(path.join(stateDir, "leaves.json")).size;
    console.log(
      `certs target, ${COUNT} identities: first run ${(t1 - t0).toFixed(0)} ms wall / ${firstCpu.toFixed(0)} ms CPU (new CA, ${COUNT} leaves, leaves.json ${(stored / 1024).toFixed(0)} KiB), ` +
        `serialising ${files.length} files ${(t2 - t1).toFixed(0)} ms, second run (all reused) ${(t3 - t2).toFixed(0)} ms wall / ${secondCpu.toFixed(0)} ms CPU`,
    );
    const secrets = first.artifacts.filter((a) => "sensitive" in a && a.sensitive);
    expect(secrets).toHaveLength(COUNT);
    expect(new Set(secrets.map((a) => JSON.stringify((a as { yaml: { data: unknown } }).yaml.data))).size).toBe(COUNT);
    expect(JSON.stringify(second.artifacts)).toBe(JSON.stringify(first.artifacts));
    // CPU time, not wall time: the machine is shared. Loose (several times what it measures), to
    // catch a regression such as a full asn1 serialisation or a key generation per reused leaf.
    expect(firstCpu).toBeLessThan(4000);
    expect(secondCpu).toBeLessThan(1500);
  });
});
