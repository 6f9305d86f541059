/**
 * NetworkPolicies that enforce the mesh's call graph at L3/L4, on any CNI that implements the
 * NetworkPolicy API: per namespace a default deny, then one allow per callee port admitting
 * exactly its declared callers (by pod labels and namespace), and, when the mesh restricts
 * egress, the mirror image on the callers' side plus DNS.
 *
 * Policies open the *container* port (the IR's `targetPort`): NetworkPolicy sees traffic after
 * the Service has translated 5000 → 8080.
 *
 * A sidecar mesh's proxies also talk to their control plane (istiod, Linkerd's destination and
 * identity services) and are scraped for metrics; none of that is in the call graph, so with
 * `egress: "registry-only"` those flows need policies from the mesh's own target or the platform.
 * Likewise Istio's ambient mode tunnels pod traffic through port 15008 (HBONE), and a
 * node-local DNS cache answers on a link-local address rather than from kube-dns pods.
 */
import type {
  INetworkPolicy,
  INetworkPolicyEgressRule,
  INetworkPolicyIngressRule,
  INetworkPolicyPeer,
  INetworkPolicyPort,
} from "kubernetes-models/networking.k8s.io/v1";
import type { Diagnostic } from "../../compiler/diagnostics.js";
import {
  assertNever,
  compareIds,
  indexServices,
  type ExternalIR,
  type ExternalPortIR,
  type IngressIR,
  type MeshIR,
  type PortIR,
  type ServiceIR,
  type Span,
} from "../../compiler/ir.js";
import { managedLabels, type ControlPlane } from "../conventions.js";
import { unsupported } from "../target.js";
import { sortedLabels, TARGET, type Named } from "./workloads.js";

/** The label the API server puts on every namespace (Kubernetes ≥ 1.21): its own name. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";
/** Where cluster DNS runs, and the label CoreDNS keeps from kube-dns for compatibility. */
export const DNS_NAMESPACE = "kube-system";
export const DNS_POD_LABELS: Readonly<Record<string, string>> = { "k8s-app": "kube-dns" };

/** Egress to a mesh control plane's pods on the ports its sidecars dial. */
function controlPlaneRule(cp: ControlPlane): INetworkPolicyEgressRule {
  return {
    to: [{ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: cp.namespace } }, podSelector: { matchLabels: { ...cp.podLabels } } }],
    ports: cp.ports.map((port) => ({ protocol: "TCP", port })),
  };
}

/** Who opens a connection: a service's pods, an ingress gateway's pods, or any pod of the mesh. */
type Peer = { readonly kind: "service"; readonly service: ServiceIR } | { readonly kind: "gateway"; readonly ingress: IngressIR } | { readonly kind: "any" };

type Destination =
  | { readonly kind: "service"; readonly service: ServiceIR; readonly port: PortIR }
  | { readonly kind: "external"; readonly external: ExternalIR; readonly port: ExternalPortIR };

/** One connection the mesh allows at L4, and the declaration it comes from. */
interface Edge {
  readonly from: Peer;
  readonly to: Destination;
  readonly span: Span;
}

/** A generated policy and the declaration to blame if its name collides with another's. */
export interface PolicyOut {
  readonly policy: Named<INetworkPolicy>;
  readonly span: Span;
}

/**
 * The L4 connections the mesh allows: its calls, its ingress routes, and the copies of requests
 * a route mirrors to another service (the caller's proxy sends those, so the caller needs the
 * connection too).
 */
