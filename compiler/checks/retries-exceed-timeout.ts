// Retries exceed timeout
// Every try a retry policy allows fits in the timeout: per-try timeout × (attempts + 1) ≤ timeout.
// See: https://www.envoyproxy.io/docs/envoy/latest/faq/configuration/timeouts#route-timeouts
// (the route timeout covers every retry, so tries that do not fit are cut short or never start)
import type { RetryIR, Span } from "../ir.js";
import type { Check } from "./check.js";
import { duration, spanKey } from "./support/edges.js";

export const retriesExceedTimeout: Check = {
  name: "RetriesExceedTimeout",
  run({ ir }, report) {
    const seen = new Set<string>();
    const check = (retries: RetryIR | undefined, timeoutMs: number | undefined, timeoutSpan: Span | undefined) => {
      if (!retries || retries.perTryTimeoutMs === undefined || timeoutMs === undefined || retries.attempts < 1) return;
      // One retry policy inherited by many calls (a service's or the mesh's default) is reported once.
      const key = `${spanKey(retries.span)}@${timeoutMs}`;
      if (seen.has(key)) return;
      seen.add(key);
      const tries = retries.attempts + 1;
      const total = retries.perTryTimeoutMs * tries;
      if (total <= timeoutMs) return;
      report(
        "RetriesExceedTimeout",
        { what: "The retry policy", tries, perTry: duration(retries.perTryTimeoutMs), total: duration(total), timeout: duration(timeoutMs) },
        retries.fieldSpans.perTryTimeout ?? retries.span,
        { related: timeoutSpan ? [{ message: `The ${duration(timeoutMs)} timeout is set here.`, span: timeoutSpan }] : [] },
      );
    };
    for (const call of ir.calls) check(call.retries, call.timeoutMs, call.timeoutSpan);
    for (const s of ir.services) check(s.traffic.retries, s.traffic.timeoutMs, s.traffic.timeoutSpan);
    for (const x of ir.external) check(x.traffic.retries, x.traffic.timeoutMs, x.traffic.timeoutSpan);
    for (const route of ir.routes) for (const rule of route.rules) check(rule.retries, rule.timeoutMs, rule.fieldSpans.timeout);
    for (const ingress of ir.ingresses) for (const r of ingress.routes) check(r.retries, r.timeoutMs, r.fieldSpans.timeout);
  },
};
