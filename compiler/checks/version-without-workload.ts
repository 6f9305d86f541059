// Version without workload
// When a service declares workloads for its versions, every version a route sends traffic to has one.
// See: https://istio.io/latest/docs/ops/common-problems/network-issues/#503-errors-after-setting-destination-rule (a subset with no pods answers 503)
import type { Span } from "../ir.js";
import type { Check } from "./check.js";

export const versionWithoutWorkload: Check = {
  name: "VersionWithoutWorkload",
  run({ ir, services, keyOf }, report) {
    for (const route of ir.routes) {
      const svc = services.get(route.service);
      if (!svc) continue;
      const withWorkload = svc.versions.filter((v) => v.workload).map((v) => v.name);
      // A mesh that deploys workloads some other way declares none, and that is fine.
      if (withWorkload.length === 0) continue;
      const flag = (what: string, version: string, span: Span) => {
        const v = svc.versions.find((x) => x.name === version);
        if (!v || v.workload) return; // an unknown version is UnknownVersion's
        report("VersionWithoutWorkload", { what, service: keyOf(route.service), version, others: withWorkload }, span, {
          related: [{ message: `Version "${version}" is declared here without a workload.`, span: v.span }],
        });
      };
      route.rules.forEach((rule, i) => {
        const what = `Rule ${i + 1} of the route "${keyOf(route.service)}:${route.port}"`;
        for (const d of rule.destinations) if (d.weight > 0) flag(what, d.version, d.span);
        if (rule.mirror?.to.kind === "version" && rule.mirror.percent > 0) flag(`The mirror of rule ${i + 1} of the route "${keyOf(route.service)}:${route.port}"`, rule.mirror.to.version, rule.mirror.span);
      });
    }
  },
};
