/**
 * What the CA state directory holds and how soon it expires, for `meshc certs show`. Reads
 * certificates only (never a key), takes no lock and changes nothing.
 *
 * A CA certificate is "expiring" with less than 30 days or less than a third of its lifetime
 * left, whichever comes first; a workload leaf with less than a third (the next build reissues
 * it then). Anything past its notAfter is "expired".
 */
import fs from "node:fs";
import path from "node:path";
import { CERTS_STATE_FILES, readLeaves } from "./state.js";
import { PkiError, STATE_FILES, parseCertificate } from "./pki/index.js";

const DAY_MS = 86_400_000;
const CA_WARNING_MS = 30 * DAY_MS;

export type Role = "root" | "intermediate" | "linkerd-issuer" | "leaf";
export type Status = "ok" | "expiring" | "expired";

export interface InventoryEntry {
  readonly role: Role;
  /** `O=…, CN=…`; empty for leaves. */
  readonly subject: string;
  /** `URI:…` and `DNS:…`. */
  readonly sans: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly sha256: string;
  readonly status: Status;
  /** Leaves only: false when a previous intermediate signed it (the next build reissues it). */
  readonly current: boolean;
}

export interface Problem {
  readonly severity: "error" | "warning";
  readonly message: string;
}

export interface Inventory {
  readonly stateDir: string;
  /** Root, intermediate, Linkerd issuer (if any), then leaves by SPIFFE ID. */
  readonly entries: readonly InventoryEntry[];
  readonly problems: readonly Problem[];
}

function statusOf(notBefore: Date, notAfter: Date, now: Date, ca: boolean): Status {
  const left = notAfter.getTime() - now.getTime();
  if (left <= 0) return "expired";
  const third = (notAfter.getTime() - notBefore.getTime()) / 3;
  return left < third || (ca && left < CA_WARNING_MS) ? "expiring" : "ok";
}

/** "3650 days", "23 hours", "5 minutes": coarse, as a reader wants it. */
export function timeLeft(notAfter: Date, now: Date): string {
  const ms = notAfter.getTime() - now.getTime();
  if (ms <= 0) return "expired";
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;
  // Rounded: certificate times have whole seconds, and "3649 days" for a ten-year root issued a moment ago misleads.
  if (ms >= 2 * DAY_MS) return plural(Math.round(ms / DAY_MS), "day");
  if (ms >= 2 * 3_600_000) return plural(Math.round(ms / 3_600_000), "hour");
  return plural(Math.max(1, Math.floor(ms / 60_000)), "minute");
}

const ROLE_NAMES: Record<Exclude<Role, "leaf">, string> = { root: "root CA", intermediate: "intermediate CA", "linkerd-issuer": "Linkerd identity issuer" };
const FIXES: Record<Exclude<Role, "leaf">, string> = {
  root: "a new root needs a new state folder and a rollout of the new trust anchor to every workload",
  intermediate: "`meshc certs rotate` issues a new one under the same root",
  "linkerd-issuer": "`meshc certs rotate` issues a new one under the same root",
};

/** The state directory's certificates at `now`. Throws a PkiError when it holds no CA or is damaged. */
export function inventory(stateDir: string, now: Date): Inventory {
  if (!fs.existsSync(path.join(stateDir, STATE_FILES.root))) {
    throw new PkiError(`there is no mesh CA in ${stateDir}; \`meshc certs init\` (or \`meshc build\`) creates one`);
  }
  const entries: InventoryEntry[] = [];
  const problems: Problem[] = [];
  let intermediateFingerprint = "";
  const cas: [Exclude<Role, "leaf">, string][] = [
    ["root", STATE_FILES.root],
    ["intermediate", STATE_FILES.intermediate],
    ["linkerd-issuer", CERTS_STATE_FILES.linkerdIssuer],
  ];
  for (const [role, file] of cas) {
    const full = path.join(stateDir, file);
    if (!fs.existsSync(full)) {
      if (role === "intermediate") problems.push({ severity: "error", message: `there is no intermediate CA; \`meshc certs rotate\` issues one` });
      continue;
    }
    let info;
    try {
      info = parseCertificate(fs.readFileSync(full, "utf8"));
    } catch (error) {
      throw new PkiError(`${full}: ${(error as Error).message}`);
    }
    const status = statusOf(info.notBefore, info.notAfter, now, true);
    if (role === "intermediate") intermediateFingerprint = info.sha256Fingerprint;
    entries.push({
      role,
      subject: info.subject.split("\n").filter(Boolean).join(", "),
      sans: [...info.uris.map((u) => `URI:${u}`), ...info.dnsNames.map((d) => `DNS:${d}`)],
      notBefore: info.notBefore,
      notAfter: info.notAfter,
      sha256: info.sha256Fingerprint,
      status,
      current: true,
    });
    if (status === "expired") problems.push({ severity: "error", message: `the ${ROLE_NAMES[role]} expired at ${isoSeconds(info.notAfter)}; ${FIXES[role]}` });
    if (status === "expiring") {
      problems.push({ severity: "warning", message: `the ${ROLE_NAMES[role]} expires in ${timeLeft(info.notAfter, now)} (${isoSeconds(info.notAfter)}); ${FIXES[role]}` });
    }
  }
  const leaves = readLeaves(stateDir);
  const counts = { expired: 0, expiring: 0 };
  for (const leaf of leaves) {
    const info = parseCertificate(leaf.certificatePem);
    const status = statusOf(info.notBefore, info.notAfter, now, false);
    const current = leaf.issuer === intermediateFingerprint;
    if (status === "expired") counts.expired++;
    else if (status === "expiring") counts.expiring++;
    entries.push({ role: "leaf", subject: "", sans: info.uris.map((u) => `URI:${u}`), notBefore: info.notBefore, notAfter: info.notAfter, sha256: info.sha256Fingerprint, status, current });
  }
  const certs = (n: number) => `${n} workload certificate${n === 1 ? " has" : "s have"}`;
  if (counts.expired > 0) problems.push({ severity: "error", message: `${certs(counts.expired)} expired; \`meshc build --include-secrets\` reissues them` });
  if (counts.expiring > 0) {
    problems.push({ severity: "warning", message: `${certs(counts.expiring)} less than a third of their lifetime left; the next \`meshc build --include-secrets\` reissues them` });
  }
  return { stateDir, entries, problems };
}

/** `2026-03-01T12:00:00Z`. */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
