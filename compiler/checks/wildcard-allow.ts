// Wildcard allow
// No allow lets every workload send every request to a port: `from: anyService` comes with a method, path or gRPC method restriction.
// See: https://istio.io/latest/docs/ops/best-practices/security/#use-allow-with-positive-matching-and-deny-with-negative-match
import type { Check } from "./check.js";
import { portLabel } from "./support/edges.js";

export const wildcardAllow: Check = {
  name: "WildcardAllow",
  run(ctx, report) {
    for (const call of ctx.ir.calls) {
      if (call.from.kind !== "any" || call.methods || call.paths || call.grpcMethods) continue;
      report("WildcardAllow", { target: portLabel(ctx, call.to) }, call.fieldSpans.from ?? call.span);
    }
  },
};
