/**
 * The mesh as a graph to draw: services grouped by namespace, external hosts, ingress gateways
 * and the `anyService` wildcard as nodes; allowed calls and ingress routes as edges labelled
 * with their port and what they allow; every node and edge carrying its policy details.
 */
import { formatDuration } from "../../dsl/duration.js";
import { compareIds, type MeshIR, type RetryIR, type ServiceIR } from "../ir.js";
import { grpcText, pathText } from "../diff/access.js";

export interface GraphNode {
  /** Stable and safe in DOT, Mermaid and HTML ids: `n0`, `n1`, … in a deterministic order. */
  readonly id: string;
  readonly kind: "service" | "external" | "ingress" | "any";
  readonly label: string;
  /** The cluster it is drawn in: a namespace, or "external hosts". */
  readonly group: string;
  /** Policy details, as label → text, shown on hover and click. */
  readonly details: readonly (readonly [string, string])[];
}

export interface GraphEdge {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  /** `grpc: GetCart, AddItem`, `http: GET, POST /api/*`. */
  readonly label: string;
  readonly details: readonly (readonly [string, string])[];
}

export interface MeshGraph {
  readonly name: string;
  /** Sorted; nodes of a group appear in `nodes` in their own sorted order. */
  readonly groups: readonly string[];
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
}

const EXTERNAL_GROUP = "external hosts";

function list(items: readonly string[], max: number): string {
  return items.length <= max ? items.join(", ") : `${items.slice(0, max).join(", ")} +${items.length - max}`;
}

function retriesText(r: RetryIR): string {
  return `${r.attempts} attempt${r.attempts === 1 ? "" : "s"}${r.perTryTimeoutMs !== undefined ? `, ${formatDuration(r.perTryTimeoutMs)} per try` : ""} on ${r.on.join(", ")}${r.budget ? `, budget ${r.budget.percent}%` : ""}`;
}

function serviceDetails(s: ServiceIR): [string, string][] {
  const d: [string, string][] = [
    ["id", s.id],
    ["identity", s.identity.spiffeId],
    ["ports", s.ports.map((p) => `${p.name} ${p.port}/${p.protocol}${p.mtls !== s.mtls ? ` (mTLS ${p.mtls})` : ""}`).join(", ") || "none"],
    ["mTLS", s.mtls],
  ];
  if (s.versions.length > 0) d.push(["versions", s.versions.map((v) => v.name).join(", ")]);
  const replicas = s.workload?.replicas;
  if (s.workload?.image) d.push(["image", s.workload.image]);
  if (replicas !== undefined) d.push(["replicas", String(replicas)]);
  if (s.traffic.timeoutMs !== undefined) d.push(["timeout", formatDuration(s.traffic.timeoutMs)]);
  if (s.traffic.retries) d.push(["retries", retriesText(s.traffic.retries)]);
  if (s.traffic.circuitBreaker) {
    const cb = s.traffic.circuitBreaker;
    d.push(["circuit breaker", Object.entries({ maxConnections: cb.maxConnections, maxPendingRequests: cb.maxPendingRequests, maxRequests: cb.maxRequests, maxRetries: cb.maxRetries }).filter(([, v]) => v !== undefined).map(([k, v]) => `${k} ${v}`).join(", ")]);
  }
  if (s.traffic.outlierDetection) d.push(["outlier detection", `${s.traffic.outlierDetection.consecutiveErrors} consecutive errors, ejected ≥ ${formatDuration(s.traffic.outlierDetection.baseEjectionTimeMs)}`]);
  if (s.traffic.loadBalancer.declared) d.push(["load balancer", s.traffic.loadBalancer.kind]);
  if (s.rateLimit) d.push(["rate limit", `${s.rateLimit.requests} per ${s.rateLimit.per}, burst ${s.rateLimit.burst}`]);
  d.push(["declared in", `${s.span.file}:${s.span.line}`]);
  return d;
}