function edges(ir: MeshIR): Edge[] {
  const services = indexServices(ir);
  const externals = new Map(ir.external.map((x) => [x.id, x]));
  const servicePort = (id: string, port: string): Destination | undefined => {
    const service = services.get(id);
    const p = service?.ports.find((q) => q.name === port);
    return service && p ? { kind: "service", service, port: p } : undefined;
  };
  const base: Edge[] = [];
  for (const call of ir.calls) {
    let from: Peer | undefined;
    switch (call.from.kind) {
      case "any":
        from = { kind: "any" };
        break;
      case "service": {
        const service = services.get(call.from.service);
        from = service ? { kind: "service", service } : undefined;
        break;
      }
      default:
        assertNever(call.from, "caller");
    }
    let to: Destination | undefined;
    const target = call.to;
    switch (target.kind) {
      case "service":
        to = servicePort(target.service, target.port);
        break;
      case "external": {
        const external = externals.get(target.external);
        const p = external?.ports.find((q) => q.name === target.port);
        to = external && p ? { kind: "external", external, port: p } : undefined;
        break;
      }
      default:
        assertNever(target, "call target");
    }
    // An unresolved reference is a MESH1xx error; targets only run on meshes without errors.
    if (from && to) base.push({ from, to, span: call.span });
  }
  for (const ingress of ir.ingresses) {
    for (const route of ingress.routes) {
      const to = servicePort(route.to.service, route.to.port);
      if (to) base.push({ from: { kind: "gateway", ingress }, to, span: route.span });
    }
  }
  // The edges into each service port, for the mirrors below (one pass, not one per mirror).
  const into = new Map<string, Edge[]>();
  for (const e of base) {
    if (e.to.kind !== "service") continue;
    const key = `${e.to.service.id}\0${e.to.port.name}`;
    const list = into.get(key);
    if (list) list.push(e);
    else into.set(key, [e]);
  }
  const mirrored: Edge[] = [];
  for (const route of ir.routes) {
    for (const rule of route.rules) {
      const mirror = rule.mirror;
      if (!mirror) continue;
      switch (mirror.to.kind) {
        case "version":
          // Every version carries the service's `app` label, which its allow policy selects.
          break;
        case "service": {
          const to = servicePort(mirror.to.service, mirror.to.port);
          if (!to) break;
          for (const e of into.get(`${route.service}\0${route.port}`) ?? []) mirrored.push({ from: e.from, to, span: mirror.span });
          break;
        }
        default:
          assertNever(mirror.to, "mirror target");
      }
    }
  }
  return [...base, ...mirrored];
}

function peerKey(p: Peer): string {
  switch (p.kind) {
    case "service":
      return `service:${p.service.id}`;
    case "gateway":
      return `gateway:${p.ingress.gateway.namespace}/${JSON.stringify(sortedLabels(p.ingress.gateway.selector))}`;
    case "any":
      return "any";
    default:
      return assertNever(p, "peer");
  }
}

function inNamespace(ns: string): NonNullable<INetworkPolicyPeer["namespaceSelector"]> {
  return { matchLabels: { [NAMESPACE_NAME_LABEL]: ns } };
}

function peerSelectors(ir: MeshIR, p: Peer): INetworkPolicyPeer[] {
  switch (p.kind) {
    case "service":
      return [{ namespaceSelector: inNamespace(p.service.namespace), podSelector: { matchLabels: sortedLabels(p.service.selector) } }];
    case "gateway":
      return [gatewayPeer(p.ingress)];
    case "any": {
      // "Any workload of the mesh" at L3 is any pod in a namespace of the mesh: NetworkPolicy has
      // no notion of identity, so a pod in one of these namespaces outside the mesh gets in too.
      // A gateway in a namespace the mesh shares with others is an authenticated workload of the
      // mesh too (`anyService`): its own pods, not its neighbours, are admitted.
      const owned = new Set(ir.namespaces);
      const gateways = new Map<string, INetworkPolicyPeer>();
      for (const ingress of ir.ingresses) {
        if (!owned.has(ingress.gateway.namespace)) gateways.set(peerKey({ kind: "gateway", ingress }), gatewayPeer(ingress));
      }
      return [
        { namespaceSelector: { matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: "In", values: [...ir.namespaces] }] } },
        ...[...gateways.entries()].sort(([a], [b]) => compareIds(a, b)).map(([, peer]) => peer),
      ];
    }
    default:
      return assertNever(p, "peer");
  }
}

function gatewayPeer(ingress: IngressIR): INetworkPolicyPeer {
  return { namespaceSelector: inNamespace(ingress.gateway.namespace), podSelector: { matchLabels: sortedLabels(ingress.gateway.selector) } };
}

const tcp = (port: number): INetworkPolicyPort => ({ protocol: "TCP", port });

const DNS_RULE: INetworkPolicyEgressRule = {
  to: [{ namespaceSelector: inNamespace(DNS_NAMESPACE), podSelector: { matchLabels: { ...DNS_POD_LABELS } } }],
  ports: [
    { protocol: "UDP", port: 53 },
    { protocol: "TCP", port: 53 },
  ],
};

/**
 * Egress rules reaching `targets`: one rule per destination service with its container ports,
 * then one for every external port. NetworkPolicy matches addresses, never host names, so an
 * external port is opened to every address (IPv4 and IPv6); the mesh's egress rules pin the host.
 * That includes cluster addresses, where the destination's own ingress policy still applies.
 */
