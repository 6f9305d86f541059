/**
 * Deploying one mesh.ts into a different namespace per stack (`bookinfo-dev`, `bookinfo`): the
 * mesh's default namespace is renamed in the IR before the targets run, with everything derived
 * from it (service ids, SPIFFE ids and principals, call and route ids) and the IR's sort orders
 * restored. Services and gateways the mesh puts in another namespace explicitly stay where they are.
 */
import { compareIds, type CallerIR, type CallTargetIR, type Identity, type MeshIR, type MirrorIR, type ServiceId } from "../../compiler/ir.js";

/** The IR as if mesh.ts had declared `namespace: to`. */
export function moveDefaultNamespace(ir: MeshIR, to: string): MeshIR {
  const from = ir.namespace;
  if (to === from) return ir;
  const ns = (n: string) => (n === from ? to : n);
  const serviceId = (id: ServiceId) => {
    const slash = id.indexOf("/");
    return slash < 0 ? id : `${ns(id.slice(0, slash))}${id.slice(slash)}`;
  };
  const identity = <T extends Identity>(x: T): T => {
    if (x.namespace !== from) return x;
    const principal = `${ir.trustDomain}/ns/${to}/sa/${x.serviceAccount}`;
    return { ...x, namespace: to, principal, spiffeId: `spiffe://${principal}` };
  };
  const caller = (c: CallerIR): CallerIR => (c.kind === "service" ? { ...c, service: serviceId(c.service) } : c);
  const callee = (c: CallTargetIR): CallTargetIR => (c.kind === "service" ? { ...c, service: serviceId(c.service) } : c);
  const mirror = (m: MirrorIR): MirrorIR => (m.to.kind === "service" ? { ...m, to: { ...m.to, service: serviceId(m.to.service) } } : m);
  // Call ids are `<caller>-><callee>:<port>[#n]` with `*` for any caller and `external/<id>` for hosts.
  const callId = (id: string) => {
    const arrow = id.indexOf("->");
    const left = id.slice(0, arrow);
    const right = id.slice(arrow + 2);
    return `${left === "*" ? left : serviceId(left)}->${right.startsWith("external/") ? right : serviceId(right)}`;
  };
  const byId = <T extends { id: string }>(a: T, b: T) => compareIds(a.id, b.id);
  return {
    ...ir,
    namespace: to,
    namespaces: [...new Set(ir.namespaces.map(ns))].sort(compareIds),
    services: ir.services
      .map((s) => ({ ...s, id: serviceId(s.id), namespace: ns(s.namespace), identity: identity(s.identity) }))
      .sort((a, b) => compareIds(a.id, b.id) || compareIds(a.key, b.key)),
    identities: ir.identities
      .map((i) => ({ ...identity(i), services: i.services.map(serviceId).sort(compareIds) }))
      .sort((a, b) => compareIds(a.spiffeId, b.spiffeId)),
    calls: ir.calls.map((c) => ({ ...c, id: callId(c.id), from: caller(c.from), to: callee(c.to) })).sort(byId),
    routes: ir.routes
      .map((r) => {
        const service = serviceId(r.service);
        return { ...r, id: `${service}:${r.port}`, service, rules: r.rules.map((rule) => (rule.mirror ? { ...rule, mirror: mirror(rule.mirror) } : rule)) };
      })
      .sort(byId),
    ingresses: ir.ingresses.map((ing) => ({
      ...ing,
      gateway: { ...ing.gateway, namespace: ns(ing.gateway.namespace), identity: identity(ing.gateway.identity) },
      routes: ing.routes.map((r) => ({ ...r, to: { ...r.to, service: serviceId(r.to.service) } })),
    })),
  };
}
