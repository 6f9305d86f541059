/**
 * The meshc CrossGuard policy pack: `pulumi preview --policy-pack targets/pulumi/policy-pack`
 * (after `npm ci`, which builds dist/). See policies.ts.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies.js";

new PolicyPack("meshc", {
  description: "meshc's invariants: default-deny meshes, no allow-everyone Istio rules, no weaker mTLS, private keys only in secret Secrets, denies created after allows.",
  enforcementLevel: "mandatory",
  policies,
});
