/**
 * Workload leaves issued by meshc: kept in the state directory and reused from one build to the
 * next, so the Secrets in out/ only change when a certificate is due. A stored leaf is reused
 * while it still has more than a third of its lifetime left (cert-manager's default renewal
 * point) and was issued for the same key algorithm and lifetime by the current intermediate;
 * otherwise it is reissued with a new key. Leaves of identities the mesh no longer has are
 * dropped.
 */
import { compareIds } from "../../compiler/ir.js";
import { issueLeaves, parseCertificate, type KeyAlgorithm, type MeshCa } from "./pki/index.js";
import { readLeaves, writeLeaves, WorkloadLeaf } from "./state.js";

export interface LeafPolicy {
  readonly keyAlgorithm: KeyAlgorithm;
  /** The mesh's leaf lifetime: what is left of it after issuance. */
  readonly lifetimeMs: number;
  /** The clock: what "valid for more than a third" is measured at. */
  readonly now: Date;
  /** notBefore of new leaves (a little before `now`, for clock skew). */
  readonly issuedAt: Date;
}

/** Whether a stored leaf can be handed out again at `policy.now`. */
export function reusable(leaf: WorkloadLeaf, issuerFingerprint: string, policy: LeafPolicy): boolean {
  if (leaf.keyAlgorithm !== policy.keyAlgorithm || leaf.lifetimeMs !== policy.lifetimeMs || leaf.issuer !== issuerFingerprint) return false;
  const now = policy.now.getTime();
  if (now < leaf.notBefore.getTime()) return false;
  return leaf.notAfter.getTime() - now > policy.lifetimeMs / 3;
}

/**
 * One leaf per SPIFFE ID, sorted by it: the stored ones that are still good, new ones for the
 * rest. Writes the state file only when something changed. The caller holds the state lock.
 */
export function ensureLeaves(stateDir: string, spiffeIds: readonly string[], ca: MeshCa, policy: LeafPolicy): { leaves: WorkloadLeaf[]; issued: number } {
  const stored = new Map(readLeaves(stateDir).map((l) => [l.spiffeId, l]));
  const issuer = ca.intermediate.info.sha256Fingerprint;
  const wanted = [...new Set(spiffeIds)].sort(compareIds);
  const keep: WorkloadLeaf[] = [];
  const missing: string[] = [];
  for (const id of wanted) {
    const leaf = stored.get(id);
    if (leaf && reusable(leaf, issuer, policy)) keep.push(leaf);
    else missing.push(id);
  }
  const fresh: WorkloadLeaf[] = [];
  if (missing.length > 0) {
    // notAfter is "now + lifetime", so the certificate spans the backdating as well.
    const lifetimeMs = policy.lifetimeMs + (policy.now.getTime() - policy.issuedAt.getTime());
    const issued = issueLeaves(
      missing.map((spiffeId) => ({ spiffeId })),
      { ca, lifetimeMs, now: policy.issuedAt, keyAlgorithm: policy.keyAlgorithm },
    );
    // One batch shares its validity (and a capped notAfter); reading it from the first leaf keeps parsing off the per-leaf path.
    const { notBefore, notAfter } = parseCertificate(issued[0]!.certDer);
    issued.forEach((leaf, i) => fresh.push(new WorkloadLeaf(missing[i]!, policy.keyAlgorithm, policy.lifetimeMs, issuer, notBefore, notAfter, leaf.certPem, leaf.keyPem)));
  }
  const leaves = [...keep, ...fresh].sort((a, b) => compareIds(a.spiffeId, b.spiffeId));
  const wantedSet = new Set(wanted);
  const dropped = [...stored.keys()].some((id) => !wantedSet.has(id));
  if (fresh.length > 0 || dropped) writeLeaves(stateDir, leaves);
  return { leaves, issued: fresh.length };
}
