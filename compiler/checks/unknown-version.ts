// Unknown version
// A route's destinations and version mirrors name versions the service declares.
// See: https://istio.io/latest/docs/reference/config/networking/destination-rule/#Subset
import { suggestion } from "../diagnostics.js";
import type { Check } from "./check.js";

export const unknownVersion: Check = {
  name: "UnknownVersion",
  run({ ir, services }, report) {
    for (const route of ir.routes) {
      const svc = services.get(route.service);
      if (!svc) continue;
      const versions = svc.versions.map((v) => v.name);
      route.rules.forEach((rule, i) => {
        const what = `Rule ${i + 1} of the route "${svc.key}:${route.port}"`;
        for (const d of rule.destinations) {
          if (!versions.includes(d.version)) {
            report("UnknownVersion", { what, service: svc.key, version: d.version, versions, suggestion: suggestion(d.version, versions) }, d.span);
          }
        }
        const m = rule.mirror?.to;
        if (m?.kind === "version" && !versions.includes(m.version)) {
          report("UnknownVersion", { what: `The mirror of ${what.toLowerCase()}`, service: svc.key, version: m.version, versions, suggestion: suggestion(m.version, versions) }, rule.mirror!.span);
        }
      });
    }
  },
};
