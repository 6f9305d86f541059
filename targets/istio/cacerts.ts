/**
 * Istio's plug-in CA: istiod signs workload certificates with the intermediate CA it finds in
 * the `cacerts` Secret of its own namespace
 * (https://istio.io/latest/docs/tasks/security/cert-management/plugin-ca-cert/), so every
 * workload identity chains to the mesh's root.
 */
import type { MeshIR } from "../../compiler/ir.js";
import { ISTIO_SYSTEM_NAMESPACE, managedLabels } from "../conventions.js";

/** The CA material istiod needs, PEM-encoded. */
export interface IstioPluginCa {
  /** The intermediate CA certificate istiod signs with. */
  readonly caCert: string;
  /** Its private key. */
  readonly caKey: string;
  /** The mesh's root certificate. */
  readonly rootCert: string;
  /** The intermediate followed by the root: the chain istiod hands out with each leaf. */
  readonly certChain: string;
}

export const CACERTS_SECRET = "cacerts";

/** The `cacerts` Secret, with the file names istiod reads. It holds a private key: write it only when asked. */
export function cacertsSecret(ir: MeshIR, ca: IstioPluginCa): { apiVersion: "v1"; kind: "Secret"; metadata: { name: string; namespace: string; labels: Record<string, string> }; type: "Opaque"; data: Record<string, string> } {
  const b64 = (pem: string) => Buffer.from(pem, "utf8").toString("base64");
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: CACERTS_SECRET, namespace: ISTIO_SYSTEM_NAMESPACE, labels: managedLabels(ir) },
    type: "Opaque",
    data: {
      "ca-cert.pem": b64(ca.caCert),
      "ca-key.pem": b64(ca.caKey),
      "cert-chain.pem": b64(ca.certChain),
      "root-cert.pem": b64(ca.rootCert),
    },
  };
}
