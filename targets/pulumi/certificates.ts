/**
 * Which certificates a deployment needs, and the Kubernetes objects that carry them to the
 * cluster under the names the control planes and sidecars read:
 * - Istio: `istio-system/cacerts` (istiod's plug-in CA);
 * - Linkerd: `linkerd/linkerd-identity-issuer` and the trust-roots ConfigMap (Linkerd installed
 *   with `identity.externalCA=true`);
 * - workloads: `<namespace>/<serviceAccount>-mesh-cert` for every identity whose Secret a deployed
 *   pod mounts.
 * Key material goes only into Secrets, whose `data` is a Pulumi secret.
 */
import * as pulumi from "@pulumi/pulumi";
import { compareIds, type Identity, type MeshIR } from "../../compiler/ir.js";
import { ISTIO_SYSTEM_NAMESPACE, LINKERD_NAMESPACE, managedLabels, workloadCertSecretName } from "../conventions.js";
import { CACERTS_SECRET } from "../istio/cacerts.js";
import { ISSUER_SECRET, TRUST_ROOTS_CONFIGMAP } from "../linkerd/identity.js";
import type { KubeObject, PlannedObject } from "./objects.js";
import type { MeshPki } from "./pki.js";

export interface CertificateNeeds {
  /** Istio's plug-in CA Secret. */
  readonly istio: boolean;
  /** Linkerd's identity issuer and trust roots. */
  readonly linkerd: boolean;
  /** Identities whose certificate Secret a deployed workload mounts, for the PKI to issue. Sorted by SPIFFE ID. */
  readonly workloads: readonly Identity[];
  /** Mounted identities the mesh leaves to cert-manager (`certificates.issuer`): not issued here. */
  readonly certManager: readonly Identity[];
}

/** Secret names a pod spec mounts, from `secret` and `projected` volumes. */
function mountedSecrets(value: unknown, out: Set<string>): void {
  if (Array.isArray(value)) {
    for (const v of value) mountedSecrets(v, out);
    return;
  }
  if (typeof value !== "object" || value === null) return;
  const record = value as Record<string, unknown>;
  if (Array.isArray(record.volumes)) {
    for (const volume of record.volumes as { secret?: { secretName?: unknown }; projected?: { sources?: { secret?: { name?: unknown } }[] } }[]) {
      if (typeof volume.secret?.secretName === "string") out.add(volume.secret.secretName);
      for (const source of volume.projected?.sources ?? []) if (typeof source.secret?.name === "string") out.add(source.secret.name);
    }
  }
  for (const v of Object.values(record)) mountedSecrets(v, out);
}

/** What the deployed targets and objects need from the PKI. */
export function certificateNeeds(ir: MeshIR, targets: readonly string[], objects: readonly PlannedObject[]): CertificateNeeds {
  const mounted = new Set<string>();
  for (const o of objects) {
    const names = new Set<string>();
    mountedSecrets(o.object.spec, names);
    for (const n of names) mounted.add(`${o.object.metadata.namespace}/${n}`);
  }
  const candidates = new Map<string, Identity>();
  for (const identity of [...ir.identities, ...ir.ingresses.map((i) => i.gateway.identity)]) candidates.set(identity.spiffeId, identity);
  const workloads = [...candidates.values()]
    .filter((identity) => mounted.has(`${identity.namespace}/${workloadCertSecretName(identity)}`))
    .sort((a, b) => compareIds(a.spiffeId, b.spiffeId));
  const certManager = ir.certificates.issuer === "cert-manager";
  return { istio: targets.includes("istio"), linkerd: targets.includes("linkerd"), workloads: certManager ? [] : workloads, certManager: certManager ? workloads : [] };
}

export function needsAnything(needs: CertificateNeeds): boolean {
  return needs.istio || needs.linkerd || needs.workloads.length > 0;
}

/** Base64 of each value, as one secret output: a Secret's `data`. */
function secretData(values: Record<string, pulumi.Input<string>>): pulumi.Output<Record<string, string>> {
  return pulumi.secret(
    pulumi.all(values).apply((v) => Object.fromEntries(Object.entries(v).map(([k, text]) => [k, Buffer.from(text, "utf8").toString("base64")]))),
  );
}

/** The Secrets (and Linkerd's trust-roots ConfigMap) carrying the PKI's material. */
export function certificateObjects(ir: MeshIR, needs: CertificateNeeds, pki: MeshPki): KubeObject[] {
  const labels = managedLabels(ir);
  const out: KubeObject[] = [];
  if (needs.istio && pki.intermediate) {
    // https://istio.io/latest/docs/tasks/security/cert-management/plugin-ca-cert/
    out.push({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: CACERTS_SECRET, namespace: ISTIO_SYSTEM_NAMESPACE, labels },
      type: "Opaque",
      data: secretData({
        "ca-cert.pem": pki.intermediate.certPem,
        "ca-key.pem": pki.intermediate.keyPem,
        "cert-chain.pem": pulumi.concat(pki.intermediate.certPem, pki.rootCertPem),
        "root-cert.pem": pki.rootCertPem,
      }),
    });
  }
  if (needs.linkerd && pki.linkerdIssuer) {
    // https://linkerd.io/2-edge/tasks/automatically-rotating-control-plane-tls-credentials/
    out.push(
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: TRUST_ROOTS_CONFIGMAP, namespace: LINKERD_NAMESPACE, labels },
        data: { "ca-bundle.crt": pki.rootCertPem },
      },
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: ISSUER_SECRET, namespace: LINKERD_NAMESPACE, labels },
        type: "kubernetes.io/tls",
        data: secretData({ "ca.crt": pki.rootCertPem, "tls.crt": pki.linkerdIssuer.certPem, "tls.key": pki.linkerdIssuer.keyPem }),
      },
    );
  }
  for (const identity of needs.workloads) {
    const leaf = pki.leaves.get(identity.spiffeId);
    if (!leaf) continue;
    out.push({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: workloadCertSecretName(identity), namespace: identity.namespace, labels },
      type: "kubernetes.io/tls",
      data: secretData({ "ca.crt": pki.rootCertPem, "tls.crt": leaf.certPem, "tls.key": leaf.keyPem }),
    });
  }
  return out;
}
