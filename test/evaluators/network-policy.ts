// NetworkPolicy evaluator
// Decides whether Kubernetes would admit a connection, from NetworkPolicy objects alone.
// See: https://kubernetes.io/docs/concepts/services-networking/network-policies/
//
// The semantics implemented, as that page states them:
// - A pod is isolated for ingress (egress) when any NetworkPolicy in its namespace selects it
//   and has "Ingress" ("Egress") in its effective policyTypes. Without `policyTypes`, a policy
//   has Ingress, plus Egress when it has an `egress` section.
// - Policies are additive: an isolated pod admits what the union of the selecting policies'
//   rules allows. A connection needs both ends: the source's egress (unless the source is not
//   egress-isolated) and the destination's ingress (unless it is not ingress-isolated).
// - A rule with no `from`/`to` matches every peer; with no `ports`, every port. A peer with
//   only `podSelector` means pods of the policy's own namespace; only `namespaceSelector`, every
//   pod of the matching namespaces; both, the matching pods of the matching namespaces.
//   Selectors use matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist).
// - `ipBlock` matches addresses in `cidr` and not in `except`. The page leaves it to the
//   network plugin whether it applies to pod addresses; this evaluator applies it to them, the
//   wider reading, so a too-wide ipBlock shows up.
// - A port defaults to protocol TCP; a named port is looked up among the destination pod's
//   container ports; `endPort` makes a range.
// - Traffic from the node a pod runs on (kubelet probes) is always allowed; no node is modelled.
import type { INetworkPolicy, INetworkPolicyPeer, INetworkPolicyPort } from "kubernetes-models/networking.k8s.io/v1";
import type { Artifact } from "../../compiler/artifact.js";
import type { ConcreteRequest, EvaluatorPlugin, TargetDecision, TargetEvaluator } from "../oracle/evaluator.js";
import type { Probe } from "../oracle/intent.js";

export type L4Protocol = "TCP" | "UDP" | "SCTP";

export interface ContainerPort {
  readonly name?: string;
  readonly port: number;
  readonly protocol: L4Protocol;
}

/** A pod as NetworkPolicy sees it. */
export interface Pod {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly ip: string;
  readonly ports: readonly ContainerPort[];
}

/** A source outside the cluster: only an address. */
export interface ExternalEndpoint {
  readonly name: string;
  readonly ip: string;
}

export type Endpoint = Pod | ExternalEndpoint;

export interface Cluster {
  /** Labels per namespace; `kubernetes.io/metadata.name` is added as the API server does. */
  readonly namespaces: ReadonlyMap<string, Readonly<Record<string, string>>>;
  readonly policies: readonly INetworkPolicy[];
}

type Selector = NonNullable<INetworkPolicyPeer["podSelector"]>;

const isPod = (e: Endpoint): e is Pod => "namespace" in e;

/** matchLabels AND every matchExpression; the empty selector matches everything. */
export function selectorMatches(selector: Selector, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    switch (e.operator) {
      case "In":
        if (!has || !(e.values ?? []).includes(value!)) return false;
        break;
      case "NotIn":
        if (has && (e.values ?? []).includes(value!)) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
      default:
        throw new Error(`unknown selector operator ${e.operator}`);
    }
  }
  return true;
}

function namespaceLabels(cluster: Cluster, ns: string): Record<string, string> {
  return { ...(cluster.namespaces.get(ns) ?? {}), "kubernetes.io/metadata.name": ns };
}

function effectiveTypes(p: INetworkPolicy): readonly string[] {
  if (p.spec?.policyTypes) return p.spec.policyTypes;
  return p.spec?.egress !== undefined ? ["Ingress", "Egress"] : ["Ingress"];
}

function selecting(cluster: Cluster, pod: Pod, type: "Ingress" | "Egress"): INetworkPolicy[] {
  return cluster.policies.filter(
    (p) => p.metadata?.namespace === pod.namespace && effectiveTypes(p).includes(type) && selectorMatches(p.spec?.podSelector ?? {}, pod.labels),
  );
}

/** Whether `other` is one of the peers a rule of `policy` names. */
function peerMatches(cluster: Cluster, policy: INetworkPolicy, peer: INetworkPolicyPeer, other: Endpoint): boolean {
  if (peer.ipBlock) {
    if (!cidrContains(peer.ipBlock.cidr, other.ip)) return false;
    return !(peer.ipBlock.except ?? []).some((c) => cidrContains(c, other.ip));
  }
  if (!peer.podSelector && !peer.namespaceSelector) throw new Error(`policy ${policy.metadata?.name}: a peer must set podSelector, namespaceSelector or ipBlock`);
  if (!isPod(other)) return false;
  if (peer.namespaceSelector) {
    if (!selectorMatches(peer.namespaceSelector, namespaceLabels(cluster, other.namespace))) return false;
  } else if (other.namespace !== policy.metadata?.namespace) {
    return false;
  }
  return selectorMatches(peer.podSelector ?? {}, other.labels);
}

