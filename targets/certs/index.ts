/**
 * The certs target: the mesh's PKI. Its one side effect is the CA state folder
 * (`options.stateDir`): the root and intermediate are created there once and reused, so every
 * build hands out the same trust anchor. It writes
 * - `certs/ca/root.pem` (the trust bundle) and `certs/ca/intermediate.pem`: public;
 * - a ConfigMap `<mesh>-trust-bundle` (`ca.crt`) in every namespace with a workload identity: public;
 * - workload certificates for the Envoy sidecars, one per identity (services' and gateways'),
 *   named by `workloadCertSecretName`: with `certificates.issuer: "meshc"`, a `kubernetes.io/tls`
 *   Secret each (only with `includeSecrets`, sensitive), reused from the state folder while they
 *   have more than a third of their lifetime left; with `"cert-manager"`, a CA Issuer per
 *   namespace (its CA Secret only with `includeSecrets`) and a `Certificate` per identity.
 * Istio's `cacerts` and Linkerd's trust anchor and issuer are written by those targets, through
 * ./material.ts. See README.md beside this file.
 */
import { kubernetesArtifact, type Artifact } from "../../compiler/artifact.js";
import type { Diagnostic } from "../../compiler/diagnostics.js";
import { assertNever, compareIds, type MeshIR } from "../../compiler/ir.js";
import { managedLabels, workloadCertSecretName } from "../conventions.js";
import { unsupported, type Target, type TargetOptions, type TargetResult } from "../target.js";
import { certificateObjects, issuerObject } from "./cert-manager.js";
import { ensureLeaves } from "./leaves.js";
import { clockOf, loadMeshCa, workloadIdentities } from "./material.js";
import { TARGET, certManagerIssuerName, trustBundleName } from "./names.js";
import { withStateDir, type MeshCa } from "./pki/index.js";

export { TARGET } from "./names.js";

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  [field: string]: unknown;
}

/**
 * A `kubernetes.io/tls` Secret. `caB64` is the root already encoded: the same in every Secret, it
 * is encoded once per build rather than once per identity.
 */
function tlsSecret(ir: MeshIR, name: string, namespace: string, files: { caB64: string; crt: string; key: string }): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace, labels: managedLabels(ir) },
    type: "kubernetes.io/tls",
    data: { "ca.crt": files.caB64, "tls.crt": b64(files.crt), "tls.key": b64(files.key) },
  };
}

export const certsTarget: Target = {
  name: TARGET,
  description: "The mesh CA (kept in the state folder): trust bundle, and workload certificates as Secrets or cert-manager Certificates",
  run,
};

function run(ir: MeshIR, options: TargetOptions): TargetResult {
  return withStateDir(options.stateDir, {}, () => {
    const ca = loadMeshCa(ir, options);
    const diagnostics: Diagnostic[] = [];
    const c = ir.certificates;
    if (ca.root.keyAlgorithm !== c.keyAlgorithm) {
      diagnostics.push(
        unsupported(
          TARGET,
          `the key algorithm ${c.keyAlgorithm} for the existing CA`,
          `its root was created with ${ca.root.keyAlgorithm} and is kept, since every workload trusts it; workload certificates and intermediates from \`meshc certs rotate\` use ${c.keyAlgorithm}. A new root needs a new state folder and a trust-bundle rollout`,
          c.span,
        ),
      );
    }
    const artifacts: Artifact[] = [
      { path: `${TARGET}/ca/root.pem`, text: ca.root.certPem },
      { path: `${TARGET}/ca/intermediate.pem`, text: ca.intermediate.certPem },
    ];
    const kube = (object: Parameters<typeof kubernetesArtifact>[1], sensitive = false) => artifacts.push(kubernetesArtifact(TARGET, object, sensitive ? { sensitive: true } : {}));

    const identities = workloadIdentities(ir);
    const namespaces = [...new Set(identities.map((i) => i.namespace))].sort(compareIds);
    for (const namespace of namespaces) {
      const bundle: KubeObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: trustBundleName(ir), namespace, labels: managedLabels(ir) }, data: { "ca.crt": ca.root.certPem } };
      kube(bundle);
    }

    switch (c.issuer) {
      case "meshc": {
        // Leaves exist only to be written into Secrets: without includeSecrets none is issued or stored.
        if (!options.includeSecrets) break;
        const { now, issuedAt } = clockOf(options);
        const { leaves } = ensureLeaves(
          options.stateDir,
          identities.map((i) => i.spiffeId),
          ca,
          { keyAlgorithm: c.keyAlgorithm, lifetimeMs: c.leafLifetimeMs, now, issuedAt },
        );
        const bySpiffeId = new Map(leaves.map((l) => [l.spiffeId, l]));
        const caB64 = b64(ca.root.certPem);
        for (const identity of identities) {
          const leaf = bySpiffeId.get(identity.spiffeId)!;
          kube(
            tlsSecret(ir, workloadCertSecretName(identity), identity.namespace, {
              caB64,
              crt: leaf.certificatePem + ca.intermediate.certPem,
              key: leaf.privateKeyPem(),
            }),
            true,
          );
        }
        break;
      }
      case "cert-manager": {
        for (const namespace of namespaces) {
          kube(issuerObject(ir, namespace));
          if (options.includeSecrets) kube(caSecret(ir, ca, namespace), true);
        }
        const certificates = certificateObjects(ir, identities);
        diagnostics.push(...certificates.diagnostics);
        for (const o of certificates.objects) kube(o);
        break;
      }
      default:
        assertNever(c.issuer, "certificate issuer");
    }
    artifacts.sort((a, b) => compareIds(a.path, b.path));
    return { artifacts, diagnostics };
  });
}

/** cert-manager's CA Secret: the mesh intermediate and its key, with the root in the chain so issued Secrets get it as `ca.crt`. */
function caSecret(ir: MeshIR, ca: MeshCa, namespace: string): KubeObject {
  return tlsSecret(ir, certManagerIssuerName(ir), namespace, { caB64: b64(ca.root.certPem), crt: ca.issuerChainPem, key: ca.intermediate.privateKeyPem() });
}
