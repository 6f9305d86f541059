// Unknown port
// Every call, route, mirror and ingress route names a port its service (or external host) declares.
// See: DESIGN.md "The DSL: typed handles, not strings".
import { suggestion } from "../diagnostics.js";
import type { Span } from "../ir.js";
import type { Check } from "./check.js";

export const unknownPort: Check = {
  name: "UnknownPort",
  run({ ir, services, external }, report) {
    const check = (serviceId: string, port: string, what: string, span: Span, callerId?: string) => {
      const svc = services.get(serviceId);
      if (!svc || svc.ports.some((p) => p.name === port)) return; // an unknown service is another check's
      const ports = svc.ports.map((p) => p.name);
      report("UnknownPort", { what, service: svc.key, port, ports, suggestion: suggestion(port, ports), self: callerId === serviceId }, span);
    };
    for (const call of ir.calls) {
      const span = call.fieldSpans.to ?? call.span;
      if (call.to.kind === "service") {
        check(call.to.service, call.to.port, call.from.kind === "service" && call.from.service === call.to.service ? "The service's call to itself" : "The call", span, call.from.kind === "service" ? call.from.service : undefined);
      } else {
        const x = external.get(call.to.external);
        if (x && !x.ports.some((p) => p.name === call.to.port)) {
          const ports = x.ports.map((p) => p.name);
          report("UnknownPort", { what: "The call", service: x.id, port: call.to.port, ports, suggestion: suggestion(call.to.port, ports), self: false }, span);
        }
      }
    }
    for (const route of ir.routes) {
      check(route.service, route.port, "The route", route.span);
      for (const rule of route.rules) {
        if (rule.mirror?.to.kind === "service") check(rule.mirror.to.service, rule.mirror.to.port, "The mirror", rule.mirror.span);
      }
    }
    for (const ingress of ir.ingresses) {
      for (const r of ingress.routes) check(r.to.service, r.to.port, `Ingress "${ingress.name}"`, r.fieldSpans.to ?? r.span);
    }
  },
};
