/**
 * The mesh's CA material for other targets: the one place that turns the IR and the state
 * directory into certificates. Istio's plug-in CA Secret and Linkerd's identity objects are
 * written by the Istio and Linkerd targets through these helpers, so each object lands in the
 * output folder of the mesh that reads it (`kubectl apply -k out/istio` is complete on its own,
 * and out/certs never holds objects for a control plane the cluster may not run).
 *
 * Every helper may create CA state under `options.stateDir` (keys 0600) and holds the state
 * directory's lock while it reads or writes it. Private keys are returned only in memory.
 */
import { X509Certificate } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { kubernetesArtifact, type Artifact } from "../../compiler/artifact.js";
import type { Diagnostic } from "../../compiler/diagnostics.js";
import { compareIds, type Identity, type MeshIR } from "../../compiler/ir.js";
import { cacertsSecret } from "../istio/cacerts.js";
import type { LinkerdIdentityMaterial } from "../linkerd/identity.js";
import { unsupported, type TargetOptions } from "../target.js";
import { intermediateSubject, linkerdIssuerName, linkerdIssuerSubject, rootSubject } from "./names.js";
import {
  PkiError,
  STATE_FILES,
  createIntermediate,
  isDnsName,
  loadOrCreateCa,
  parseCertificate,
  rotateIntermediate,
  withStateDir,
  type CaCredential,
  type LoadedCa,
  type MeshCa,
} from "./pki/index.js";
import { CERTS_STATE_FILES, readLinkerdIssuer, writeLinkerdIssuer } from "./state.js";

/**
 * Certificates are valid from a minute before they are issued (step-ca's default backdate), so
 * a peer whose clock lags the build machine's does not reject them as not yet valid. Lifetimes
 * still run from the moment of issuance: notAfter is `now + lifetime`.
 */
export const BACKDATE_MS = 60_000;

export interface Clock {
  /** The injected clock (`options.now`), or the system's. */
  readonly now: Date;
  /** notBefore of anything issued now. */
  readonly issuedAt: Date;
}

export function clockOf(options: Pick<TargetOptions, "now">): Clock {
  const now = options.now ?? new Date();
  return { now, issuedAt: new Date(now.getTime() - BACKDATE_MS) };
}

/** The lifetime to ask the PKI for, so that the certificate's notAfter is `now + lifetimeMs`. */
export function lifetimeFromNow(lifetimeMs: number): number {
  return lifetimeMs + BACKDATE_MS;
}

/**
 * The mesh's root and intermediate from the state directory, created on first use with the
 * mesh's key algorithm, lifetimes and subjects (`O=<mesh>, CN=<mesh> Root CA`). An existing CA
 * is kept whatever the mesh now says: the root is the mesh's identity. Throws a PkiError when the
 * state is damaged or the intermediate has expired.
 */
export function loadMeshCa(ir: MeshIR, options: TargetOptions): LoadedCa {
  const { issuedAt } = clockOf(options);
  const c = ir.certificates;
  return withStateDir(options.stateDir, {}, () => {
    requireUnexpired(options.stateDir, STATE_FILES.intermediate, "intermediate CA", issuedAt);
    return loadOrCreateCa(options.stateDir, {
      rootSubject: rootSubject(ir),
      intermediateSubject: intermediateSubject(ir),
      keyAlgorithm: c.keyAlgorithm,
      rootLifetimeMs: lifetimeFromNow(c.rootLifetimeMs),
      intermediateLifetimeMs: lifetimeFromNow(c.intermediateLifetimeMs),
      now: issuedAt,
    });
  });
}

/** The PKI's own message names a library function; a user needs the command. */
function requireUnexpired(stateDir: string, file: string, what: string, at: Date): void {
  const full = path.join(stateDir, file);
  if (!fs.existsSync(full)) return;
  const notAfter = parseCertificate(fs.readFileSync(full, "utf8")).notAfter;
  if (notAfter <= at) {
    throw new PkiError(`the ${what} in ${stateDir} (${file}) expired at ${notAfter.toISOString()}; run \`meshc certs rotate\` to issue a new one under the same root`);
  }
}

