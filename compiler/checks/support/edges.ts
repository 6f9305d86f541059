/**
 * The mesh as a graph of request edges (service calls and ingress routes), with the retries and
 * timeouts each edge really gets once route rules override the call's own: what the chain
 * analyses (retry amplification, timeout budget, cycles) walk.
 */
import { formatDuration } from "../../../dsl/duration.js";
import { compareIds, type CallIR, type IngressIR, type IngressRouteIR, type RetryIR, type RouteIR, type Span } from "../../ir.js";
import type { CheckContext } from "../check.js";

/** A node of the request graph: a service, an external host, or an ingress gateway. */
export type NodeId = `service:${string}` | `external:${string}` | `ingress:${string}`;

export interface RequestEdge {
  readonly from: NodeId;
  readonly to: NodeId;
  /** The declaration the edge comes from. */
  readonly source: { readonly kind: "call"; readonly call: CallIR } | { readonly kind: "ingress"; readonly ingress: IngressIR; readonly route: IngressRouteIR };
  readonly span: Span;
  /** Every retry policy a request on this edge may get (one per route rule, or the edge's own). */
  readonly retries: readonly (RetryIR | undefined)[];
  /** Every timeout a request on this edge may get, in milliseconds (undefined: none). */
  readonly timeouts: readonly (number | undefined)[];
}

const routeIndexes = new WeakMap<CheckContext["ir"], Map<string, RouteIR>>();

/** The route of a service port, if the mesh declares one. */
export function routeOf(ctx: CheckContext, service: string, port: string): RouteIR | undefined {
  let byPort = routeIndexes.get(ctx.ir);
  if (!byPort) {
    byPort = new Map();
    // The first route of a port wins, as a search of the list would find it.
    for (const r of ctx.ir.routes) if (!byPort.has(`${r.service}\0${r.port}`)) byPort.set(`${r.service}\0${r.port}`, r);
    routeIndexes.set(ctx.ir, byPort);
  }
  return byPort.get(`${service}\0${port}`);
}

/**
 * Route rules apply to every caller and override the call's retries and timeout, so a request
 * gets one rule's values, or the call's where the rule says nothing.
 */
function effective<T>(route: RouteIR | undefined, own: T | undefined, pick: (rule: RouteIR["rules"][number]) => T | undefined): (T | undefined)[] {
  if (!route || route.rules.length === 0) return [own];
  return route.rules.map((rule) => pick(rule) ?? own);
}

const edgeLists = new WeakMap<CheckContext["ir"], readonly RequestEdge[]>();

/**
 * Every service-to-service, service-to-external and ingress edge, sorted by call id then ingress.
 * Built once per mesh: several checks walk the same graph.
 */
export function requestEdges(ctx: CheckContext): readonly RequestEdge[] {
  let edges = edgeLists.get(ctx.ir);
  if (!edges) {
    edges = buildRequestEdges(ctx);
    edgeLists.set(ctx.ir, edges);
  }
  return edges;
}

function buildRequestEdges(ctx: CheckContext): RequestEdge[] {
  const edges: RequestEdge[] = [];
  for (const call of ctx.ir.calls) {
    if (call.from.kind !== "service") continue; // `anyService` is no particular node of a chain
    const route = call.to.kind === "service" ? routeOf(ctx, call.to.service, call.to.port) : undefined;
    edges.push({
      from: `service:${call.from.service}`,
      to: call.to.kind === "service" ? `service:${call.to.service}` : `external:${call.to.external}`,
      source: { kind: "call", call },
      span: call.span,
      retries: effective(route, call.retries, (r) => r.retries),
      timeouts: effective(route, call.timeoutMs, (r) => r.timeoutMs),
    });
  }
  for (const ingress of ctx.ir.ingresses) {
    for (const r of ingress.routes) {
      const route = routeOf(ctx, r.to.service, r.to.port);
      edges.push({
        from: `ingress:${ingress.name}`,
        to: `service:${r.to.service}`,
        source: { kind: "ingress", ingress, route: r },
        span: r.span,
        retries: effective(route, r.retries, (rule) => rule.retries),
        timeouts: effective(route, r.timeoutMs, (rule) => rule.timeoutMs),
      });
    }
  }
  return edges;
}

/** The most tries a request on the edge can make, and the retry policy that allows them. */
export function maxTries(edge: RequestEdge): { tries: number; retries?: RetryIR } {
  let best: { tries: number; retries?: RetryIR } = { tries: 1 };
  for (const r of edge.retries) if (r && r.attempts + 1 > best.tries) best = { tries: r.attempts + 1, retries: r };
  return best;
}

/** Outgoing edges by node, each list in edge order. */
export function adjacency(edges: readonly RequestEdge[]): Map<NodeId, RequestEdge[]> {
  const out = new Map<NodeId, RequestEdge[]>();
  for (const e of edges) {
    const list = out.get(e.from);
    if (list) list.push(e);
    else out.set(e.from, [e]);
  }
  return out;
}

/** A node as the user wrote it: the service key, the external host's key, or `ingress "name"`. */
export function nodeLabel(ctx: CheckContext, node: NodeId): string {
  const colon = node.indexOf(":");
  const kind = node.slice(0, colon);
  const id = node.slice(colon + 1);
  if (kind === "service") return ctx.keyOf(id);
  if (kind === "ingress") return `ingress "${id}"`;
  return id;
}

/** `port "http" of "details"` (or of external host "stripe"). */
export function portLabel(ctx: CheckContext, to: CallIR["to"]): string {
  return to.kind === "service" ? `port "${to.port}" of "${ctx.keyOf(to.service)}"` : `port "${to.port}" of external host "${to.external}"`;
}

/** `2s`, `500ms`. */
export const duration = (ms: number): string => formatDuration(ms);

/** Sort key of a span: file, then position. */
export function compareSpans(a: Span, b: Span): number {
  return compareIds(a.file, b.file) || a.line - b.line || a.column - b.column;
}

/** A string key of a span, to report one declaration once however many edges inherit it. */
export function spanKey(span: Span): string {
  return `${span.file}:${span.line}:${span.column}:${span.endLine}:${span.endColumn}`;
}