function portMatches(rulePort: INetworkPolicyPort, destination: Endpoint, port: number, protocol: L4Protocol): boolean {
  if ((rulePort.protocol ?? "TCP") !== protocol) return false;
  if (rulePort.port === undefined) return true;
  if (typeof rulePort.port === "string") {
    if (!isPod(destination)) return false;
    return destination.ports.some((c) => c.name === rulePort.port && c.protocol === protocol && c.port === port);
  }
  const end = rulePort.endPort ?? rulePort.port;
  return port >= rulePort.port && port <= end;
}

function portsMatch(ports: readonly INetworkPolicyPort[] | undefined, destination: Endpoint, port: number, protocol: L4Protocol): boolean {
  return ports === undefined || ports.length === 0 || ports.some((p) => portMatches(p, destination, port, protocol));
}

function peersMatch(cluster: Cluster, policy: INetworkPolicy, peers: readonly INetworkPolicyPeer[] | undefined, other: Endpoint): boolean {
  return peers === undefined || peers.length === 0 || peers.some((p) => peerMatches(cluster, policy, p, other));
}

/** Whether the source side lets `source` open the connection. */
export function egressAllows(cluster: Cluster, source: Endpoint, destination: Endpoint, port: number, protocol: L4Protocol): boolean {
  if (!isPod(source)) return true;
  const policies = selecting(cluster, source, "Egress");
  if (policies.length === 0) return true;
  return policies.some((p) => (p.spec?.egress ?? []).some((r) => peersMatch(cluster, p, r.to, destination) && portsMatch(r.ports, destination, port, protocol)));
}

/** Whether the destination side admits the connection. */
export function ingressAllows(cluster: Cluster, source: Endpoint, destination: Pod, port: number, protocol: L4Protocol): boolean {
  const policies = selecting(cluster, destination, "Ingress");
  if (policies.length === 0) return true;
  return policies.some((p) => (p.spec?.ingress ?? []).some((r) => peersMatch(cluster, p, r.from, source) && portsMatch(r.ports, destination, port, protocol)));
}

/** Kubernetes admits a connection iff both its source's egress and its destination's ingress do. */
export function connectionAllowed(cluster: Cluster, source: Endpoint, destination: Pod, port: number, protocol: L4Protocol): boolean {
  return egressAllows(cluster, source, destination, port, protocol) && ingressAllows(cluster, source, destination, port, protocol);
}

/** An address as a number and its family, for CIDR arithmetic. */
function parseIp(ip: string): { family: 4 | 6; value: bigint } {
  if (ip.includes(":")) {
    const [head, tail] = ip.split("::") as [string, string | undefined];
    const parts = (s: string | undefined) => (s ? s.split(":") : []);
    const h = parts(head);
    const t = parts(tail);
    const groups = ip.includes("::") ? [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t] : h;
    if (groups.length !== 8) throw new Error(`bad IPv6 address ${ip}`);
    return { family: 6, value: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n) };
  }
  const octets = ip.split(".").map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) throw new Error(`bad IPv4 address ${ip}`);
  return { family: 4, value: octets.reduce((acc, o) => (acc << 8n) | BigInt(o), 0n) };
}

export function cidrContains(cidr: string, ip: string): boolean {
  const [base, bits] = cidr.split("/") as [string, string | undefined];
  const net = parseIp(base);
  const addr = parseIp(ip);
  if (net.family !== addr.family) return false;
  const width = net.family === 4 ? 32n : 128n;
  const prefix = BigInt(bits ?? width.toString());
  const shift = width - prefix;
  return net.value >> shift === addr.value >> shift;
}

// ── The intent oracle's plug-in (test/oracle/evaluator.ts) ───────────────────────────────────

/** A Kubernetes object as the kubernetes target's YAML artifacts carry it. */
type Kube = { readonly kind: string; readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string> }; readonly spec?: any };

/** Pod addresses for the probes: inside the usual pod CIDR, so only an ipBlock covering it matches. */
function podIp(n: number): string {
  return `10.244.${Math.floor(n / 250)}.${(n % 250) + 1}`;
}

