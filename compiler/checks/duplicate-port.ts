// Duplicate port
// The ports of a service have distinct numbers (Kubernetes rejects a Service that repeats one).
// See: https://kubernetes.io/docs/concepts/services-networking/service/#multi-port-services
import type { Check } from "./check.js";

export const duplicatePort: Check = {
  name: "DuplicatePort",
  run({ ir }, report) {
    for (const svc of ir.services) {
      const byNumber = new Map<number, string>();
      for (const p of svc.ports) {
        const other = byNumber.get(p.port);
        if (other === undefined) byNumber.set(p.port, p.name);
        else {
          const first = svc.ports.find((q) => q.name === other)!;
          report("DuplicatePort", { service: svc.key, port: p.port, names: [other, p.name] }, p.span, { related: [{ message: `Port "${other}" uses it first.`, span: first.span }] });
        }
      }
    }
  },
};
