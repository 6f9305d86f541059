import type { IDeployment } from "kubernetes-models/apps/v1";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import type { INamespace } from "kubernetes-models/v1";
import { beforeAll, describe, expect, it } from "vitest";
import type { Artifact } from "../../compiler/artifact.js";
import { compileMesh } from "../../compiler/compile.js";
import type { MeshIR, ServiceIR } from "../../compiler/ir.js";
import { deploymentName } from "../../targets/conventions.js";
import { shopMesh } from "../../targets/kubernetes/__fixtures__/shop.js";
import { kubernetesTarget } from "../../targets/kubernetes/index.js";
import { compileSource, example } from "../helpers/mesh.js";
import {
  cidrContains,
  connectionAllowed,
  egressAllows,
  ingressAllows,
  selectorMatches,
  type Cluster,
  type Endpoint,
  type L4Protocol,
  type Pod,
} from "./network-policy.js";

// ── The evaluator on hand-written policies ─────────────────────────────────────────────────

const np = (namespace: string, name: string, spec: INetworkPolicy["spec"]): INetworkPolicy => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name, namespace },
  spec,
});
const pod = (namespace: string, name: string, labels: Record<string, string>, ip: string, ports: Pod["ports"] = [{ port: 8080, protocol: "TCP" }]): Pod => ({
  name,
  namespace,
  labels,
  ip,
  ports,
});

describe("NetworkPolicy evaluator", () => {
  const namespaces = new Map([
    ["a", { team: "x" }],
    ["b", { team: "y" }],
  ]);
  const client = pod("a", "client", { app: "client" }, "10.0.0.1");
  const other = pod("b", "client-b", { app: "client" }, "10.0.1.1");
  const server = pod("a", "server", { app: "server" }, "10.0.0.2", [
    { name: "http", port: 8080, protocol: "TCP" },
    { name: "dns", port: 53, protocol: "UDP" },
  ]);

  it("allows everything when no policy selects either pod", () => {
    expect(connectionAllowed({ namespaces, policies: [] }, client, server, 8080, "TCP")).toBe(true);
  });

  it("isolates a selected pod and admits only what a rule allows", () => {
    const c: Cluster = {
      namespaces,
      policies: [np("a", "deny", { podSelector: {}, policyTypes: ["Ingress"] }), np("a", "allow", { podSelector: { matchLabels: { app: "server" } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: "client" } } }], ports: [{ port: 8080 }] }] })],
    };
    expect(connectionAllowed(c, client, server, 8080, "TCP")).toBe(true);
    expect(connectionAllowed(c, client, server, 8081, "TCP")).toBe(false);
    // The port's protocol defaults to TCP.
    expect(connectionAllowed(c, client, server, 8080, "UDP")).toBe(false);
    // A podSelector alone means the policy's own namespace.
    expect(connectionAllowed(c, other, server, 8080, "TCP")).toBe(false);
    // A policy selecting nobody else leaves other pods open.
    expect(connectionAllowed(c, server, client, 8080, "TCP")).toBe(false);
  });

  it("ANDs namespaceSelector and podSelector in one peer, ORs separate peers", () => {
    const and = np("a", "and", { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "y" } }, podSelector: { matchLabels: { app: "nobody" } } }] }] });
    const or = np("a", "or", { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "y" } } }, { podSelector: { matchLabels: { app: "nobody" } } }] }] });
    expect(connectionAllowed({ namespaces, policies: [and] }, other, server, 8080, "TCP")).toBe(false);
    expect(connectionAllowed({ namespaces, policies: [or] }, other, server, 8080, "TCP")).toBe(true);
  });

  it("matches namespaces by the kubernetes.io/metadata.name label the API server sets", () => {
    const p = np("a", "p", { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: ["b"] }] } }] }] });
    expect(connectionAllowed({ namespaces, policies: [p] }, other, server, 8080, "TCP")).toBe(true);
    expect(connectionAllowed({ namespaces, policies: [p] }, client, server, 8080, "TCP")).toBe(false);
  });

  it("isolates egress only with an Egress policy type, implied by an egress section", () => {
    const implied = np("a", "implied", { podSelector: { matchLabels: { app: "client" } }, egress: [{ ports: [{ port: 53, protocol: "UDP" }] }] });
    const ingressOnly = np("a", "ingress-only", { podSelector: { matchLabels: { app: "client" } } });
    expect(egressAllows({ namespaces, policies: [implied] }, client, server, 8080, "TCP")).toBe(false);
    expect(egressAllows({ namespaces, policies: [implied] }, client, server, 53, "UDP")).toBe(true);
    expect(egressAllows({ namespaces, policies: [ingressOnly] }, client, server, 8080, "TCP")).toBe(true);
    expect(ingressAllows({ namespaces, policies: [ingressOnly] }, server, client, 8080, "TCP")).toBe(false);
  });

  it("resolves named ports on the destination pod, and port ranges", () => {
    const named = np("a", "named", { podSelector: {}, ingress: [{ ports: [{ port: "http" }] }] });
    const range = np("a", "range", { podSelector: {}, ingress: [{ ports: [{ port: 8000, endPort: 8100 }] }] });
    expect(ingressAllows({ namespaces, policies: [named] }, client, server, 8080, "TCP")).toBe(true);
    expect(ingressAllows({ namespaces, policies: [named] }, client, server, 53, "UDP")).toBe(false);
    expect(ingressAllows({ namespaces, policies: [range] }, client, server, 8080, "TCP")).toBe(true);
    expect(ingressAllows({ namespaces, policies: [range] }, client, server, 8101, "TCP")).toBe(false);
  });

  it("matches ipBlocks with exceptions, per address family", () => {
    const p = np("a", "ip", { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["10.0.1.0/24"] } }] }] });
    expect(ingressAllows({ namespaces, policies: [p] }, client, server, 8080, "TCP")).toBe(true);
    expect(ingressAllows({ namespaces, policies: [p] }, other, server, 8080, "TCP")).toBe(false);
    expect(ingressAllows({ namespaces, policies: [p] }, { name: "web", ip: "203.0.113.1" }, server, 8080, "TCP")).toBe(false);
    expect(cidrContains("::/0", "10.0.0.1")).toBe(false);
    expect(cidrContains("::/0", "2001:db8::1")).toBe(true);
    expect(cidrContains("2001:db8::/32", "2001:db9::1")).toBe(false);
    expect(cidrContains("0.0.0.0/0", "203.0.113.1")).toBe(true);
  });

  it("implements NotIn, Exists and DoesNotExist as Kubernetes does", () => {
    expect(selectorMatches({ matchExpressions: [{ key: "tier", operator: "NotIn", values: ["db"] }] }, {})).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: "tier", operator: "NotIn", values: ["db"] }] }, { tier: "db" })).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: "tier", operator: "Exists" }] }, {})).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: "tier", operator: "DoesNotExist" }] }, { tier: "web" })).toBe(false);
  });
});

