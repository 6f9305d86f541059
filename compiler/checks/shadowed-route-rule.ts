// Shadowed route rule
// Every route rule can match some request that no earlier rule of its route matches.
// See: https://istio.io/latest/docs/concepts/traffic-management/#routing-rule-precedence
//
// A rule is shadowed when one earlier rule alone matches every request it matches: each of the
// earlier rule's conditions is implied by one of the later rule's (same header with a value the
// earlier one accepts, paths and methods within the earlier ones'). Regexes are compared as
// text, so a shadow through a different regex is not reported. A catch-all is CatchAllNotLast's.
import type { PathMatchIR, RouteMatchIR, StringMatchIR } from "../ir.js";
import type { Check } from "./check.js";

function stringImplies(later: StringMatchIR, earlier: StringMatchIR): boolean {
  switch (earlier.kind) {
    case "exact":
      return later.kind === "exact" && later.value === earlier.value;
    case "prefix":
      return later.kind !== "regex" && later.value.startsWith(earlier.value);
    case "regex":
      return later.kind === "regex" && later.value === earlier.value;
  }
}

function pathImplies(later: PathMatchIR, earlier: PathMatchIR): boolean {
  return earlier.kind === "exact" ? later.kind === "exact" && later.value === earlier.value : later.value.startsWith(earlier.value);
}

/** True when every request `later` matches is matched by `earlier`. */
export function covers(earlier: RouteMatchIR, later: RouteMatchIR): boolean {
  const headers = earlier.headers.every((h) => later.headers.some((l) => l.name === h.name && stringImplies(l.match, h.match)));
  const paths = !earlier.paths || (later.paths !== undefined && later.paths.every((l) => earlier.paths!.some((e) => pathImplies(l, e))));
  const methods = !earlier.methods || (later.methods !== undefined && later.methods.every((m) => earlier.methods!.includes(m)));
  return headers && paths && methods;
}

export const shadowedRouteRule: Check = {
  name: "ShadowedRouteRule",
  run({ ir, keyOf }, report) {
    for (const route of ir.routes) {
      route.rules.forEach((rule, j) => {
        if (!rule.match) return;
        const i = route.rules.findIndex((earlier, k) => k < j && earlier.match !== undefined && covers(earlier.match, rule.match!));
        if (i < 0) return;
        report("ShadowedRouteRule", { rule: j + 1, earlier: i + 1, service: keyOf(route.service), port: route.port }, rule.fieldSpans.match ?? rule.span, {
          related: [{ message: `Rule ${i + 1} matches every request rule ${j + 1} would.`, span: route.rules[i]!.fieldSpans.match ?? route.rules[i]!.span }],
        });
      });
    }
  },
};