function egressRules(ir: MeshIR, targets: readonly Destination[]): INetworkPolicyEgressRule[] {
  const byService = new Map<string, { service: ServiceIR; ports: Set<number> }>();
  const externalPorts = new Set<number>();
  for (const t of targets) {
    switch (t.kind) {
      case "service": {
        const entry = byService.get(t.service.id) ?? { service: t.service, ports: new Set<number>() };
        entry.ports.add(t.port.targetPort);
        byService.set(t.service.id, entry);
        break;
      }
      case "external":
        externalPorts.add(t.port.port);
        break;
      default:
        assertNever(t, "destination");
    }
  }
  const numeric = (s: Set<number>) => [...s].sort((a, b) => a - b);
  const rules: INetworkPolicyEgressRule[] = [...byService.entries()]
    .sort(([a], [b]) => compareIds(a, b))
    .map(([, { service, ports }]) => ({ to: peerSelectors(ir, { kind: "service", service }), ports: numeric(ports).map(tcp) }));
  if (externalPorts.size > 0) {
    rules.push({ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }, { ipBlock: { cidr: "::/0" } }], ports: numeric(externalPorts).map(tcp) });
  }
  return rules;
}

function policy(
  ir: MeshIR,
  name: string,
  namespace: string,
  podSelector: Readonly<Record<string, string>>,
  rules: { ingress?: INetworkPolicyIngressRule[]; egress?: INetworkPolicyEgressRule[] },
): Named<INetworkPolicy> {
  const types: ("Ingress" | "Egress")[] = [];
  if (rules.ingress) types.push("Ingress");
  if (rules.egress) types.push("Egress");
  const selector = Object.keys(podSelector).length > 0 ? { matchLabels: sortedLabels(podSelector) } : {};
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name, namespace, labels: sortedLabels(managedLabels(ir)) },
    spec: {
      podSelector: selector,
      policyTypes: types,
      ...(rules.ingress && rules.ingress.length > 0 ? { ingress: rules.ingress } : {}),
      ...(rules.egress && rules.egress.length > 0 ? { egress: rules.egress } : {}),
    },
  };
}