/** Builds the graph of a mesh. Deterministic: same IR, same graph. */
export function meshGraph(ir: MeshIR): MeshGraph {
  const nodes: GraphNode[] = [];
  const byKey = new Map<string, string>();
  const addNode = (key: string, node: Omit<GraphNode, "id">) => {
    const id = `n${nodes.length}`;
    nodes.push({ id, ...node });
    byKey.set(key, id);
    return id;
  };
  for (const s of [...ir.services].sort((a, b) => compareIds(a.namespace, b.namespace) || compareIds(a.key, b.key))) {
    addNode(`service:${s.id}`, { kind: "service", label: s.key, group: s.namespace, details: serviceDetails(s) });
  }
  for (const i of ir.ingresses) {
    addNode(`ingress:${i.name}`, {
      kind: "ingress",
      label: `ingress ${i.name}`,
      group: i.gateway.namespace,
      details: [
        ["listens on", `${i.port}/${i.protocol}${i.tls ? ` (TLS from secret ${i.tls.secretName})` : ""}`],
        ["hosts", i.hosts.join(", ")],
        ["gateway identity", i.gateway.identity.spiffeId],
        ["declared in", `${i.span.file}:${i.span.line}`],
      ],
    });
  }
  for (const x of ir.external) {
    addNode(`external:${x.id}`, {
      kind: "external",
      label: x.host,
      group: EXTERNAL_GROUP,
      details: [
        ["name", x.id],
        ["ports", x.ports.map((p) => `${p.name} ${p.port}/${p.protocol}`).join(", ")],
        ...(x.traffic.timeoutMs !== undefined ? [["timeout", formatDuration(x.traffic.timeoutMs)] as [string, string]] : []),
        ["declared in", `${x.span.file}:${x.span.line}`],
      ],
    });
  }
  if (ir.calls.some((c) => c.from.kind === "any")) {
    addNode("any", { kind: "any", label: "any service", group: ir.namespace, details: [["what", "every authenticated workload of the mesh (a wildcard caller)"]] });
  }
  // A reference to something undeclared still gets a node, so the picture shows the mistake.
  const nodeFor = (key: string, label: string) => byKey.get(key) ?? addNode(key, { kind: "service", label: `${label} (undeclared)`, group: ir.namespace, details: [["id", key]] });

  const edges: GraphEdge[] = [];
  for (const c of ir.calls) {
    const from = c.from.kind === "any" ? byKey.get("any")! : nodeFor(`service:${c.from.service}`, c.from.service);
    const to = c.to.kind === "service" ? nodeFor(`service:${c.to.service}`, c.to.service) : nodeFor(`external:${c.to.external}`, c.to.external);
    const allows = [
      ...(c.grpcMethods ? [list(c.grpcMethods.map((m) => m.method ?? `${m.service.split(".").pop()}/*`), 3)] : []),
      ...(c.methods ? [list(c.methods, 4)] : []),
      ...(c.paths ? [list(c.paths.map(pathText), 2)] : []),
    ];
    edges.push({
      id: `e${edges.length}`,
      from,
      to,
      label: `${c.to.port}${allows.length > 0 ? `: ${allows.join(" ")}` : ""}`,
      details: [
        ["call", c.id],
        ["protocol", c.protocol ?? "unknown"],
        ["methods", c.methods?.join(", ") ?? "any"],
        ["paths", c.paths?.map(pathText).join(", ") ?? "any"],
        ...(c.grpcMethods || c.protocol === "grpc" ? [["gRPC methods", c.grpcMethods?.map(grpcText).join(", ") ?? "any"] as [string, string]] : []),
        ["timeout", c.timeoutMs !== undefined ? formatDuration(c.timeoutMs) : "none"],
        ["retries", c.retries ? retriesText(c.retries) : "none"],
        ["declared in", `${c.span.file}:${c.span.line}`],
      ],
    });
  }
  for (const i of ir.ingresses) {
    for (const r of i.routes) {
      edges.push({
        id: `e${edges.length}`,
        from: byKey.get(`ingress:${i.name}`)!,
        to: nodeFor(`service:${r.to.service}`, r.to.service),
        label: `${r.to.port}${r.paths ? `: ${list(r.paths.map(pathText), 2)}` : ""}`,
        details: [
          ["route", `ingress ${i.name} → ${r.to.service}:${r.to.port}`],
          ["methods", r.methods?.join(", ") ?? "any"],
          ["paths", r.paths?.map(pathText).join(", ") ?? "any"],
          ["timeout", r.timeoutMs !== undefined ? formatDuration(r.timeoutMs) : "none"],
          ["retries", r.retries ? retriesText(r.retries) : "none"],
          ["declared in", `${r.span.file}:${r.span.line}`],
        ],
      });
    }
  }
  const groups = [...new Set(nodes.map((n) => n.group))].sort((a, b) => (a === EXTERNAL_GROUP ? 1 : b === EXTERNAL_GROUP ? -1 : compareIds(a, b)));
  return { name: ir.name, groups, nodes, edges };
}
