// Number range
// Ports, percentages, weights, counts and status codes are within their valid ranges.
// See: https://kubernetes.io/docs/reference/kubernetes-api/service-resources/service-v1/#ServiceSpec
import type { RetryIR, Span, TrafficPolicyIR } from "../ir.js";
import type { Check, Report } from "./check.js";

type Range = readonly [min: number, max: number, text: string];
const PORT: Range = [1, 65535, "an integer from 1 to 65535"];
const PERCENT: Range = [0, 100, "between 0 and 100"];
const COUNT: Range = [1, 1_000_000, "an integer from 1 to 1000000"];
const ATTEMPTS: Range = [0, 100, "an integer from 0 to 100"];
const REPLICAS: Range = [0, 10_000, "an integer from 0 to 10000"];
const STATUS: Range = [200, 599, "an HTTP status from 200 to 599"];

export const numberRange: Check = {
  name: "NumberOutOfRange",
  run({ ir }, report) {
    const seen = new Set<string>();
    const at = (field: string, value: number | undefined, range: Range, span: Span | undefined) => {
      if (value === undefined || !span) return;
      if (Number.isFinite(value) && value >= range[0] && value <= range[1]) return;
      // Keyed only when out of range: the key is for reporting a declaration once.
      const key = `${span.file}:${span.line}:${span.column}:${field}`;
      if (seen.has(key)) return;
      seen.add(key);
      report("NumberOutOfRange", { field, value, range: range[2] }, span);
    };
    const retries = (r: RetryIR | undefined) => {
      if (!r) return;
      at("retries.attempts", r.attempts, ATTEMPTS, r.fieldSpans.attempts ?? r.span);
      if (r.budget) {
        at("retries.budget.percent", r.budget.percent, PERCENT, r.fieldSpans.budget ?? r.span);
        at("retries.budget.minRetriesPerSecond", r.budget.minRetriesPerSecond, [0, 1_000_000, "from 0 to 1000000"], r.fieldSpans.budget ?? r.span);
      }
    };
    const traffic = (t: TrafficPolicyIR) => {
      retries(t.retries);
      const cb = t.circuitBreaker;
      if (cb) for (const k of ["maxConnections", "maxPendingRequests", "maxRequests", "maxRetries"] as const) at(`circuitBreaker.${k}`, cb[k], COUNT, cb.span);
      const od = t.outlierDetection;
      if (od) {
        at("outlierDetection.consecutiveErrors", od.consecutiveErrors, COUNT, od.fieldSpans.consecutiveErrors ?? od.span);
        at("outlierDetection.maxEjectionPercent", od.maxEjectionPercent, PERCENT, od.fieldSpans.maxEjectionPercent ?? od.span);
      }
      const cp = t.connectionPool;
      if (cp) at("connectionPool.maxRequestsPerConnection", cp.maxRequestsPerConnection, COUNT, cp.fieldSpans.maxRequestsPerConnection ?? cp.span);
    };
    for (const s of ir.services) {
      for (const p of s.ports) {
        at("port", p.port, PORT, p.fieldSpans.port ?? p.span);
        // An undeclared targetPort is the port itself: one mistake, one report.
        if (p.fieldSpans.targetPort) at("targetPort", p.targetPort, PORT, p.fieldSpans.targetPort);
      }
      // Versions inherit the service's workload: report where replicas were written, once.
      const serviceWorkload = s.fieldSpans.workload ?? s.span;
      if (s.workload) at("workload.replicas", s.workload.replicas, REPLICAS, serviceWorkload);
      for (const v of s.versions) if (v.workload) at("workload.replicas", v.workload.replicas, REPLICAS, v.fieldSpans.workload ?? serviceWorkload);
      traffic(s.traffic);
      if (s.rateLimit) {
        at("rateLimit.requests", s.rateLimit.requests, COUNT, s.rateLimit.span);
        at("rateLimit.burst", s.rateLimit.burst, [0, 1_000_000, "from 0 to 1000000"], s.rateLimit.span);
      }
    }
    for (const x of ir.external) {
      for (const p of x.ports) at("port", p.port, PORT, p.span);
      traffic(x.traffic);
    }
    for (const c of ir.calls) retries(c.retries);
    for (const r of ir.routes) {
      for (const rule of r.rules) {
        for (const d of rule.destinations) at("weight", d.weight, PERCENT, d.span);
        retries(rule.retries);
        const f = rule.fault;
        if (f?.delay) at("fault.delay.percent", f.delay.percent, PERCENT, f.span);
        if (f?.abort) {
          at("fault.abort.percent", f.abort.percent, PERCENT, f.span);
          if ("httpStatus" in f.abort) at("fault.abort.httpStatus", f.abort.httpStatus, STATUS, f.span);
        }
        if (rule.mirror) at("mirror.percent", rule.mirror.percent, PERCENT, rule.mirror.span);
      }
    }
    for (const i of ir.ingresses) {
      at("ingress port", i.port, PORT, i.fieldSpans.port ?? i.span);
      at("gateway targetPort", i.targetPort, PORT, i.fieldSpans.gateway ?? i.span);
      for (const r of i.routes) retries(r.retries);
    }
  },
};

export type { Report };
