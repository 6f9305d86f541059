// Mirror to self
// A route rule mirrors to a destination that does not already serve the rule's live traffic.
// See: https://istio.io/latest/docs/tasks/traffic-management/mirroring/
//
// Mirroring to a version that takes all of the rule's traffic (or to the route's own port) is an
// error: every mirrored request is served twice. A version that takes part of a split is a
// warning: the requests it serves live are served twice.
import type { Check } from "./check.js";

export const mirrorToSelf: Check = {
  name: "MirrorToSelf",
  run({ ir, services, keyOf }, report) {
    for (const route of ir.routes) {
      const svc = services.get(route.service);
      route.rules.forEach((rule, i) => {
        const mirror = rule.mirror;
        if (!mirror || mirror.percent <= 0) return;
        const what = `Rule ${i + 1} of the route "${keyOf(route.service)}:${route.port}"`;
        if (mirror.to.kind === "service") {
          if (mirror.to.service === route.service && mirror.to.port === route.port) {
            report("MirrorToSelf", { what, target: `its own port "${route.port}" of "${keyOf(route.service)}"` }, mirror.span);
          }
          return;
        }
        const version = mirror.to.version;
        const live = rule.destinations.filter((d) => d.weight > 0);
        // No destinations: the Service balances over every version, this one included.
        const share = live.length === 0 ? (svc && svc.versions.length > 1 ? "part" : "all") : live.some((d) => d.version === version) ? (live.every((d) => d.version === version) ? "all" : "part") : "none";
        if (share === "none" || !svc?.versions.some((v) => v.name === version)) return;
        report("MirrorToSelf", { what, target: `version "${version}"` }, mirror.span, {
          ...(share === "part" ? { severity: "warning" as const } : {}),
          related: live.filter((d) => d.version === version).map((d) => ({ message: `Version "${version}" gets ${d.weight}% of the live traffic here.`, span: d.span })),
        });
      });
    }
  },
};
