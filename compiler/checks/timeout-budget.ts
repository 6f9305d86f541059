// Timeout budget
// A caller gives a service at least as long as the slowest call that service makes itself.
// See: https://istio.io/latest/docs/concepts/traffic-management/#timeouts
//
// "What the callee's own calls can take" is the longest of them, not their sum: a service may
// make its calls in parallel, and the checker cannot tell, so the longest call is the least the
// callee may need. That makes every warning a real one (a sum would flag every fan-out). A call's
// length is its timeout (which in Envoy covers every retry), or per-try timeout × tries when it
// has only a per-try timeout; a call with neither is unbounded and not compared. Route rules
// override a call's timeout, so a caller is held to the shortest timeout it may get and a
// downstream call to the longest.
import type { RelatedInfo } from "../diagnostics.js";
import type { Check } from "./check.js";
import { adjacency, duration, maxTries, nodeLabel, requestEdges, type NodeId, type RequestEdge } from "./support/edges.js";

/** The longest a request on the edge may take, if bounded. */
function longest(edge: RequestEdge): number | undefined {
  let worst = 0;
  for (let i = 0; i < edge.timeouts.length; i++) {
    const timeout = edge.timeouts[i];
    const retries = edge.retries[i];
    const bound = timeout ?? (retries?.perTryTimeoutMs !== undefined ? retries.perTryTimeoutMs * (retries.attempts + 1) : undefined);
    if (bound === undefined) return undefined;
    worst = Math.max(worst, bound);
  }
  return worst;
}

/** The shortest timeout a request on the edge may get, if any. */
function shortest(edge: RequestEdge): number | undefined {
  const defined = edge.timeouts.filter((t): t is number => t !== undefined);
  return defined.length === 0 ? undefined : Math.min(...defined);
}

export const timeoutBudget: Check = {
  name: "TimeoutBudget",
  run(ctx, report) {
    const edges = requestEdges(ctx);
    const calls = adjacency(edges.filter((e) => e.source.kind === "call"));
    const outgoing = (node: NodeId) => calls.get(node) ?? [];
    for (const edge of edges) {
      if (!edge.to.startsWith("service:")) continue;
      const timeout = shortest(edge);
      if (timeout === undefined) continue;
      let slowest: { edge: RequestEdge; ms: number } | undefined;
      for (const next of outgoing(edge.to)) {
        const ms = longest(next);
        if (ms !== undefined && (!slowest || ms > slowest.ms)) slowest = { edge: next, ms };
      }
      if (!slowest || timeout >= slowest.ms) continue;
      const caller = edge.source.kind === "call" ? `The call from "${nodeLabel(ctx, edge.from)}"` : `Ingress "${edge.source.ingress.name}"`;
      const callee = nodeLabel(ctx, edge.to);
      const timeoutSpan =
        edge.source.kind === "call"
          ? edge.source.call.timeoutSpan
          : edge.source.route.timeoutSpan;
      const downstream = slowest.edge.source.kind === "call" ? slowest.edge.source.call : undefined;
      const related: RelatedInfo[] = [];
      if (timeoutSpan && timeoutSpan !== edge.span) related.push({ message: `The ${duration(timeout)} timeout is set here.`, span: timeoutSpan });
      related.push({
        message: `"${callee}" calls "${nodeLabel(ctx, slowest.edge.to)}" here, for up to ${duration(slowest.ms)}${maxTries(slowest.edge).tries > 1 && downstream?.timeoutMs === undefined ? " (per-try timeout × tries)" : ""}.`,
        span: downstream?.timeoutSpan ?? slowest.edge.span,
      });
      report(
        "TimeoutBudget",
        { caller, timeout: duration(timeout), callee, downstream: nodeLabel(ctx, slowest.edge.to), downstreamTimeout: duration(slowest.ms) },
        edge.span,
        { related },
      );
    }
  },
};
