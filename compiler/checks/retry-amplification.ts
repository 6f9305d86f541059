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

/** One hop of a chain, linked to the hops before it: chains share their prefixes. */
interface Hop {
  readonly edge: RequestEdge;
  readonly prev: Hop | undefined;
}

interface Crossing {
  readonly chain: Hop;
  readonly requests: number;
}

/** A node being walked, the request count it is reached with, and the next edge to follow. */
interface Frame {
  readonly node: NodeId;
  readonly requests: number;
  readonly chain: Hop | undefined;
  next: number;
}

function hops(chain: Hop): RequestEdge[] {
  const out: RequestEdge[] = [];
  for (let h: Hop | undefined = chain; h; h = h.prev) out.push(h.edge);
  return out.reverse();
}

export const retryAmplification: Check = {
  name: "RetryAmplification",
  run(ctx, report) {
    const edges = requestEdges(ctx);
    const out = adjacency(edges);
    const tries = new Map(edges.map((e) => [e, maxTries(e).tries]));
    const called = new Set(edges.map((e) => e.to));
    const nodes: NodeId[] = [
      ...ctx.ir.ingresses.map((i) => `ingress:${i.name}` as const),
      ...ctx.ir.services.map((s) => `service:${s.id}` as const),
    ];
    const crossings = new Map<RequestEdge, Crossing>();
    const visited = new Set<NodeId>();
    // A walk depends only on the node and the request count it arrives with (tries are whole
    // numbers, so a node has at most THRESHOLD counts): each pair is walked once, which keeps the
    // check linear in the mesh. The first walk to reach a pair is the first chain in depth-first
    // order, the one the check names. On a graph without cycles this is every chain; through a
    // cycle, a pair reached again by another route is not walked again (the alternative, every
    // simple path, is exponential).
    const walked = new Map<NodeId, Set<number>>();
    const enter = (node: NodeId, requests: number): boolean => {
      visited.add(node);
      let counts = walked.get(node);
      if (!counts) walked.set(node, (counts = new Set()));
      if (counts.has(requests)) return false;
      counts.add(requests);
      return true;
    };

    // Depth-first with an explicit stack: call chains can be thousands of services deep.
    const start = (root: NodeId) => {
      if (!enter(root, 1)) return;
      const onPath = new Set<NodeId>([root]);
      const stack: Frame[] = [{ node: root, requests: 1, chain: undefined, next: 0 }];
      while (stack.length > 0) {
        const top = stack[stack.length - 1]!;
        const edge = out.get(top.node)?.[top.next++];
        if (!edge) {
          stack.pop();
          onPath.delete(top.node);
          continue;
        }
        if (onPath.has(edge.to)) continue;
        const next = top.requests * tries.get(edge)!;
        if (next > RETRY_AMPLIFICATION_THRESHOLD) {
          // Only a hop that retries can push a chain over; the chain is reported there.
          const best = crossings.get(edge);
          if (!best || next > best.requests) crossings.set(edge, { chain: { edge, prev: top.chain }, requests: next });
          visited.add(edge.to);
          continue;
        }
        if (!enter(edge.to, next)) continue;
        onPath.add(edge.to);
        stack.push({ node: edge.to, requests: next, chain: { edge, prev: top.chain }, next: 0 });
      }
    };
    for (const node of nodes) if (!called.has(node)) start(node);
    for (const node of nodes) if (!visited.has(node)) start(node);

    for (const edge of edges) {
      const crossing = crossings.get(edge);
      if (!crossing) continue;
      const path = hops(crossing.chain);
      const steps = path.map((e) => ({ edge: e, ...maxTries(e) }));
      const chain = [nodeLabel(ctx, path[0]!.from), ...path.map((e) => nodeLabel(ctx, e.to))].join(" → ");
      const factors = steps.filter((h) => h.tries > 1).map((h) => String(h.tries));
      const related: RelatedInfo[] = steps
        .slice(0, -1)
        .filter((h) => h.retries)
        .map((h) => ({ message: `${nodeLabel(ctx, h.edge.from)} tries ${nodeLabel(ctx, h.edge.to)} up to ${h.tries} times here.`, span: h.retries!.span }));
      const last = steps[steps.length - 1]!;
      report(
        "RetryAmplification",
        { chain, leaf: nodeLabel(ctx, edge.to), requests: crossing.requests, factors: factors.join(" × "), threshold: RETRY_AMPLIFICATION_THRESHOLD },
        last.retries?.span ?? edge.span,
        { related },
      );
    }
  },
};
