/**
 * Names and labels several targets must agree on. One place, so the certificate target, the Envoy
 * sidecars, the Pulumi program and the evaluators never drift apart.
 */
import type { Identity, MeshIR, PortIR, ServiceIR, VersionIR } from "../compiler/ir.js";

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

/**
 * The ports of a service that reach one container port, in groups of two or more. Sidecar
 * proxies and NetworkPolicy know a port by its number on the pod, so such ports are one port to
 * them: what one admits, the other admits too, with one mTLS mode and one protocol. Targets that
 * work this way report every port of a group (a MESH200 at each port's line).
 */
export function sharedContainerPorts(service: ServiceIR): PortIR[][] {
  const byTarget = new Map<number, PortIR[]>();
  for (const port of service.ports) byTarget.set(port.targetPort, [...(byTarget.get(port.targetPort) ?? []), port]);
  return [...byTarget.values()].filter((ports) => ports.length > 1);
}

/** What a target says of one port of a {@link sharedContainerPorts} group. */
export function sharedContainerPortDetail(service: ServiceIR, group: readonly PortIR[], port: PortIR, who: string): string {
  const others = group.filter((p) => p !== port).map((p) => `"${p.name}"`);
  return `port "${port.name}" of "${service.id}" reaches container port ${port.targetPort} like ${others.join(" and ")}, and ${who} knows a port by its number on the pod: callers admitted on one are admitted on the other, with one mTLS mode and one protocol; give each its own target port`;
}
