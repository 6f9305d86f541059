/**
 * Names, identities and durations the Linkerd generators share, so every object that refers to
 * another one spells its name the same way.
 */
import { createHash } from "node:crypto";
import type { Identity, MeshIR, PortIR, ServiceIR } from "../../compiler/ir.js";
import { LINKERD_NAMESPACE } from "../conventions.js";

export const TARGET = "linkerd";

export const POLICY_GROUP = "policy.linkerd.io";
export const GATEWAY_GROUP = "gateway.networking.k8s.io";

/** Storage versions of the CRDs meshc writes (test/schemas/linkerd/index.json). */
export const API = {
  server: `${POLICY_GROUP}/v1beta3`,
  authorizationPolicy: `${POLICY_GROUP}/v1alpha1`,
  meshTLSAuthentication: `${POLICY_GROUP}/v1alpha1`,
  networkAuthentication: `${POLICY_GROUP}/v1alpha1`,
  rateLimitPolicy: `${POLICY_GROUP}/v1alpha1`,
  egressNetwork: `${POLICY_GROUP}/v1alpha1`,
  httpRoute: `${GATEWAY_GROUP}/v1`,
  grpcRoute: `${GATEWAY_GROUP}/v1`,
  tlsRoute: `${GATEWAY_GROUP}/v1alpha2`,
  tcpRoute: `${GATEWAY_GROUP}/v1alpha2`,
} as const;

/** Linkerd's `MeshTLSAuthentication` wildcard: every meshed client. */
export const ANY_IDENTITY = "*";

/**
 * The mTLS identity Linkerd's identity service gives a service account:
 * `<sa>.<ns>.serviceaccount.identity.<control-plane-namespace>.<trust-domain>`.
 */
export function linkerdIdentity(identity: Pick<Identity, "namespace" | "serviceAccount">, ir: Pick<MeshIR, "trustDomain">): string {
  return `${identity.serviceAccount}.${identity.namespace}.serviceaccount.identity.${LINKERD_NAMESPACE}.${ir.trustDomain}`;
}

/** The Server (and its server-wide authorization) of one service port. */
export function serverName(service: ServiceIR, port: PortIR): string {
  return boundedName(`${service.name}-${port.name}`);
}

/**
 * Kubernetes names of the policy kinds are DNS subdomains (at most 253 characters). Generated
 * names join declared ones; past the limit the tail becomes a hash of the whole name, so two long
 * names never meet on one truncation.
 */
export function boundedName(name: string, max = 253): string {
  if (name.length <= max) return name;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 10);
  return `${name.slice(0, max - hash.length - 1).replace(/[-.]+$/, "")}-${hash}`;
}

/**
 * A duration as Linkerd's annotation parser reads it: one integer and one unit. Milliseconds
 * unless the value is whole seconds, so nothing is rounded.
 */
export function linkerdDuration(ms: number): string {
  const whole = Math.round(ms);
  return whole % 1000 === 0 ? `${whole / 1000}s` : `${whole}ms`;
}

/**
 * A Gateway API duration (GEP-2257): up to four `<number><unit>` parts, each number at most five
 * digits, units h, m, s, ms.
 */
export function gatewayDuration(ms: number): string {
  let rest = Math.round(ms);
  if (rest === 0) return "0s";
  const parts: string[] = [];
  for (const [unit, size] of [
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
    ["ms", 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join("");
}

/** Characters Rust's `regex::escape` escapes: what Linkerd's proxy compiles route regexes with. */
export function escapeRegex(text: string): string {
  return text.replace(/[\\.+*?()|[\]{}^$#&\-~]/g, (c) => `\\${c}`);
}