// ── The generated policies against the mesh's call graph ──────────────────────────────────

/** What a pod is in the mesh; known from the IR, never from the policies. */
type Role =
  | { kind: "service"; service: ServiceIR }
  | { kind: "gateway"; ingresses: readonly string[] }
  | { kind: "dns" }
  | { kind: "intruder" }
  | { kind: "internet" };

interface Subject {
  readonly endpoint: Endpoint;
  readonly role: Role;
}

const INTRUDER_NS = "intruder";

/**
 * The pods: one per generated Deployment (its pod template), one per ingress gateway (its
 * selector, listening on the ingress ports), cluster DNS, a copy of each in a namespace outside
 * the mesh wearing the same labels, and a client on the internet.
 */
function inventory(ir: MeshIR, artifacts: readonly Artifact[]): { cluster: Cluster; subjects: Subject[] } {
  const objects = artifacts.flatMap((a) => ("yaml" in a ? [a.yaml as { kind: string }] : []));
  const namespaces = new Map<string, Record<string, string>>();
  for (const o of objects) if (o.kind === "Namespace") namespaces.set((o as INamespace).metadata!.name!, (o as INamespace).metadata!.labels ?? {});
  namespaces.set("kube-system", {});
  namespaces.set(INTRUDER_NS, {});
  const policies = objects.filter((o) => o.kind === "NetworkPolicy") as INetworkPolicy[];

  const owner = new Map<string, ServiceIR>();
  for (const s of ir.services) {
    if (s.versions.length === 0) owner.set(`${s.namespace}/${deploymentName(s)}`, s);
    for (const v of s.versions) owner.set(`${s.namespace}/${deploymentName(s, v)}`, s);
  }
  let n = 0;
  const ip = () => `10.244.${Math.floor(++n / 250)}.${n % 250}`;
  const subjects: Subject[] = [];
  for (const o of objects) {
    if (o.kind !== "Deployment") continue;
    const d = o as IDeployment;
    const key = `${d.metadata!.namespace}/${d.metadata!.name}`;
    const service = owner.get(key);
    if (!service) throw new Error(`Deployment ${key} belongs to no service of the mesh`);
    const ports = (d.spec!.template.spec!.containers[0]!.ports ?? []).map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.containerPort, protocol: (p.protocol ?? "TCP") as L4Protocol }));
    subjects.push({ endpoint: { name: key, namespace: d.metadata!.namespace!, labels: d.spec!.template.metadata!.labels ?? {}, ip: ip(), ports }, role: { kind: "service", service } });
  }
  const gateways = new Map<string, { ns: string; labels: Readonly<Record<string, string>>; ports: Set<number>; ingresses: string[] }>();
  for (const i of ir.ingresses) {
    const key = `${i.gateway.namespace}/${JSON.stringify(i.gateway.selector)}`;
    const g = gateways.get(key) ?? { ns: i.gateway.namespace, labels: i.gateway.selector, ports: new Set<number>(), ingresses: [] };
    g.ports.add(i.port);
    g.ingresses.push(i.name);
    gateways.set(key, g);
  }
  for (const [key, g] of gateways) {
    subjects.push({
      endpoint: { name: `gateway ${key}`, namespace: g.ns, labels: g.labels, ip: ip(), ports: [...g.ports].map((port) => ({ port, protocol: "TCP" as const })) },
      role: { kind: "gateway", ingresses: g.ingresses },
    });
  }
  subjects.push({
    endpoint: {
      name: "kube-system/coredns",
      namespace: "kube-system",
      labels: { "k8s-app": "kube-dns" },
      ip: ip(),
      ports: [
        { name: "dns", port: 53, protocol: "UDP" },
        { name: "dns-tcp", port: 53, protocol: "TCP" },
        { name: "metrics", port: 9153, protocol: "TCP" },
      ],
    },
    role: { kind: "dns" },
  });
  for (const s of [...subjects]) {
    const p = s.endpoint as Pod;
    if (s.role.kind === "dns") continue;
    subjects.push({ endpoint: { ...p, name: `${INTRUDER_NS} copy of ${p.name}`, namespace: INTRUDER_NS, ip: ip() }, role: { kind: "intruder" } });
  }
  subjects.push({ endpoint: { name: "internet", ip: "203.0.113.10" }, role: { kind: "internet" } });
  return { cluster: { namespaces, policies }, subjects };
}

