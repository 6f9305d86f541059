/**
 * Names and labels several targets must agree on. One place, so the certificate target, the Envoy
 * sidecars, the Pulumi program and the evaluators never drift apart.
 */
import type { Identity, MeshIR, ServiceIR, VersionIR } from "../compiler/ir.js";

/** Labels meshc puts on every object it generates. */
export function managedLabels(ir: MeshIR): Record<string, string> {
  return { "app.kubernetes.io/managed-by": "meshc", "meshc.dev/mesh": ir.name };
}

/** The Secret holding a workload identity's certificate (`tls.crt`, `tls.key`, `ca.crt`). */
export function workloadCertSecretName(identity: Identity): string {
  return `${identity.serviceAccount}-mesh-cert`.slice(0, 253);
}

/** Name of the Deployment for a service, or for one version of it. */
export function deploymentName(service: ServiceIR, version?: VersionIR): string {
  return version ? `${service.name}-${version.name}` : service.name;
}

/** Name of the per-version Service some targets need (Linkerd/GAMMA backendRefs). */
export function versionServiceName(service: ServiceIR, version: VersionIR): string {
  return `${service.name}-${version.name}`;
}

/** The namespace Istio's control plane (and its plug-in CA secret `cacerts`) lives in. */
export const ISTIO_SYSTEM_NAMESPACE = "istio-system";
/** The namespace Linkerd's control plane (and its identity issuer secret) lives in. */
export const LINKERD_NAMESPACE = "linkerd";
/** The identity issuer's certificate subject Linkerd requires. */
export const LINKERD_ISSUER_NAME = "identity.linkerd.cluster.local";