/** Every NetworkPolicy of the mesh, and the MESH200 warnings for what they cannot say. */
export function networkPolicies(
  ir: MeshIR,
  controlPlanes: readonly ControlPlane[] = [],
  /**
   * The envoy target is built alongside: traffic goes sidecar to sidecar, and the envoy target's
   * own policies admit callers on the sidecar ports. Opening the apps' ports here as well would
   * let callers around the sidecar, without mTLS, so only the defaults stay.
   */
  envoySidecars = false,
): { policies: PolicyOut[]; diagnostics: Diagnostic[] } {
  const all = envoySidecars ? [] : edges(ir);
  const out: PolicyOut[] = [];
  const diagnostics: Diagnostic[] = [];
  const restrictEgress = ir.egress === "registry-only";
  switch (ir.egress) {
    case "registry-only":
    case "allow-any":
      break;
    default:
      assertNever(ir.egress, "egress mode");
  }

  // Namespaces holding services are the mesh's: they get namespace-wide defaults. A namespace
  // that only hosts a gateway may be shared (istio-system, say); there only the gateway's pods
  // are selected, so its neighbours keep working.
  const owned = [...new Set(ir.services.map((s) => s.namespace))].sort(compareIds);
  const ownedSet = new Set(owned);
  for (const ns of owned) {
    out.push({ policy: policy(ir, "default-deny-ingress", ns, {}, { ingress: [] }), span: ir.span });
    if (restrictEgress) {
      out.push({ policy: policy(ir, "default-deny-egress", ns, {}, { egress: [] }), span: ir.fieldSpans.defaults ?? ir.span });
      out.push({ policy: policy(ir, "allow-dns", ns, {}, { egress: [DNS_RULE] }), span: ir.fieldSpans.defaults ?? ir.span });
      if (controlPlanes.length > 0) {
        const egress = controlPlanes.map(controlPlaneRule);
        out.push({ policy: policy(ir, "allow-control-plane", ns, {}, { egress }), span: ir.fieldSpans.defaults ?? ir.span });
      }
    }
  }

  // Ingress side: one policy per callee port, from exactly its callers.
  const byCallee = new Map<string, { service: ServiceIR; port: PortIR; peers: Map<string, Peer>; span: Span }>();
  for (const e of all) {
    if (e.to.kind !== "service") continue;
    const key = `${e.to.service.id}:${e.to.port.name}`;
    const entry = byCallee.get(key) ?? { service: e.to.service, port: e.to.port, peers: new Map<string, Peer>(), span: e.to.port.span };
    entry.peers.set(peerKey(e.from), e.from);
    byCallee.set(key, entry);
  }
  // A permissive or disabled port accepts plaintext from any client (a metrics scraper, say): the
  // mesh cannot name who that is, so at L4 the port is open to every source.
  const plaintextPorts = new Map<string, { service: ServiceIR; port: PortIR }>();
  if (!envoySidecars) {
    for (const service of ir.services) {
      for (const port of service.ports) if (port.mtls !== "strict") plaintextPorts.set(`${service.id}:${port.name}`, { service, port });
    }
  }
  for (const [, { service, port }] of [...plaintextPorts.entries()].sort(([a], [b]) => compareIds(a, b))) {
    const span = port.fieldSpans.mtls ?? service.fieldSpans.mtls ?? ir.fieldSpans.defaults ?? port.span;
    out.push({
      policy: policy(ir, `allow-${service.name}-${port.name}`, service.namespace, service.selector, { ingress: [{ ports: [tcp(port.targetPort)] }] }),
      span,
    });
    diagnostics.push(
      unsupported(
        TARGET,
        `identities on the ${port.mtls} port "${service.key}:${port.name}"`,
        `NetworkPolicy cannot tell a plaintext client from a mesh workload, so the port is open to every pod at L4; the mesh's own policies still decide callers by identity`,
        span,
      ),
    );
  }
  for (const [key, { service, port, peers, span }] of [...byCallee.entries()].sort(([a], [b]) => compareIds(a, b))) {
    if (plaintextPorts.has(key)) continue;
    const any = peers.get("any");
    const from = any ? [any] : [...peers.entries()].sort(([a], [b]) => compareIds(a, b)).map(([, p]) => p);
    out.push({
      policy: policy(ir, `allow-${service.name}-${port.name}`, service.namespace, service.selector, {
        ingress: [{ from: from.flatMap((p) => peerSelectors(ir, p)), ports: [tcp(port.targetPort)] }],
      }),
      span,
    });
  }

  // The gateways are the mesh's front door: their listener is open to everyone, in or out of the
  // cluster. Health and metrics ports of a gateway implementation are not in the IR.
  for (const ingress of envoySidecars ? [] : ir.ingresses) {
    out.push({
      policy: policy(ir, `allow-gateway-${ingress.name}`, ingress.gateway.namespace, ingress.gateway.selector, { ingress: [{ ports: [tcp(ingress.targetPort)] }] }),
      span: ingress.span,
    });
  }

  if (restrictEgress) {
    const anyTargets = all.filter((e) => e.from.kind === "any").map((e) => e.to);
    // Each caller's destinations, in edge order, gathered in one pass over the edges.
    const byCaller = new Map<string, Destination[]>();
    for (const e of all) {
      const key = e.from.kind === "service" ? `service:${e.from.service.id}` : e.from.kind === "gateway" ? `gateway:${e.from.ingress.name}` : undefined;
      if (key === undefined) continue;
      const list = byCaller.get(key);
      if (list) list.push(e.to);
      else byCaller.set(key, [e.to]);
    }
    for (const service of ir.services) {
      const targets = byCaller.get(`service:${service.id}`) ?? [];
      if (targets.length === 0) continue;
      out.push({
        policy: policy(ir, `allow-egress-${service.name}`, service.namespace, service.selector, { egress: egressRules(ir, targets) }),
        span: service.span,
      });
    }
    for (const ingress of envoySidecars ? [] : ir.ingresses) {
      const routed = byCaller.get(`gateway:${ingress.name}`) ?? [];
      // In a namespace of the mesh, default-deny-egress, allow-dns and allow-egress-from-any
      // already cover the gateway's pods; in a shared namespace its own policy carries DNS and
      // what `from: any` lets every workload of the mesh call.
      const shared = !ownedSet.has(ingress.gateway.namespace);
      const rules = [...(shared ? [DNS_RULE] : []), ...egressRules(ir, shared ? [...routed, ...anyTargets] : routed)];
      if (rules.length === 0) continue;
      out.push({ policy: policy(ir, `allow-egress-gateway-${ingress.name}`, ingress.gateway.namespace, ingress.gateway.selector, { egress: rules }), span: ingress.span });
    }
    if (anyTargets.length > 0) {
      const span = all.find((e) => e.from.kind === "any")!.span;
      for (const ns of owned) out.push({ policy: policy(ir, "allow-egress-from-any", ns, {}, { egress: egressRules(ir, anyTargets) }), span });
    }
    for (const external of ir.external) {
      const ports = [...new Set(all.flatMap((e) => (e.to.kind === "external" && e.to.external.id === external.id ? [e.to.port.port] : [])))].sort((a, b) => a - b);
      if (ports.length === 0) continue;
      diagnostics.push(
        unsupported(
          TARGET,
          `egress restricted to the host "${external.host}"`,
          `NetworkPolicy matches IP addresses, not host names, so the callers of "${external.id}" may open port ${ports.join(", ")} to any address; the mesh's egress rules restrict the host`,
          external.span,
        ),
      );
    }
  }

  out.sort((a, b) => compareIds(a.policy.metadata.namespace ?? "", b.policy.metadata.namespace ?? "") || compareIds(a.policy.metadata.name, b.policy.metadata.name));
  return { policies: out, diagnostics };
}