/**
 * Decides oracle probes at L4 over the kubernetes target's objects alone: the destination's pods
 * are the Deployments its Service selects (or, for a service whose workload meshc does not
 * deploy, pods wearing the labels the probe names), the port is the Service port's `targetPort`
 * on those pods, and the source is the calling pod as the probe describes it (its namespace and
 * labels: a Deployment's pod template, a gateway's selector, or an unmeshed pod). Every pod the
 * Service selects must admit the connection, since the Service may pick any of them.
 *
 * NetworkPolicy has no identities and no TLS: it tells callers apart by pod labels and namespace
 * (`subjects: "workload"`), and it decides connections, not requests (`layer: "connection"`).
 */
export function networkPolicyOracleEvaluator(artifacts: readonly Artifact[]): TargetEvaluator {
  const objects = artifacts.flatMap((a) => ("yaml" in a && a.yaml && typeof a.yaml === "object" ? [a.yaml as Kube] : []));
  const namespaces = new Map<string, Record<string, string>>();
  for (const o of objects) if (o.kind === "Namespace") namespaces.set(o.metadata.name, o.metadata.labels ?? {});
  const cluster: Cluster = { namespaces, policies: objects.filter((o) => o.kind === "NetworkPolicy") as INetworkPolicy[] };
  const services = objects.filter((o) => o.kind === "Service");
  let n = 0;
  const deployed: Pod[] = objects
    .filter((o) => o.kind === "Deployment")
    .map((d) => ({
      name: `${d.metadata.namespace}/${d.metadata.name}`,
      namespace: d.metadata.namespace!,
      labels: d.spec?.template?.metadata?.labels ?? {},
      ip: podIp(n++),
      ports: ((d.spec?.template?.spec?.containers ?? []) as { ports?: { name?: string; containerPort: number; protocol?: L4Protocol }[] }[]).flatMap((c) =>
        (c.ports ?? []).map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.containerPort, protocol: p.protocol ?? "TCP" })),
      ),
    }));
  const sourceIp = podIp(n++);
  return {
    target: "kubernetes",
    layer: "connection",
    subjects: "workload",
    decide(_probe: Probe, request: ConcreteRequest): TargetDecision | "unsupported" {
      // The oracle decides a plaintext client by the port's mTLS mode, a property of the
      // transport that NetworkPolicy never sees: to it a pod without a sidecar is a pod like any
      // other, admitted or not by its labels and namespace. The mesh targets' plug-ins decide it.
      if (request.source.kind === "plaintext") return "unsupported";
      const d = request.destination;
      const service = services.find((s) => s.metadata.name === d.service && s.metadata.namespace === d.namespace);
      if (!service) return { allowed: false, reason: `no Service ${d.namespace}/${d.service}` };
      const servicePort = ((service.spec?.ports ?? []) as { port: number; targetPort?: number | string; protocol?: L4Protocol }[]).find((p) => p.port === d.port);
      if (!servicePort) return { allowed: false, reason: `Service ${d.namespace}/${d.service} has no port ${d.port}` };
      const selector = (service.spec?.selector ?? {}) as Record<string, string>;
      let pods = deployed.filter((p) => p.namespace === d.namespace && Object.keys(selector).length > 0 && selectorMatches({ matchLabels: selector }, p.labels));
      // A service whose workload meshc does not deploy runs pods wearing the Service's labels.
      if (pods.length === 0) pods = d.pods.map((labels, i) => ({ name: `${d.namespace}/${d.service} pod ${i}`, namespace: d.namespace, labels, ip: podIp(n + 1 + i), ports: [] }));
      const protocol = servicePort.protocol ?? "TCP";
      const src = request.source;
      const source: Pod = { name: "source", namespace: src.namespace, labels: src.labels, ip: sourceIp, ports: [] };
      for (const pod of pods) {
        const target = servicePort.targetPort ?? servicePort.port;
        const port = typeof target === "number" ? target : pod.ports.find((c) => c.name === target && c.protocol === protocol)?.port;
        if (port === undefined) return { allowed: false, reason: `pod ${pod.name} has no container port "${target}"` };
        if (!egressAllows(cluster, source, pod, port, protocol)) return { allowed: false, reason: `the source's egress policies refuse ${pod.name}:${port}` };
        if (!ingressAllows(cluster, source, pod, port, protocol)) return { allowed: false, reason: `${pod.name}'s ingress policies refuse port ${port}` };
      }
      return { allowed: true, reason: `admitted by both sides' policies on ${pods.length} pod(s)` };
    },
  };
}

/** The NetworkPolicy evaluator for the oracle's equivalence suite: the kubernetes target's objects only. */
export const oraclePlugin: EvaluatorPlugin = {
  target: "kubernetes",
  evaluator: (output) => networkPolicyOracleEvaluator(output.artifacts),
};
