// Unreachable service
// Every service that serves ports can be reached: some other service may call it, an ingress routes to it, or a route mirrors to it.
// See: DESIGN.md "default-deny with explicit allows" (a service nothing may call is dead config, or a forgotten allow).
import type { ServiceId } from "../ir.js";
import type { Check } from "./check.js";

export const unreachableService: Check = {
  name: "UnreachableService",
  run({ ir }, report) {
    const reached = new Set<ServiceId>();
    for (const call of ir.calls) {
      if (call.to.kind !== "service") continue;
      // A service calling itself does not make it reachable from anywhere else.
      if (call.from.kind === "service" && call.from.service === call.to.service) continue;
      reached.add(call.to.service);
    }
    for (const ingress of ir.ingresses) for (const r of ingress.routes) reached.add(r.to.service);
    for (const route of ir.routes) for (const rule of route.rules) if (rule.mirror?.to.kind === "service") reached.add(rule.mirror.to.service);
    for (const s of ir.services) {
      // A service without ports (a load generator, a batch job) is a client only.
      if (s.ports.length === 0 || reached.has(s.id)) continue;
      report("UnreachableService", { service: s.key }, s.span);
    }
  },
};