/**
 * The mesh's call graph at L4, from the IR alone: the callers of each service port (calls,
 * ingress routes, and the callers of a route that mirrors to another service), and the external
 * ports each caller may open.
 */
function callGraph(ir: MeshIR) {
  type Caller = { kind: "service"; id: string } | { kind: "gateway"; ingress: string } | { kind: "any" };
  const callers = new Map<string, Caller[]>();
  const add = (to: string, c: Caller) => callers.set(to, [...(callers.get(to) ?? []), c]);
  const externalPorts: { from: Caller; port: number }[] = [];
  for (const c of ir.calls) {
    const from: Caller = c.from.kind === "any" ? { kind: "any" } : { kind: "service", id: c.from.service };
    if (c.to.kind === "service") add(`${c.to.service}:${c.to.port}`, from);
    else {
      const target = c.to;
      const port = ir.external.find((x) => x.id === target.external)!.ports.find((p) => p.name === target.port)!;
      externalPorts.push({ from, port: port.port });
    }
  }
  for (const i of ir.ingresses) for (const r of i.routes) add(`${r.to.service}:${r.to.port}`, { kind: "gateway", ingress: i.name });
  const direct = new Map(callers);
  for (const r of ir.routes) {
    for (const rule of r.rules) {
      if (rule.mirror?.to.kind === "service") for (const c of direct.get(`${r.service}:${r.port}`) ?? []) add(`${rule.mirror.to.service}:${rule.mirror.to.port}`, c);
    }
  }
  const meshNamespaces = new Set(ir.namespaces);
  const is = (s: Subject, c: Caller): boolean => {
    const p = s.endpoint as Pod;
    switch (c.kind) {
      case "any":
        // Every workload of the mesh: its services' pods and its gateways, wherever they run.
        return (s.role.kind === "service" && meshNamespaces.has(p.namespace)) || s.role.kind === "gateway";
      case "service":
        return s.role.kind === "service" && s.role.service.id === c.id;
      case "gateway":
        return s.role.kind === "gateway" && s.role.ingresses.includes(c.ingress);
    }
  };
  return {
    /** Whether the mesh lets `s` call the service port `serviceId:port`. */
    calls: (s: Subject, serviceId: string, port: string) => (callers.get(`${serviceId}:${port}`) ?? []).some((c) => is(s, c)),
    /** External ports `s` may open (to any address: NetworkPolicy cannot name a host). */
    externalPorts: (s: Subject) => new Set(externalPorts.filter((e) => is(s, e.from)).map((e) => e.port)),
  };
}

