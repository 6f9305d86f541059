// `meshc certs init|rotate|show` through main(), as a user runs them: what they print, what they
// change in the state folder, exit codes, and that no private key ever reaches the terminal.
import fs from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import YAML from "yaml";
import { example, scratch } from "../../../test/helpers/mesh.js";
import { FIXTURE_CA_DIR, FIXTURE_NOW, fixtureStateDir } from "../../../targets/certs/__fixtures__/ca.js";
import { openssl } from "../../../targets/certs/pki/__fixtures__/openssl.js";
import { parseCertificate } from "../../../targets/certs/pki/index.js";
import { certsTarget } from "../../../targets/certs/index.js";
import { compileMesh } from "../../compile.js";
import type { MeshIR } from "../../ir.js";
import type { Io } from "../io.js";
import { main } from "../main.js";

async function cli(argv: string[], cwd: string) {
  let stdout = "";
  let stderr = "";
  const io: Io = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), cwd, env: {}, isTty: false };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

/** The base64 lines of every private key in `dir`: none may appear in any output. */
function keyLines(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith("-key.pem"))
    .flatMap((f) => fs.readFileSync(path.join(dir, f), "utf8").split("\n"))
    .filter((l) => l.length > 20 && !l.startsWith("-----"));
}

function expectNoKeys(output: string, stateDir: string): void {
  expect(output).not.toContain("PRIVATE KEY");
  for (const line of keyLines(stateDir)) expect(output).not.toContain(line);
}

const fingerprint = (file: string) => parseCertificate(fs.readFileSync(file, "utf8")).sha256Fingerprint;

