// Duration range
// Every duration is positive and within what the proxies accept (timeouts at most a day).
// See: https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-routeaction
import { formatDuration } from "../../dsl/duration.js";
import type { RetryIR, Span, TrafficPolicyIR } from "../ir.js";
import type { Check } from "./check.js";

const DAY = 86_400_000;
const YEAR = 366 * DAY;

export const durationRange: Check = {
  name: "DurationOutOfRange",
  run({ ir }, report) {
    const seen = new Set<string>();
    const at = (field: string, value: number | undefined, span: Span | undefined, max: number, allowZero = false) => {
      if (value === undefined || !span) return;
      if (!(value < 0 || (!allowZero && value === 0) || value > max)) return;
      // Keyed only when out of range: one declaration inherited by many calls is reported once.
      const key = `${span.file}:${span.line}:${span.column}:${field}`;
      if (seen.has(key)) return;
      seen.add(key);
      const shown = !Number.isFinite(value) ? "beyond any number" : value < 0 ? `-${formatDuration(-value)}` : formatDuration(value);
      report("DurationOutOfRange", { field, value: shown, range: `${allowZero ? "between 0s" : "between 1ms"} and ${formatDuration(max)}` }, span);
    };
    const retries = (r: RetryIR | undefined) => r && at("retries.perTryTimeout", r.perTryTimeoutMs, r.fieldSpans.perTryTimeout ?? r.span, DAY);
    const traffic = (t: TrafficPolicyIR) => {
      at("timeout", t.timeoutMs, t.timeoutSpan, DAY);
      retries(t.retries);
      const od = t.outlierDetection;
      if (od) {
        at("outlierDetection.interval", od.intervalMs, od.fieldSpans.interval ?? od.span, DAY);
        at("outlierDetection.baseEjectionTime", od.baseEjectionTimeMs, od.fieldSpans.baseEjectionTime ?? od.span, DAY);
      }
      const cp = t.connectionPool;
      if (cp) {
        at("connectionPool.connectTimeout", cp.connectTimeoutMs, cp.fieldSpans.connectTimeout ?? cp.span, DAY);
        at("connectionPool.idleTimeout", cp.idleTimeoutMs, cp.fieldSpans.idleTimeout ?? cp.span, 30 * DAY);
      }
    };
    for (const s of ir.services) traffic(s.traffic);
    for (const x of ir.external) traffic(x.traffic);
    for (const c of ir.calls) {
      at("timeout", c.timeoutMs, c.timeoutSpan, DAY);
      retries(c.retries);
    }
    for (const r of ir.routes) {
      for (const rule of r.rules) {
        at("timeout", rule.timeoutMs, rule.fieldSpans.timeout ?? rule.span, DAY);
        retries(rule.retries);
        if (rule.fault?.delay) at("fault.delay.fixed", rule.fault.delay.fixedMs, rule.fault.span, DAY);
      }
    }
    for (const i of ir.ingresses) for (const r of i.routes) {
      at("timeout", r.timeoutMs, r.fieldSpans.timeout ?? r.span, DAY);
      retries(r.retries);
    }
    const c = ir.certificates;
    at("certificates.rootLifetime", c.rootLifetimeMs, c.span, 100 * YEAR);
    at("certificates.intermediateLifetime", c.intermediateLifetimeMs, c.span, 100 * YEAR);
    at("certificates.leafLifetime", c.leafLifetimeMs, c.span, YEAR);
  },
};
