// Catch-all last
// A route rule without a match is the last rule of its route; rules after it could never match.
// See: https://istio.io/latest/docs/concepts/traffic-management/#routing-rule-precedence
import type { Check } from "./check.js";

export const catchAllLast: Check = {
  name: "CatchAllNotLast",
  run({ ir, keyOf }, report) {
    for (const route of ir.routes) {
      route.rules.forEach((rule, i) => {
        if (!rule.match && i < route.rules.length - 1) {
          report("CatchAllNotLast", { service: keyOf(route.service), port: route.port }, rule.span, {
            related: [{ message: "This rule can never match.", span: route.rules[i + 1]!.span }],
          });
        }
      });
    }
  },
};