interface Decision {
  ingress: boolean;
  egress: boolean;
}

/** What the mesh says about `source` → `destination:port/protocol`, side by side. */
function expected(ir: MeshIR, graph: ReturnType<typeof callGraph>, source: Subject, destination: Subject, port: number, protocol: L4Protocol): Decision {
  const dst = destination.role;
  const opensService = (s: Subject) =>
    dst.kind === "service" && protocol === "TCP" && dst.service.ports.some((p) => p.targetPort === port && graph.calls(s, dst.service.id, p.name));

  let ingress: boolean;
  switch (dst.kind) {
    case "service":
      ingress = opensService(source);
      break;
    case "gateway":
      ingress = protocol === "TCP" && ir.ingresses.some((i) => dst.ingresses.includes(i.name) && i.port === port);
      break;
    case "dns":
    case "intruder":
    case "internet":
      // Nothing selects these pods: no policy of the mesh lives in their namespaces.
      ingress = true;
      break;
  }

  let egress: boolean;
  const meshWorkload = source.role.kind === "service" || source.role.kind === "gateway";
  if (ir.egress === "allow-any" || !meshWorkload) egress = true;
  else egress = (dst.kind === "dns" && port === 53) || opensService(source) || (protocol === "TCP" && graph.externalPorts(source).has(port));
  return { ingress, egress };
}

/** Every disagreement between the evaluator and the mesh, over every source, destination and port. */
function mismatches(ir: MeshIR, artifacts: readonly Artifact[]): string[] {
  const { cluster, subjects } = inventory(ir, artifacts);
  const graph = callGraph(ir);
  const out: string[] = [];
  for (const destination of subjects) {
    if (destination.role.kind === "internet") continue;
    const dst = destination.endpoint as Pod;
    // The container ports, the Service ports (NetworkPolicy must never open those when they
    // differ), and a port nobody declared.
    const probes = new Map<string, [number, L4Protocol]>();
    for (const p of dst.ports) probes.set(`${p.port}/${p.protocol}`, [p.port, p.protocol]);
    if (destination.role.kind === "service") for (const p of destination.role.service.ports) probes.set(`${p.port}/TCP`, [p.port, "TCP"]);
    probes.set("65000/TCP", [65000, "TCP"]);
    for (const source of subjects) {
      if (source === destination) continue;
      for (const [port, protocol] of probes.values()) {
        const want = expected(ir, graph, source, destination, port, protocol);
        const got: Decision = {
          ingress: ingressAllows(cluster, source.endpoint, dst, port, protocol),
          egress: egressAllows(cluster, source.endpoint, dst, port, protocol),
        };
        const connection = connectionAllowed(cluster, source.endpoint, dst, port, protocol);
        if (got.ingress !== want.ingress || got.egress !== want.egress || connection !== (want.ingress && want.egress)) {
          out.push(`${source.endpoint.name} -> ${dst.name}:${port}/${protocol}: mesh says ingress=${want.ingress} egress=${want.egress}, policies say ingress=${got.ingress} egress=${got.egress}`);
        }
      }
    }
  }
  return out;
}

function pairsChecked(ir: MeshIR, artifacts: readonly Artifact[]): number {
  const { subjects } = inventory(ir, artifacts);
  return subjects.filter((s) => s.role.kind !== "internet").length * subjects.length;
}

function build(ir: MeshIR | undefined): { ir: MeshIR; artifacts: readonly Artifact[] } {
  if (!ir) throw new Error("the mesh did not compile");
  const result = kubernetesTarget.run(ir, { stateDir: "/nonexistent" });
  return { ir, artifacts: result.artifacts };
}


