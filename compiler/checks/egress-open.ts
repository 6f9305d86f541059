// Egress open
// Egress is registry-only: workloads reach only the services and external hosts the mesh declares.
// See: https://istio.io/latest/docs/tasks/traffic-management/egress/egress-control/#change-to-the-blocking-by-default-policy
import type { Check } from "./check.js";

export const egressOpen: Check = {
  name: "EgressOpen",
  run({ ir }, report) {
    if (ir.egress !== "allow-any") return;
    report("EgressOpen", { declared: ir.external.length }, ir.fieldSpans.defaults ?? ir.span);
  },
};
