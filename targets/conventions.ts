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
/**
 * The name Linkerd's identity issuer certificate must carry (as CN and as a DNS SAN: Linkerd checks
 * the SAN) — `identity.linkerd.cluster.local` for the default trust domain.
 */
export function linkerdIssuerName(trustDomain: string): string {
  return `identity.linkerd.${trustDomain}`;
}

/** A mesh control plane the sidecars must reach: where it runs and the ports they dial. */
export interface ControlPlane {
  readonly namespace: string;
  readonly podLabels: Readonly<Record<string, string>>;
  readonly ports: readonly number[];
}

/**
 * The control planes of the mesh targets, for egress policies: a sidecar that cannot reach its
 * control plane never becomes ready. Istio's sidecars dial istiod on 15012 (xDS and CA); Linkerd's
 * proxies dial identity (8080), destination (8086) and policy (8090), all labelled with the
 * control plane's namespace. Envoy sidecars are static and dial nothing.
 */
export const CONTROL_PLANES: Readonly<Record<string, ControlPlane>> = {
  istio: { namespace: ISTIO_SYSTEM_NAMESPACE, podLabels: { app: "istiod" }, ports: [15012] },
  linkerd: { namespace: LINKERD_NAMESPACE, podLabels: { "linkerd.io/control-plane-ns": LINKERD_NAMESPACE }, ports: [8080, 8086, 8090] },
};