/** Every identity that gets a workload certificate: services' and ingress gateways', by SPIFFE ID. */
export function workloadIdentities(ir: MeshIR): Identity[] {
  const byId = new Map<string, Identity>();
  for (const identity of [...ir.identities, ...ir.ingresses.map((i) => i.gateway.identity)]) {
    if (!byId.has(identity.spiffeId)) byId.set(identity.spiffeId, identity);
  }
  return [...byId.values()].sort((a, b) => compareIds(a.spiffeId, b.spiffeId));
}

// ── Istio ──────────────────────────────────────────────────────────────────────────────────────

/** The files of Istio's plug-in CA Secret `cacerts` (https://istio.io/latest/docs/tasks/security/cert-management/plugin-ca-cert/). */
export interface IstioPluginCaFiles {
  /** `ca-cert.pem`: the intermediate istiod signs workload certificates with. */
  readonly caCert: string;
  /** `ca-key.pem`: its private key. */
  readonly caKey: string;
  /** `root-cert.pem`: the mesh's root. */
  readonly rootCert: string;
  /** `cert-chain.pem`: intermediate then root. */
  readonly certChain: string;
}

/**
 * The mesh CA as Istio's plug-in CA, shaped for `createIstioTarget({ pluginCa })`. Undefined
 * without `includeSecrets`: the Secret holds the intermediate's key, so nothing is prepared (or
 * created) unless it is to be written.
 */
export function istioPluginCa(ir: MeshIR, options: TargetOptions): IstioPluginCaFiles | undefined {
  if (!options.includeSecrets) return undefined;
  const ca = loadMeshCa(ir, options);
  return { caCert: ca.intermediate.certPem, caKey: ca.intermediate.privateKeyPem(), rootCert: ca.root.certPem, certChain: ca.issuerChainPem };
}

/**
 * The `istio-system/cacerts` Secret as an Istio-target artifact (sensitive), or undefined without
 * `includeSecrets`.
 */
export function istioCacerts(ir: MeshIR, options: TargetOptions): Artifact | undefined {
  const files = istioPluginCa(ir, options);
  return files ? kubernetesArtifact("istio", cacertsSecret(ir, files), { sensitive: true }) : undefined;
}

// ── Linkerd ────────────────────────────────────────────────────────────────────────────────────

/**
 * Linkerd's trust anchor (the mesh's root) and identity issuer: a second intermediate under the
 * root, ECDSA P-256, named `identity.linkerd.<trust domain>` in its CN and DNS SAN, kept in the
 * state directory beside the mesh's intermediate. The issuer is created on first use, and
 * replaced when the root or the trust domain changed. Linkerd accepts only ECDSA P-256 trust
 * anchors and issuers, so an RSA root yields a MESH200 and no material.
 *
 * The seam `createLinkerdTarget({ identity })` takes this function.
 */
export function linkerdIdentity(ir: MeshIR, options: TargetOptions): { readonly material?: LinkerdIdentityMaterial; readonly diagnostics: readonly Diagnostic[] } {
  return withStateDir(options.stateDir, {}, () => {
    const ca = loadMeshCa(ir, options);
    const issues = linkerdUnsupported(ir, ca);
    if (issues.length > 0) return { diagnostics: issues };
    const issuer = ensureLinkerdIssuer(ir, options, ca);
    return { material: { trustAnchorsPem: ca.trustBundlePem, issuer: { certificatePem: issuer.certPem, privateKeyPem: issuer.privateKeyPem() } }, diagnostics: [] };
  });
}

