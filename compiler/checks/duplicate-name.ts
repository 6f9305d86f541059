// Duplicate name
// Services, external hosts, ingress entry points and routes are each declared once.
// See: https://kubernetes.io/docs/concepts/overview/working-with-objects/names/
import type { Span } from "../ir.js";
import type { Check, Report } from "./check.js";

export const duplicateName: Check = {
  name: "DuplicateName",
  run({ ir }, report) {
    flagDuplicates(report, "service", ir.services.map((s) => ({ key: s.id, label: s.id, span: s.span })));
    flagDuplicates(report, "ingress", ir.ingresses.map((i) => ({ key: i.name, label: i.name, span: i.span })));
    flagDuplicates(report, "route for", ir.routes.map((r) => ({ key: r.id, label: r.id, span: r.span })));
    // A service and an external host under one name would share a handle.
    const serviceKeys = new Map(ir.services.map((s) => [s.key, s]));
    for (const x of ir.external) {
      const s = serviceKeys.get(x.id);
      if (s) report("DuplicateName", { kind: "service or external host", name: x.id }, x.span, { related: [{ message: "The service with the same name.", span: s.span }] });
    }
  },
};

function flagDuplicates(report: Report, kind: string, items: { key: string; label: string; span: Span }[]): void {
  const first = new Map<string, Span>();
  for (const item of items) {
    const seen = first.get(item.key);
    if (seen) report("DuplicateName", { kind, name: item.label }, item.span, { related: [{ message: "First declared here.", span: seen }] });
    else first.set(item.key, item.span);
  }
}
