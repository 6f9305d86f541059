// Shared identity
// Each service runs as its own identity (service account), so authorization can tell services apart.
// See: https://istio.io/latest/docs/ops/best-practices/security/#use-dedicated-service-accounts (and SPIFFE: one identity per workload)
import type { ServiceIR } from "../ir.js";
import type { Check } from "./check.js";
import { compareSpans } from "./support/edges.js";

export const sharedIdentity: Check = {
  name: "SharedIdentity",
  run({ ir, services }, report) {
    for (const identity of ir.identities) {
      if (identity.services.length < 2) continue;
      const sharing = identity.services
        .map((id) => services.get(id))
        .filter((s): s is ServiceIR => s !== undefined)
        .sort((a, b) => compareSpans(a.span, b.span));
      const at = (s: ServiceIR) => s.fieldSpans.serviceAccount ?? s.span;
      const [first, ...rest] = sharing;
      if (!first || rest.length === 0) continue;
      // Reported at the second declaration: the first was fine until another service joined it.
      report(
        "SharedIdentity",
        { services: sharing.map((s) => s.key), serviceAccount: identity.serviceAccount, spiffeId: identity.spiffeId },
        at(rest[0]!),
        { related: [first, ...rest.slice(1)].map((s) => ({ message: `"${s.key}" also runs as "${identity.serviceAccount}".`, span: at(s) })) },
      );
    }
  },
};
