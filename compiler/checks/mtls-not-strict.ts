// mTLS not strict
// In a mesh whose default is strict mTLS, no service or port accepts plaintext.
// See: https://istio.io/latest/docs/reference/config/security/peer_authentication/#PeerAuthentication-MutualTLS-Mode
import type { Check } from "./check.js";

export const mtlsNotStrict: Check = {
  name: "MtlsNotStrict",
  run({ ir }, report) {
    if (ir.mtls !== "strict") return; // a mesh that chose plaintext by default has made its choice once
    for (const s of ir.services) {
      if (s.mtls !== "strict") report("MtlsNotStrict", { what: `Service "${s.key}"`, mode: s.mtls }, s.fieldSpans.mtls ?? s.span);
      for (const p of s.ports) {
        // Ports that inherit the service's mode are covered by the service's report.
        if (p.mtls !== "strict" && p.fieldSpans.mtls) report("MtlsNotStrict", { what: `Port "${p.name}" of "${s.key}"`, mode: p.mtls }, p.fieldSpans.mtls);
      }
    }
  },
};
