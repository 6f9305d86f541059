// Unknown service
// Every call, route, mirror and ingress route refers to a declared service or external host.
// See: DESIGN.md "The DSL: typed handles, not strings" (this catches what the type checker was told to ignore).
import { suggestion } from "../diagnostics.js";
import type { Check } from "./check.js";

export const unknownService: Check = {
  name: "UnknownService",
  run({ ir, services, external, keyOf }, report) {
    const names = [...ir.services.map((s) => s.key), ...ir.external.map((x) => x.id)];
    const check = (id: string, what: string, span: import("../ir.js").Span) => {
      if (services.has(id)) return;
      const key = keyOf(id);
      report("UnknownService", { what, name: key, suggestion: suggestion(key, names) }, span);
    };
    for (const call of ir.calls) {
      if (call.from.kind === "service") check(call.from.service, "The call's caller", call.fieldSpans.from ?? call.span);
      if (call.to.kind === "service") check(call.to.service, "The call", call.fieldSpans.to ?? call.span);
      else if (!external.has(call.to.external)) {
        report("UnknownService", { what: "The call", name: call.to.external, suggestion: suggestion(call.to.external, names) }, call.fieldSpans.to ?? call.span);
      }
    }
    for (const route of ir.routes) {
      check(route.service, "The route", route.span);
      for (const rule of route.rules) {
        if (rule.mirror?.to.kind === "service") check(rule.mirror.to.service, "The mirror", rule.mirror.span);
      }
    }
    for (const ingress of ir.ingresses) {
      for (const r of ingress.routes) check(r.to.service, `Ingress "${ingress.name}"`, r.fieldSpans.to ?? r.span);
    }
  },
};