describe("generated NetworkPolicies admit exactly the mesh's call graph", () => {
  const built: Record<string, { ir: MeshIR; artifacts: readonly Artifact[] }> = {};
  beforeAll(() => {
    built["online-boutique"] = build(compileMesh(example("online-boutique")).ir);
    built["bookinfo"] = build(compileMesh(example("bookinfo")).ir);
    built["shop"] = build(compileSource(shopMesh("registry-only")).ir);
    built["shop, allow-any"] = build(compileSource(shopMesh("allow-any")).ir);
  });

  for (const name of ["online-boutique", "bookinfo", "shop", "shop, allow-any"]) {
    it(`${name}: every (source pod, destination pod, port) agrees with the mesh`, () => {
      const { ir, artifacts } = built[name]!;
      expect(pairsChecked(ir, artifacts)).toBeGreaterThan(100);
      expect(mismatches(ir, artifacts)).toEqual([]);
    });
  }

  it("online-boutique: the checkout path is open and nothing else reaches the payment service", () => {
    const { ir, artifacts } = built["online-boutique"]!;
    const { cluster, subjects } = inventory(ir, artifacts);
    const find = (name: string) => subjects.find((s) => s.endpoint.name === name)!.endpoint as Pod;
    const checkout = find("online-boutique/checkoutservice");
    const frontend = find("online-boutique/frontend");
    const payment = find("online-boutique/paymentservice");
    const email = find("online-boutique/emailservice");
    expect(connectionAllowed(cluster, checkout, payment, 50051, "TCP")).toBe(true);
    expect(connectionAllowed(cluster, frontend, payment, 50051, "TCP")).toBe(false);
    // emailservice's Service port is 5000, its container listens on 8080: the policy opens 8080.
    expect(connectionAllowed(cluster, checkout, email, 8080, "TCP")).toBe(true);
    expect(connectionAllowed(cluster, checkout, email, 5000, "TCP")).toBe(false);
  });

  describe("a changed policy is caught", () => {
    const mutate = (f: (policies: Map<string, INetworkPolicy>) => void): string[] => {
      const { ir, artifacts } = built["online-boutique"]!;
      const copy = structuredClone(artifacts) as Artifact[];
      const policies = new Map<string, INetworkPolicy>();
      for (const a of copy) if ("yaml" in a && (a.yaml as { kind: string }).kind === "NetworkPolicy") policies.set((a.yaml as INetworkPolicy).metadata!.name!, a.yaml as INetworkPolicy);
      f(policies);
      return mismatches(
        ir,
        copy.filter((a) => !("yaml" in a) || !(a.yaml as { deleted?: boolean }).deleted),
      );
    };
    const get = (m: Map<string, INetworkPolicy>, name: string) => {
      const p = m.get(name);
      if (!p) throw new Error(`no policy ${name}; have ${[...m.keys()].join(", ")}`);
      return p;
    };

    it("a widened `from`", () => {
      const found = mutate((m) => {
        get(m, "allow-emailservice-grpc").spec!.ingress![0]!.from = [{ podSelector: {} }];
      });
      expect(found.length).toBeGreaterThan(0);
      expect(found).toContain("online-boutique/frontend -> online-boutique/emailservice:8080/TCP: mesh says ingress=false egress=false, policies say ingress=true egress=false");
    });

    it("a rule without ports", () => {
      const found = mutate((m) => {
        delete get(m, "allow-frontend-http").spec!.ingress![0]!.ports;
      });
      expect(found).toContain("online-boutique/loadgenerator -> online-boutique/frontend:65000/TCP: mesh says ingress=false egress=false, policies say ingress=true egress=false");
    });

    it("the Service port instead of the container port", () => {
      const found = mutate((m) => {
        get(m, "allow-emailservice-grpc").spec!.ingress![0]!.ports = [{ protocol: "TCP", port: 5000 }];
      });
      expect(found).toContain("online-boutique/checkoutservice -> online-boutique/emailservice:8080/TCP: mesh says ingress=true egress=true, policies say ingress=false egress=true");
    });

    it("a missing default deny", () => {
      const found = mutate((m) => {
        (get(m, "default-deny-ingress") as { deleted?: boolean }).deleted = true;
      });
      // loadgenerator has no allow policy of its own: only the default deny isolated it.
      expect(found.some((f) => f.includes("-> online-boutique/loadgenerator:"))).toBe(true);
    });

    it("an egress rule open to every namespace", () => {
      const found = mutate((m) => {
        get(m, "allow-egress-frontend").spec!.egress![0]!.to = [{ namespaceSelector: {} }];
      });
      expect(found.some((f) => f.startsWith("online-boutique/frontend -> intruder copy of"))).toBe(true);
    });
  });
});
