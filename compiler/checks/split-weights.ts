// Split weights
// The weights of a version split sum to exactly 100.
// See: https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRouteDestination
import type { Check } from "./check.js";

export const splitWeights: Check = {
  name: "SplitWeights",
  run({ ir, keyOf }, report) {
    for (const route of ir.routes) {
      for (const rule of route.rules) {
        if (rule.destinations.length === 0) continue;
        const total = rule.destinations.reduce((sum, d) => sum + d.weight, 0);
        // Weights are percentages; float noise from 33.3 + 33.3 + 33.4 must not fail the check.
        if (Math.abs(total - 100) > 1e-9) {
          report("SplitWeights", { service: keyOf(route.service), port: route.port, total: Math.round(total * 1000) / 1000 }, rule.fieldSpans.to ?? rule.span);
        }
      }
    }
  },
};
