import path from "node:path";
import { inventory, isoSeconds, timeLeft, type Inventory, type InventoryEntry } from "../../../targets/certs/inventory.js";
import { loadMeshCa, rotateMeshCa } from "../../../targets/certs/material.js";
import { PkiError, type CaCredential } from "../../../targets/certs/pki/index.js";
import { compileMesh } from "../../compile.js";
import { hasErrors } from "../../diagnostics.js";
import type { MeshIR } from "../../ir.js";
import { parse, type Command } from "../command.js";
import { UsageError, type Io } from "../io.js";
import { printDiagnostics } from "../report.js";

const SUBCOMMANDS = ["init", "rotate", "show"] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

const COMMON = `Arguments:
  mesh.ts                 the mesh file (default: ./mesh.ts)

Options:
  --state-dir <dir>       the CA state folder (default: .meshc next to mesh.ts)`;

const HELP: Record<Subcommand | "certs", string> = {
  certs: `Usage: meshc certs <init|rotate|show> [mesh.ts] [options]

Manages the mesh's certificate authority. It lives in the state folder (default: .meshc next to
mesh.ts), outside out/: private keys are written there with mode 0600 and never printed.
\`meshc build\` creates it on first use and reuses it, so every build hands out the same root.

Commands:
  init      create the root and intermediate CAs if missing; print their subjects and fingerprints
  rotate    issue a new intermediate (and Linkerd identity issuer) under the same root
  show      list the root, intermediates and workload certificates, and warn about expiry

Run \`meshc certs <command> --help\` for a command's options.
`,
  init: `Usage: meshc certs init [mesh.ts] [options]

Creates the mesh's root CA (O=<mesh>, CN=<mesh> Root CA) and intermediate CA in the state folder
if they are missing, with the mesh's key algorithm and lifetimes, and prints their subjects and
SHA-256 fingerprints. An existing CA is kept as it is. Linkerd's identity issuer is created by the
first build for Linkerd.

${COMMON}
  -h, --help              show this help

Exit codes: 0 done, 1 the mesh has errors or the state folder is unusable, 2 usage or internal error.
`,
  rotate: `Usage: meshc certs rotate [mesh.ts] [options]

Issues a new intermediate CA under the same root, with the mesh's current lifetime and key
algorithm, and a new Linkerd identity issuer if the state folder has one. Workloads keep
trusting the same root, so nothing breaks while the change rolls out: the next
\`meshc build --include-secrets\` writes the new Istio cacerts and Linkerd issuer Secrets and
reissues every workload certificate under the new intermediate.

${COMMON}
  -h, --help              show this help

Exit codes: 0 rotated, 1 the mesh has errors or there is no CA to rotate, 2 usage or internal error.
`,
  show: `Usage: meshc certs show [mesh.ts] [options]

Lists the root CA, the intermediate CA, Linkerd's identity issuer and the workload certificates
kept in the state folder: subject, SANs, expiry and time left. Reads certificates only.

Warns when a CA certificate expires within 30 days or has less than a third of its lifetime
left, and when workload certificates have less than a third left (the next
\`meshc build --include-secrets\` reissues them). Expired certificates are errors.

${COMMON}
  --format <format>       text (default) or json
  --strict                warnings fail too (exit 1): for a scheduled CI check
  -h, --help              show this help

Exit codes: 0 nothing expired (warnings are printed), 1 something expired, no CA, or a warning
with --strict, 2 usage or internal error.
`,
};

export const certsCommand: Command = {
  name: "certs",
  help: HELP.certs,
  run(argv: readonly string[], io: Io) {
    const [sub, ...rest] = argv;
    if (sub === undefined || sub === "--help" || sub === "-h" || sub === "help") {
      io.stdout(HELP.certs);
      return sub === undefined ? 2 : 0;
    }
    if (!(SUBCOMMANDS as readonly string[]).includes(sub)) throw new UsageError(`unknown certs command "${sub}"; use one of ${SUBCOMMANDS.join(", ")}`);
    const { values, positionals } = parse(rest, { "state-dir": { type: "string" }, format: { type: "string" }, strict: { type: "boolean" } });
    if (values.help) {
      io.stdout(HELP[sub as Subcommand]);
      return 0;
    }
    if (sub !== "show" && (values.format !== undefined || values.strict !== undefined)) throw new UsageError(`--format and --strict belong to \`meshc certs show\``);
    if (positionals.length > 1) throw new UsageError("give at most one mesh file");
    const entry = path.resolve(io.cwd, positionals[0] ?? "mesh.ts");
    const explicitState = values["state-dir"] ? path.resolve(io.cwd, values["state-dir"]) : undefined;
    const now = new Date();
    try {
      switch (sub as Subcommand) {
        case "show":
          return show(io, explicitState ?? path.join(path.dirname(entry), ".meshc"), now, values.format ?? "text", values.strict === true);
        case "init":
        case "rotate": {
          const ir = compile(io, entry);
          if (!ir) return 1;
          const stateDir = explicitState ?? path.join(path.dirname(entry), ".meshc");
          return sub === "init" ? init(io, ir, stateDir, now) : rotate(io, ir, stateDir, now);
        }
      }
    } catch (error) {
      // A damaged or missing state folder is the user's to fix; the message says how, and never holds key material.
      if (error instanceof PkiError) {
        io.stderr(`meshc certs ${sub}: ${error.message}\n`);
        return 1;
      }
      throw error;
    }
  },
};