describe("meshc certs --help", () => {
  it("explains each command, and rejects what it does not know with exit 2", async () => {
    const dir = process.cwd();
    expect(await cli(["certs", "--help"], dir)).toMatchObject({ code: 0, stdout: expect.stringContaining("Usage: meshc certs <init|rotate|show>") });
    for (const sub of ["init", "rotate", "show"]) {
      const r = await cli(["certs", sub, "--help"], dir);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: meshc certs ${sub} [mesh.ts] [options]`);
      expect(r.stdout).toContain("--state-dir <dir>");
      expect(r.stdout).toMatch(/Exit codes: 0 /);
    }
    expect((await cli(["certs"], dir)).code).toBe(2);
    expect(await cli(["certs", "renew"], dir)).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown certs command "renew"; use one of init, rotate, show') });
    expect(await cli(["certs", "init", "--strict"], dir)).toMatchObject({ code: 2, stderr: expect.stringContaining("--format and --strict belong to `meshc certs show`") });
    expect((await cli(["certs", "show", "--format", "yaml", "--state-dir", FIXTURE_CA_DIR], dir)).code).toBe(2);
    expect((await cli(["--help"], dir)).stdout).toMatch(/\n {2}certs {5}Create, rotate and inspect the mesh's certificate authority/);
  });
});

describe("meshc certs init and rotate", () => {
  const s = scratch({});
  afterAll(s.dispose);
  const state = path.join(s.dir, ".meshc");
  beforeAll(() => fs.copyFileSync(example("bookinfo"), path.join(s.dir, "mesh.ts")));

  it("init creates the CA next to mesh.ts and prints subjects and fingerprints, never a key", async () => {
    const r = await cli(["certs", "init"], s.dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("Created the mesh CA in .meshc (private keys stay there, mode 0600, and are never printed):\n");
    expect(r.stdout).toContain("  root CA           O=bookinfo, CN=bookinfo Root CA\n");
    expect(r.stdout).toContain("  intermediate CA   O=bookinfo, CN=bookinfo Intermediate CA\n");
    expect(r.stdout).toContain(`sha256:${fingerprint(path.join(state, "root.pem"))}  expires `);
    expect(r.stdout).toContain(`sha256:${fingerprint(path.join(state, "intermediate.pem"))}  expires `);
    expect(r.stdout).toMatch(/\(3650 days left\)/);
    expect(fs.statSync(path.join(state, "root-key.pem")).mode & 0o777).toBe(0o600);
    expectNoKeys(r.stdout + r.stderr, state);
  });

  it("init again changes nothing", async () => {
    const root = fingerprint(path.join(state, "root.pem"));
    const intermediate = fingerprint(path.join(state, "intermediate.pem"));
    const r = await cli(["certs", "init", "mesh.ts"], s.dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^The mesh CA in \.meshc already exists; nothing changed:\n/);
    expect([fingerprint(path.join(state, "root.pem")), fingerprint(path.join(state, "intermediate.pem"))]).toEqual([root, intermediate]);
  });

  it("rotate issues a new intermediate under the same root; leaves the next build issues verify with it", async () => {
    const root = fingerprint(path.join(state, "root.pem"));
    const before = fingerprint(path.join(state, "intermediate.pem"));
    const r = await cli(["certs", "rotate"], s.dir);
    expect(r.code, r.stderr).toBe(0);
    const after = fingerprint(path.join(state, "intermediate.pem"));
    expect(after).not.toBe(before);
    expect(fingerprint(path.join(state, "root.pem"))).toBe(root);
    expect(r.stdout).toContain(`under the same root (sha256:${root})`);
    expect(r.stdout).toContain(`sha256:${after}`);
    expectNoKeys(r.stdout + r.stderr, state);
    expect(openssl(["verify", "-CAfile", "root.pem", "intermediate.pem"], state).stdout.trim()).toBe("intermediate.pem: OK");

    const built = await cli(["build", "--target", "certs", "--include-secrets", "--out", "out"], s.dir);
    expect(built.code, built.stdout + built.stderr).toBe(0);
    expectNoKeys(built.stdout + built.stderr, state);
    const secrets = YAML.parseAllDocuments(fs.readFileSync(path.join(s.dir, "out/certs/bookinfo/secrets.yaml"), "utf8")).map((d) => d.toJS() as { metadata: { name: string }; data: Record<string, string> });
    const secret = secrets.find((d) => d.metadata.name === "bookinfo-ratings-mesh-cert")!;
    const crt = Buffer.from(secret.data["tls.crt"]!, "base64").toString("utf8");
    const [leaf] = crt.split(/(?<=-----END CERTIFICATE-----\n)/);
    fs.writeFileSync(path.join(s.dir, "leaf.pem"), leaf!);
    expect(openssl(["verify", "-CAfile", path.join(state, "root.pem"), "-untrusted", path.join(state, "intermediate.pem"), "leaf.pem"], s.dir).stdout.trim()).toBe("leaf.pem: OK");
  });

  it("rotate without a CA is an error that says so", async () => {
    const r = await cli(["certs", "rotate", "--state-dir", "elsewhere"], s.dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^meshc certs rotate: .*elsewhere: no root CA \(root\.pem and root-key\.pem\) to rotate under\n$/);
    expect(fs.existsSync(path.join(s.dir, "elsewhere", "intermediate.pem"))).toBe(false);
  });

  it("init reports a mesh that does not compile, and creates nothing", async () => {
    const broken = scratch({ "mesh.ts": `import { defineMesh } from "meshc";\nexport default defineMesh({ name: 7, services: {} });\n` });
    try {
      const r = await cli(["certs", "init"], broken.dir);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/error TS2322/);
      expect(fs.existsSync(path.join(broken.dir, ".meshc"))).toBe(false);
    } finally {
      broken.dispose();
    }
  });
});

describe("meshc certs show", () => {
  let bookinfo: MeshIR;
  const state = fixtureStateDir();
  afterAll(state.dispose);
  afterEach(() => vi.useRealTimers());
  beforeAll(() => {
    bookinfo = compileMesh(example("bookinfo"), { skipTypeCheck: true }).ir!;
    certsTarget.run(bookinfo, { stateDir: state.dir, now: FIXTURE_NOW, includeSecrets: true });
  });
  const at = (iso: string | Date) => vi.useFakeTimers({ toFake: ["Date"], now: new Date(iso) });
  const show = (...extra: string[]) => cli(["certs", "show", "--state-dir", state.dir, ...extra], path.dirname(state.dir));

  it("lists the CAs with fingerprints and the workload certificates with time left", async () => {
    at(FIXTURE_NOW);
    const r = await show();
    expect(r.code, r.stderr).toBe(0);
    const fp = (f: string) => fingerprint(path.join(FIXTURE_CA_DIR, f));
    expect(r.stdout).toBe(
      [
        "Mesh CA in state",
        "  root CA           O=meshc fixture, CN=meshc fixture Root CA",
        `                    sha256:${fp("root.pem")}  expires 2055-12-25T00:00:00Z (10891 days left)`,
        "  intermediate CA   O=meshc fixture, CN=meshc fixture Intermediate CA",
        `                    sha256:${fp("intermediate.pem")}  expires 2045-12-27T00:00:00Z (7241 days left)`,
        "  Linkerd issuer    CN=identity.linkerd.cluster.local  DNS:identity.linkerd.cluster.local",
        `                    sha256:${fp("linkerd-issuer.pem")}  expires 2045-12-27T00:00:00Z (7241 days left)`,
        "Workload certificates (5)",
        "  URI:spiffe://cluster.local/ns/bookinfo/sa/bookinfo-details      expires 2026-03-02T12:00:00Z (24 hours left)",
        "  URI:spiffe://cluster.local/ns/bookinfo/sa/bookinfo-productpage  expires 2026-03-02T12:00:00Z (24 hours left)",
        "  URI:spiffe://cluster.local/ns/bookinfo/sa/bookinfo-ratings      expires 2026-03-02T12:00:00Z (24 hours left)",
        "  URI:spiffe://cluster.local/ns/bookinfo/sa/bookinfo-reviews      expires 2026-03-02T12:00:00Z (24 hours left)",
        "  URI:spiffe://cluster.local/ns/bookinfo/sa/public-gateway        expires 2026-03-02T12:00:00Z (24 hours left)",
        "",
      ].join("\n"),
    );
    expectNoKeys(r.stdout, state.dir);
    expect(r.stdout + JSON.stringify(await show("--format", "json"))).not.toContain("PRIVATE KEY");
  });

  it("warns when leaves have less than a third of their lifetime left (exit 0, or 1 with --strict), and errs once they expired", async () => {
    at(new Date(FIXTURE_NOW.getTime() + 17 * 3_600_000));
    const warned = await show();
    expect(warned.code).toBe(0);
    expect(warned.stdout).toContain(
      "warning: 5 workload certificates have less than a third of their lifetime left; the next `meshc build --include-secrets` reissues them\n",
    );
    expect((await show("--strict")).code).toBe(1);
    at(new Date(FIXTURE_NOW.getTime() + 25 * 3_600_000));
    const expired = await show();
    expect(expired.code).toBe(1);
    expect(expired.stdout).toContain("error: 5 workload certificates have expired; `meshc build --include-secrets` reissues them\n");
  });

  it("warns 30 days before a CA expires, and names the command that fixes it", async () => {
    at("2045-12-10T00:00:00Z");
    const r = await show("--format", "json");
    expect(r.code).toBe(1); // the leaves expired long ago
    const json = JSON.parse(r.stdout) as { certificates: { role: string; status: string; daysLeft: number }[]; problems: { severity: string; message: string }[] };
    expect(json.certificates.filter((c) => c.role !== "leaf").map((c) => [c.role, c.status, c.daysLeft])).toEqual([
      ["root", "ok", 3667],
      ["intermediate", "expiring", 17],
      ["linkerd-issuer", "expiring", 17],
    ]);
    expect(json.problems).toContainEqual({
      severity: "warning",
      message: "the intermediate CA expires in 17 days (2045-12-27T00:00:00Z); `meshc certs rotate` issues a new one under the same root",
    });
    at("2046-01-01T00:00:00Z");
    expect((await show()).stdout).toContain("error: the intermediate CA expired at 2045-12-27T00:00:00Z; `meshc certs rotate` issues a new one under the same root\n");
  });

  it("marks leaves signed by a previous intermediate after a rotation", async () => {
    const other = fixtureStateDir();
    try {
      certsTarget.run(bookinfo, { stateDir: other.dir, now: FIXTURE_NOW, includeSecrets: true });
      const { rotateMeshCa } = await import("../../../targets/certs/material.js");
      rotateMeshCa(bookinfo, { stateDir: other.dir, now: FIXTURE_NOW });
      at(FIXTURE_NOW);
      const r = await cli(["certs", "show", "--state-dir", other.dir], path.dirname(other.dir));
      expect(r.code).toBe(0);
      expect(r.stdout.match(/signed by a previous intermediate; reissued by the next build/g)).toHaveLength(5);
    } finally {
      other.dispose();
    }
  });

  it("says when there is no CA", async () => {
    const s = scratch({});
    try {
      const r = await cli(["certs", "show"], s.dir);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^meshc certs show: there is no mesh CA in .*\.meshc; `meshc certs init` \(or `meshc build`\) creates one\n$/);
    } finally {
      s.dispose();
    }
  });
});