function linkerdUnsupported(ir: MeshIR, ca: MeshCa): Diagnostic[] {
  if (ca.root.keyAlgorithm !== "ecdsa-p256") {
    return [
      unsupported(
        "linkerd",
        `an ${ca.root.keyAlgorithm} certificate authority`,
        "Linkerd's trust anchor and identity issuer must be ECDSA P-256, so the trust anchor and issuer are not written and Linkerd keeps the identity it was installed with",
        ir.certificates.span,
      ),
    ];
  }
  const name = linkerdIssuerName(ir.trustDomain);
  if (!isDnsName(name)) {
    return [
      unsupported(
        "linkerd",
        `the trust domain "${ir.trustDomain}"`,
        `Linkerd's identity issuer is named ${name}, which must be a DNS name; the trust anchor and issuer are not written`,
        ir.fieldSpans.trustDomain ?? ir.span,
      ),
    ];
  }
  return [];
}

function issuedBy(cert: CaCredential, root: CaCredential): boolean {
  const child = new X509Certificate(cert.certDer);
  const parent = new X509Certificate(root.certDer);
  return child.checkIssued(parent) && child.verify(parent.publicKey);
}

/** The stored Linkerd issuer when it still fits the CA and trust domain; a new one otherwise. Caller holds the lock. */
function ensureLinkerdIssuer(ir: MeshIR, options: TargetOptions, ca: MeshCa): CaCredential {
  const name = linkerdIssuerName(ir.trustDomain);
  const existing = readLinkerdIssuer(options.stateDir);
  if (existing && issuedBy(existing, ca.root) && existing.info.dnsNames.includes(name)) {
    requireUnexpired(options.stateDir, CERTS_STATE_FILES.linkerdIssuer, "Linkerd identity issuer", clockOf(options).issuedAt);
    return existing;
  }
  return newLinkerdIssuer(ir, options, ca);
}

function newLinkerdIssuer(ir: MeshIR, options: TargetOptions, ca: MeshCa): CaCredential {
  const name = linkerdIssuerName(ir.trustDomain);
  const issuer = createIntermediate(ca.root, {
    subject: linkerdIssuerSubject(ir),
    dnsNames: [name],
    // Linkerd's identity controller signs with this key and accepts nothing else.
    keyAlgorithm: "ecdsa-p256",
    lifetimeMs: lifetimeFromNow(ir.certificates.intermediateLifetimeMs),
    now: clockOf(options).issuedAt,
  });
  writeLinkerdIssuer(options.stateDir, issuer);
  return issuer;
}

// ── Rotation ───────────────────────────────────────────────────────────────────────────────────

export interface Rotated {
  readonly ca: MeshCa;
  /** The new Linkerd issuer, when the state directory had one (it is otherwise created on first use). */
  readonly linkerdIssuer?: CaCredential;
}

/**
 * A new intermediate (and Linkerd issuer, if there is one) under the same root, with the mesh's
 * current lifetime and key algorithm. Workload leaves signed by the old intermediate are
 * reissued by the next build; they keep verifying against the root until then.
 */
export function rotateMeshCa(ir: MeshIR, options: TargetOptions): Rotated {
  const { issuedAt } = clockOf(options);
  return withStateDir(options.stateDir, {}, () => {
    const ca = rotateIntermediate(options.stateDir, {
      intermediateSubject: intermediateSubject(ir),
      keyAlgorithm: ir.certificates.keyAlgorithm,
      intermediateLifetimeMs: lifetimeFromNow(ir.certificates.intermediateLifetimeMs),
      now: issuedAt,
    });
    const hadLinkerd = [CERTS_STATE_FILES.linkerdIssuer, CERTS_STATE_FILES.linkerdIssuerKey].some((f) => fs.existsSync(path.join(options.stateDir, f)));
    if (!hadLinkerd || linkerdUnsupported(ir, ca).length > 0) return { ca };
    return { ca, linkerdIssuer: newLinkerdIssuer(ir, options, ca) };
  });
}
