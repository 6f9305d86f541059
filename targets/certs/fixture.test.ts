// The test CA in __fixtures__/ca/: what it is, checked by openssl, so a regenerated or damaged
// fixture fails here rather than as a puzzling golden-file diff elsewhere.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURE_CA_DIR, FIXTURE_NOW, fixtureStateDir, generateFixtureCa } from "./__fixtures__/ca.js";
import { loadMeshCa } from "./material.js";
import { openssl } from "./pki/__fixtures__/openssl.js";
import { compileSource } from "../../test/helpers/mesh.js";

if (process.env.MESHC_REGENERATE_CA_FIXTURE === "1") generateFixtureCa(FIXTURE_CA_DIR);

const AT = ["-attime", String(Math.floor(FIXTURE_NOW.getTime() / 1000))];

describe("the fixture CA", () => {
  it("chains the intermediate and Linkerd's issuer to the root, valid at FIXTURE_NOW", () => {
    for (const file of ["intermediate.pem", "linkerd-issuer.pem"]) {
      expect(openssl(["verify", ...AT, "-x509_strict", "-CAfile", "root.pem", file], FIXTURE_CA_DIR).stdout.trim()).toBe(`${file}: OK`);
    }
    expect(openssl(["x509", "-noout", "-subject", "-in", "root.pem"], FIXTURE_CA_DIR).stdout).toBe("subject=O = meshc fixture, CN = meshc fixture Root CA\n");
    expect(openssl(["x509", "-noout", "-ext", "subjectAltName", "-in", "linkerd-issuer.pem"], FIXTURE_CA_DIR).stdout).toContain("DNS:identity.linkerd.cluster.local");
  });

  it("is what the target loads from a copy, unchanged", () => {
    const { ir } = compileSource(`import { defineMesh } from "meshc";\nexport default defineMesh({ name: "x", services: {} });\n`, { skipTypeCheck: true });
    const state = fixtureStateDir();
    try {
      const ca = loadMeshCa(ir!, { stateDir: state.dir, now: FIXTURE_NOW });
      expect(ca.created).toEqual({ root: false, intermediate: false });
      expect(ca.root.certPem).toBe(fs.readFileSync(path.join(FIXTURE_CA_DIR, "root.pem"), "utf8"));
    } finally {
      state.dispose();
    }
  });
});
