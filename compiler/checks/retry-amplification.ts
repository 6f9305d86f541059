// Retry amplification
// Along every call chain, the product of the tries each hop makes (attempts + 1) stays at most RETRY_AMPLIFICATION_THRESHOLD requests to the end of the chain.
// See: https://linkerd.io/2-edge/reference/retries/ ("retry budgets": retries at every layer multiply)
//
// A chain starts at an ingress route or at a service no one calls (and, for cycles nothing
// enters, at their first service). It is reported once, at the hop whose retries push it over
// the threshold, naming the worst chain through that hop; hops after it are not reported again.
import type { RelatedInfo } from "../diagnostics.js";
import type { Check } from "./check.js";
import { adjacency, maxTries, nodeLabel, requestEdges, type NodeId, type RequestEdge } from "./support/edges.js";

/** More requests than this to one service for one incoming request is reported. */
export const RETRY_AMPLIFICATION_THRESHOLD = 10;

/** Bounds the walk on pathological meshes (simple paths can be exponential in number). */
const MAX_STEPS = 200_000;

interface Crossing {
  readonly chain: readonly RequestEdge[];
  readonly requests: number;
}

export const retryAmplification: Check = {
  name: "RetryAmplification",
  run(ctx, report) {
    const edges = requestEdges(ctx);
    const out = adjacency(edges);
    const called = new Set(edges.map((e) => e.to));
    const nodes: NodeId[] = [
      ...ctx.ir.ingresses.map((i) => `ingress:${i.name}` as const),
      ...ctx.ir.services.map((s) => `service:${s.id}` as const),
    ];
    const crossings = new Map<RequestEdge, Crossing>();
    const visited = new Set<NodeId>();
    let steps = 0;

    const walk = (node: NodeId, onPath: Set<NodeId>, chain: RequestEdge[], requests: number) => {
      visited.add(node);
      for (const edge of out.get(node) ?? []) {
        if (onPath.has(edge.to) || ++steps > MAX_STEPS) continue;
        const next = requests * maxTries(edge).tries;
        if (next > RETRY_AMPLIFICATION_THRESHOLD) {
          // Only a hop that retries can push a chain over; the chain is reported there.
          if (requests <= RETRY_AMPLIFICATION_THRESHOLD) {
            const best = crossings.get(edge);
            if (!best || next > best.requests) crossings.set(edge, { chain: [...chain, edge], requests: next });
          }
          visited.add(edge.to);
          continue;
        }
        onPath.add(edge.to);
        chain.push(edge);
        walk(edge.to, onPath, chain, next);
        chain.pop();
        onPath.delete(edge.to);
      }
    };
    const start = (node: NodeId) => walk(node, new Set([node]), [], 1);
    for (const node of nodes) if (!called.has(node)) start(node);
    for (const node of nodes) if (!visited.has(node)) start(node);

    for (const edge of edges) {
      const crossing = crossings.get(edge);
      if (!crossing) continue;
      const hops = crossing.chain.map((e) => ({ edge: e, ...maxTries(e) }));
      const chain = [nodeLabel(ctx, crossing.chain[0]!.from), ...crossing.chain.map((e) => nodeLabel(ctx, e.to))].join(" → ");
      const factors = hops.filter((h) => h.tries > 1).map((h) => String(h.tries));
      const related: RelatedInfo[] = hops
        .slice(0, -1)
        .filter((h) => h.retries)
        .map((h) => ({ message: `${nodeLabel(ctx, h.edge.from)} tries ${nodeLabel(ctx, h.edge.to)} up to ${h.tries} times here.`, span: h.retries!.span }));
      const last = hops[hops.length - 1]!;
      report(
        "RetryAmplification",
        { chain, leaf: nodeLabel(ctx, edge.to), requests: crossing.requests, factors: factors.join(" × "), threshold: RETRY_AMPLIFICATION_THRESHOLD },
        last.retries?.span ?? edge.span,
        { related },
      );
    }
  },
};
