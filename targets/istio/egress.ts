/**
 * What each workload may reach: a Sidecar per workload importing only the hosts its service
 * calls (what keeps a large Istio mesh's proxy memory flat: each proxy holds the clusters and
 * routes of its dependencies, not of the whole mesh), and a ServiceEntry per external host.
 */
import { assertNever, type ExternalPortIR, type ServiceIR } from "../../compiler/ir.js";
import { ISTIO_SYSTEM_NAMESPACE } from "../conventions.js";
import { NETWORKING, fqdn, namespaceRef, object, sortedUnique, type Context, type IstioObject } from "./model.js";

/** External hosts live in the mesh's namespace; their object names avoid a service's there. */
export function externalNames(ctx: Context): Map<string, string> {
  const taken = new Set(ctx.ir.services.filter((s) => s.namespace === ctx.ir.namespace).map((s) => s.name));
  return new Map(ctx.ir.external.map((x) => [x.id, taken.has(x.id) ? `${x.id}-external` : x.id]));
}

/**
 * An external host's configuration is exported to the namespaces of its callers only (`*` when
 * `anyService` may call it), so other teams' proxies neither see nor route to it.
 */
export function externalExports(ctx: Context): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const external of ctx.ir.external) {
    const callers = ctx.index.callsToExternal(external.id);
    const any = callers.some((c) => c.from.kind === "any");
    const namespaces = sortedUnique(
      callers.flatMap((c) => {
        if (c.from.kind !== "service") return [];
        const s = ctx.services.get(c.from.service);
        return s ? [namespaceRef(ctx.ir.namespace, s.namespace)] : [];
      }),
    );
    out.set(external.id, any ? ["*"] : namespaces.length > 0 ? namespaces : ["."]);
  }
  return out;
}

/** The `<namespace>/<host>` entries one service's proxy needs. */
export function egressHosts(ctx: Context, service: ServiceIR): string[] {
  const hosts = new Set<string>([`${ISTIO_SYSTEM_NAMESPACE}/*`]);
  const addService = (id: string) => {
    const target = ctx.services.get(id);
    if (target) hosts.add(`${namespaceRef(service.namespace, target.namespace)}/${fqdn(ctx, target)}`);
  };
  const calledPorts = new Set<string>();
  // Its own calls and every workload's: hosts and ports are sets, so their order does not matter.
  for (const call of [...ctx.index.callsFrom(service.id), ...ctx.index.anyCalls]) {
    switch (call.to.kind) {
      case "service":
        addService(call.to.service);
        calledPorts.add(`${call.to.service}:${call.to.port}`);
        break;
      case "external": {
        const external = ctx.external.get(call.to.external);
        if (external) hosts.add(`${namespaceRef(service.namespace, ctx.ir.namespace)}/${external.host}`);
        break;
      }
      default:
        assertNever(call.to, "call target");
    }
  }
  // A mirror is sent by the caller's proxy, which must know the mirror's host.
  for (const id of calledPorts) {
    for (const rule of ctx.index.routesWithId(id).flatMap((r) => r.rules)) if (rule.mirror?.to.kind === "service" && rule.mirror.percent > 0) addService(rule.mirror.to.service);
  }
  return sortedUnique(hosts);
}

export function sidecars(ctx: Context): IstioObject[] {
  return ctx.ir.services.map((service) =>
    object(ctx, NETWORKING, "Sidecar", service.name, service.namespace, {
      workloadSelector: { labels: { ...service.selector } },
      egress: [{ hosts: egressHosts(ctx, service) }],
      outboundTrafficPolicy: { mode: ctx.ir.egress === "registry-only" ? "REGISTRY_ONLY" : "ALLOW_ANY" },
    }),
  );
}

/**
 * How the caller's proxy sees each external protocol. `https` and `tls` are TLS the application
 * originates: the proxy passes it through, routed by SNI (HTTPS and TLS behave the same in a
 * ServiceEntry; HTTPS says what is inside). `grpc` and `http` are plaintext the proxy can route.
 */
function externalProtocol(p: ExternalPortIR): "HTTP" | "HTTPS" | "TLS" | "GRPC" | "TCP" {
  switch (p.protocol) {
    case "http":
      return "HTTP";
    case "https":
      return "HTTPS";
    case "tls":
      return "TLS";
    case "grpc":
      return "GRPC";
    case "tcp":
      return "TCP";
    default:
      return assertNever(p.protocol, "external protocol");
  }
}

export function serviceEntries(ctx: Context, names: ReadonlyMap<string, string>, exports: ReadonlyMap<string, readonly string[]>): IstioObject[] {
  return ctx.ir.external.map((external) =>
    object(ctx, NETWORKING, "ServiceEntry", names.get(external.id) ?? external.id, ctx.ir.namespace, {
      hosts: [external.host],
      location: "MESH_EXTERNAL",
      resolution: "DNS",
      ports: external.ports.map((p) => ({ number: p.port, name: p.name, protocol: externalProtocol(p) })),
      exportTo: [...(exports.get(external.id) ?? ["."])],
    }),
  );
}
