/**
 * PeerAuthentication: the mesh's mTLS mode for each namespace that holds services (named
 * `default`, Istio's convention for the namespace-wide policy), then one per workload whose
 * service or ports say otherwise. `portLevelMtls` is keyed by the container port, which is what
 * the workload's proxy listens on (see {@link containerPortModes} for ports that share one).
 *
 * Nothing is written to the root namespace (istio-system): a policy there would be mesh-wide and
 * reach workloads this mesh does not own.
 */
import type { MtlsMode, PortIR, ServiceIR } from "../../compiler/ir.js";
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
 * the pod: Service ports that share one (a port 80 and a port 8080 both on 8080) get one mode, and
 * one protocol. Where they differ, the strictest mode is kept (refusing plaintext can break a
 * client, but never admits one the mesh did not), and both differences are reported.
 */
function containerPortModes(ctx: Context, service: ServiceIR): Map<number, MtlsMode> {
  const modes = new Map<number, MtlsMode>();
  const first = new Map<number, PortIR>();
  for (const port of service.ports) {
    const other = first.get(port.targetPort);
    if (!other) {
      first.set(port.targetPort, port);
      modes.set(port.targetPort, port.mtls);
      continue;
    }
    if (other.mtls !== port.mtls) {
      const strict = STRENGTH[port.mtls] > STRENGTH[other.mtls] ? port : other;
      const weak = strict === port ? other : port;
      modes.set(port.targetPort, strict.mtls);
      ctx.report(
        "two mTLS modes on one container port",
        `"${service.id}" ports "${other.name}" and "${port.name}" both reach container port ${port.targetPort}, where Istio applies one mode: "${strict.name}"'s ${strict.mtls} applies to "${weak.name}" too; give them different target ports`,
        weak.span,
      );
    }
    if (other.protocol !== port.protocol) {
      ctx.report(
        "two protocols on one container port",
        `"${service.id}" ports "${other.name}" (${other.protocol}) and "${port.name}" (${port.protocol}) both reach container port ${port.targetPort}, which Istio's proxy serves with one protocol; give them different target ports`,
        port.span,
      );
    }
  }
  return modes;
}
