/**
 * Workload certificates issued in the cluster by cert-manager (`certificates.issuer:
 * "cert-manager"`): no workload key ever leaves the cluster, and cert-manager renews them.
 *
 * One CA `Issuer` per namespace, not a ClusterIssuer: a ClusterIssuer would let a Certificate in
 * any namespace of the cluster obtain a certificate for any of the mesh's SPIFFE IDs, and its CA
 * Secret must live in cert-manager's "cluster resource namespace" (a controller flag meshc cannot
 * see). The price is a copy of the intermediate's Secret per namespace.
 *
 * The CA Secret's `tls.crt` is intermediate then root: cert-manager's CA issuer then writes each
 * workload Secret with `tls.crt` = leaf + intermediate and `ca.crt` = root (it drops the
 * self-signed root from the chain), the same layout meshc-issued Secrets have.
 * https://cert-manager.io/docs/configuration/ca/
 */
import type { ICertificate } from "@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate";
import type { IIssuer } from "@kubernetes-models/cert-manager/cert-manager.io/v1/Issuer";
import type { Diagnostic } from "../../compiler/diagnostics.js";
import { assertNever, type CertificatesIR, type Identity, type MeshIR } from "../../compiler/ir.js";
import { managedLabels, workloadCertSecretName } from "../conventions.js";
import { unsupported } from "../target.js";
import { TARGET, certManagerIssuerName } from "./names.js";

type Named<T> = T & { metadata: { name: string; namespace: string } };

/** cert-manager refuses shorter durations. */
const MIN_DURATION_MS = 3_600_000;

/** A Go duration (`time.ParseDuration`) in whole seconds: `24h`, `1h30m`, `90m0s` is written `1h30m`. */
export function goDuration(ms: number): string {
  let seconds = Math.floor(ms / 1000);
  const h = Math.floor(seconds / 3600);
  seconds -= h * 3600;
  const m = Math.floor(seconds / 60);
  seconds -= m * 60;
  const text = `${h > 0 ? `${h}h` : ""}${m > 0 ? `${m}m` : ""}${seconds > 0 ? `${seconds}s` : ""}`;
  return text === "" ? "0s" : text;
}

export function issuerObject(ir: MeshIR, namespace: string): Named<IIssuer> {
  const name = certManagerIssuerName(ir);
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "Issuer",
    metadata: { name, namespace, labels: managedLabels(ir) },
    spec: { ca: { secretName: name } },
  };
}

function privateKey(algorithm: CertificatesIR["keyAlgorithm"]): NonNullable<ICertificate["spec"]>["privateKey"] {
  // A new key at every renewal, as meshc's own leaves get.
  switch (algorithm) {
    case "ecdsa-p256":
      return { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" };
    case "rsa-2048":
      return { algorithm: "RSA", size: 2048, rotationPolicy: "Always" };
    default:
      return assertNever(algorithm, "key algorithm");
  }
}

/** One Certificate per identity; the lifetime is cert-manager's minimum at least (with a MESH200 below it). */
export function certificateObjects(ir: MeshIR, identities: readonly Identity[]): { objects: Named<ICertificate>[]; diagnostics: Diagnostic[] } {
  const c = ir.certificates;
  const diagnostics: Diagnostic[] = [];
  let lifetimeMs = c.leafLifetimeMs;
  if (lifetimeMs < MIN_DURATION_MS) {
    diagnostics.push(
      unsupported(TARGET, `a ${goDuration(lifetimeMs)} workload certificate lifetime with cert-manager`, "cert-manager's minimum duration is 1h, which the Certificates use instead", c.span),
    );
    lifetimeMs = MIN_DURATION_MS;
  }
  const usages: NonNullable<NonNullable<ICertificate["spec"]>["usages"]> =
    c.keyAlgorithm === "rsa-2048" ? ["digital signature", "key encipherment", "server auth", "client auth"] : ["digital signature", "server auth", "client auth"];
  const objects = identities.map(
    (identity): Named<ICertificate> => ({
      apiVersion: "cert-manager.io/v1",
      kind: "Certificate",
      metadata: { name: workloadCertSecretName(identity), namespace: identity.namespace, labels: managedLabels(ir) },
      spec: {
        secretName: workloadCertSecretName(identity),
        secretTemplate: { labels: managedLabels(ir) },
        uris: [identity.spiffeId],
        duration: goDuration(lifetimeMs),
        // Renewed with a third of its life left, as meshc renews its own leaves.
        renewBefore: goDuration(lifetimeMs / 3),
        privateKey: privateKey(c.keyAlgorithm),
        usages,
        issuerRef: { name: certManagerIssuerName(ir), kind: "Issuer", group: "cert-manager.io" },
        // Short-lived certificates renew often; without a limit their CertificateRequests pile up.
        revisionHistoryLimit: 1,
      },
    }),
  );
  return { objects, diagnostics };
}
