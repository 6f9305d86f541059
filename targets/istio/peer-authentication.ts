/**
 * PeerAuthentication: the mesh's mTLS mode for each namespace that holds services (named
 * `default`, Istio's convention for the namespace-wide policy), then one per workload whose
 * service or ports say otherwise. `portLevelMtls` is keyed by the container port, which is what
 * the workload's proxy listens on.
 *
 * Nothing is written to the root namespace (istio-system): a policy there would be mesh-wide and
 * reach workloads this mesh does not own.
 */
import { lockedNamespaces } from "./authorization-policy.js";
import { SECURITY, object, peerMode, type Context, type IstioObject } from "./model.js";

export function peerAuthentications(ctx: Context): IstioObject[] {
  const out: IstioObject[] = [];
  for (const ns of lockedNamespaces(ctx)) {
    out.push(object(ctx, SECURITY, "PeerAuthentication", "default", ns, { mtls: { mode: peerMode(ctx.ir.mtls) } }));
  }
  for (const service of ctx.ir.services) {
    const ports = service.ports.filter((p) => p.mtls !== service.mtls);
    if (service.mtls === ctx.ir.mtls && ports.length === 0) continue;
    out.push(
      object(ctx, SECURITY, "PeerAuthentication", service.name, service.namespace, {
        selector: { matchLabels: { ...service.selector } },
        mtls: { mode: peerMode(service.mtls) },
        ...(ports.length > 0
          ? {
              portLevelMtls: Object.fromEntries(
                [...ports].sort((a, b) => a.targetPort - b.targetPort).map((p) => [String(p.targetPort), { mode: peerMode(p.mtls) }]),
              ),
            }
          : {}),
      }),
    );
  }
  return out;
}