function compile(io: Io, entry: string): MeshIR | undefined {
  const result = compileMesh(entry);
  if (!result.ir || hasErrors(result.diagnostics)) {
    printDiagnostics(io, result.diagnostics, "text", result.sources.root, undefined);
    return undefined;
  }
  return result.ir;
}

const rel = (io: Io, p: string) => path.relative(io.cwd, p) || ".";
const LABEL_WIDTH = 18;

function caLines(label: string, cert: { subject: string; sans: readonly string[]; sha256: string; notAfter: Date }, now: Date): string {
  const head = [cert.subject, ...cert.sans].filter(Boolean).join("  ");
  return (
    `  ${label.padEnd(LABEL_WIDTH)}${head}\n` +
    `  ${"".padEnd(LABEL_WIDTH)}sha256:${cert.sha256}  expires ${isoSeconds(cert.notAfter)} (${timeLeft(cert.notAfter, now)} left)\n`
  );
}

function credentialLines(label: string, cred: CaCredential, now: Date): string {
  const info = cred.info;
  return caLines(label, { subject: info.subject.split("\n").filter(Boolean).join(", "), sans: info.dnsNames.map((d) => `DNS:${d}`), sha256: info.sha256Fingerprint, notAfter: info.notAfter }, now);
}

function init(io: Io, ir: MeshIR, stateDir: string, now: Date): number {
  const ca = loadMeshCa(ir, { stateDir, now });
  const where = rel(io, stateDir);
  const head = ca.created.root
    ? `Created the mesh CA in ${where} (private keys stay there, mode 0600, and are never printed):\n`
    : ca.created.intermediate
      ? `Created an intermediate CA under the existing root in ${where} (its key stays there, mode 0600):\n`
      : `The mesh CA in ${where} already exists; nothing changed:\n`;
  io.stdout(head + credentialLines("root CA", ca.root, now) + credentialLines("intermediate CA", ca.intermediate, now));
  return 0;
}

function rotate(io: Io, ir: MeshIR, stateDir: string, now: Date): number {
  const { ca, linkerdIssuer } = rotateMeshCa(ir, { stateDir, now });
  io.stdout(
    `Rotated the intermediate CA in ${rel(io, stateDir)} under the same root (sha256:${ca.root.info.sha256Fingerprint}):\n` +
      credentialLines("intermediate CA", ca.intermediate, now) +
      (linkerdIssuer ? credentialLines("Linkerd issuer", linkerdIssuer, now) : "") +
      `Next: \`meshc build --include-secrets\` reissues the workload certificates under it and writes the\n` +
      `new Istio cacerts and Linkerd issuer Secrets; apply them. Workloads keep trusting the same root.\n`,
  );
  return 0;
}

const ROLE_LABELS: Record<InventoryEntry["role"], string> = { root: "root CA", intermediate: "intermediate CA", "linkerd-issuer": "Linkerd issuer", leaf: "" };

function show(io: Io, stateDir: string, now: Date, format: string, strict: boolean): number {
  if (format !== "text" && format !== "json") throw new UsageError(`unknown --format "${format}"; use text or json`);
  const inv = inventory(stateDir, now);
  const failed = inv.problems.some((p) => p.severity === "error" || (strict && p.severity === "warning"));
  if (format === "json") {
    io.stdout(JSON.stringify(showJson(inv, now), null, 2) + "\n");
    return failed ? 1 : 0;
  }
  let text = `Mesh CA in ${rel(io, stateDir)}\n`;
  const leaves = inv.entries.filter((e) => e.role === "leaf");
  for (const e of inv.entries.filter((x) => x.role !== "leaf")) text += caLines(ROLE_LABELS[e.role], e, now);
  text += leaves.length === 0 ? `No workload certificates kept (\`meshc build --include-secrets\` issues them).\n` : `Workload certificates (${leaves.length})\n`;
  const width = Math.max(0, ...leaves.map((l) => (l.sans[0] ?? "").length));
  for (const l of leaves) {
    const note = l.current ? "" : "  signed by a previous intermediate; reissued by the next build";
    text += `  ${(l.sans[0] ?? "").padEnd(width)}  expires ${isoSeconds(l.notAfter)} (${timeLeft(l.notAfter, now)} left)${note}\n`;
  }
  for (const p of inv.problems) text += `${p.severity}: ${p.message}\n`;
  io.stdout(text);
  return failed ? 1 : 0;
}

function showJson(inv: Inventory, now: Date): object {
  return {
    stateDir: inv.stateDir,
    now: now.toISOString(),
    certificates: inv.entries.map((e) => ({
      role: e.role,
      subject: e.subject,
      sans: e.sans,
      notBefore: e.notBefore.toISOString(),
      notAfter: e.notAfter.toISOString(),
      daysLeft: Math.floor((e.notAfter.getTime() - now.getTime()) / 86_400_000),
      sha256: e.sha256,
      status: e.status,
      ...(e.role === "leaf" ? { current: e.current } : {}),
    })),
    problems: inv.problems,
  };
}
