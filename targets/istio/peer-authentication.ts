/**
 * PeerAuthentication: the mesh's mTLS mode for each namespace that holds services (named
 * `default`, Istio's convention for the namespace-wide policy), then one per workload whose
 * service or ports say otherwise. `portLevelMtls` is keyed by the container port, which is what
 * the workload's proxy listens on (see {@link containerPortModes} for ports that share one).
 *
 * Nothing is written to the root namespace (istio-system): a policy there would be mesh-wide and
 * reach workloads this mesh does not own.
 */
import type { MtlsMode, ServiceIR } from "../../compiler/ir.js";
import { sharedContainerPortDetail, sharedContainerPorts } from "../conventions.js";
import { lockedNamespaces } from "./authorization-policy.js";
import { SECURITY, object, peerMode, type Context, type IstioObject } from "./model.js";

export function peerAuthentications(ctx: Context): IstioObject[] {
  const out: IstioObject[] = [];
  for (const ns of lockedNamespaces(ctx)) {
    out.push(object(ctx, SECURITY, "PeerAuthentication", "default", ns, { mtls: { mode: peerMode(ctx.ir.mtls) } }));
  }
  for (const service of ctx.ir.services) {
    const modes = containerPortModes(ctx, service);
    const ports = [...modes].filter(([, mode]) => mode !== service.mtls).sort(([a], [b]) => a - b);
    if (service.mtls === ctx.ir.mtls && ports.length === 0) continue;
    out.push(
      object(ctx, SECURITY, "PeerAuthentication", service.name, service.namespace, {
        selector: { matchLabels: { ...service.selector } },
        mtls: { mode: peerMode(service.mtls) },
        ...(ports.length > 0 ? { portLevelMtls: Object.fromEntries(ports.map(([port, mode]) => [String(port), { mode: peerMode(mode) }])) } : {}),
      }),
    );
  }
  return out;
}

const STRENGTH: Record<MtlsMode, number> = { disabled: 0, permissive: 1, strict: 2 };

/**
 * The mTLS mode of each container port of a service. Istio's proxy knows a port by its number on
 * the pod: Service ports that share one (a port 80 and a port 8080 both on 8080) get one mode, one
 * protocol and one authorization. Where modes differ, the strictest is kept (refusing plaintext
 * can break a client, but never admits one the mesh did not); every port of such a group is
 * reported.
 */
function containerPortModes(ctx: Context, service: ServiceIR): Map<number, MtlsMode> {
  const modes = new Map<number, MtlsMode>();
  for (const port of service.ports) {
    const before = modes.get(port.targetPort);
    if (before === undefined || STRENGTH[port.mtls] > STRENGTH[before]) modes.set(port.targetPort, port.mtls);
  }
  for (const group of sharedContainerPorts(service)) {
    for (const port of group) ctx.report("two Service ports on one container port", sharedContainerPortDetail(service, group, port, "Istio"), port.span);
  }
  return modes;
}
