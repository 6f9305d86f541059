/**
 * meshc's invariants as CrossGuard policies, for any stack (whether meshc made its resources or
 * not). Each policy is plain data plus a function of the resource's inputs, so tests call them
 * directly; index.ts serves them as a policy pack.
 */
import type { PolicyResource, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { compareIds } from "../../../compiler/ir.js";
import type { KubeObject } from "../objects.js";
import { roleOf } from "../order.js";

/** The Kubernetes object a resource registers, or undefined for anything else. */
export function kubeObjectOf(resource: { type: string; props: Record<string, unknown> }): KubeObject | undefined {
  const m = /^kubernetes:([^:]+)\/([^/:]+):([A-Za-z0-9]+)$/.exec(resource.type);
  if (!m) return undefined;
  const [, group, version, kind] = m;
  const metadata = (resource.props.metadata ?? {}) as KubeObject["metadata"];
  if (typeof metadata.name !== "string") return undefined;
  return { ...resource.props, apiVersion: group === "core" ? version! : `${group}/${version}`, kind: kind!, metadata } as KubeObject;
}

const isKind = (o: KubeObject | undefined, apiGroup: string, kind: string): o is KubeObject =>
  o !== undefined && o.kind === kind && (apiGroup === "" ? !o.apiVersion.includes("/") : o.apiVersion.startsWith(`${apiGroup}/`));

// ── Istio: an empty principal list allows everyone ─────────────────────────────────────────────

/**
 * In Istio an empty or missing list is "no condition", not "nobody": `principals: []`, a source
 * with no fields, or an empty rule each make an ALLOW rule match every caller. meshc's
 * default-deny is an ALLOW policy with no rules at all (allow-nothing), which matches nothing.
 */
export const istioNoEmptyPrincipals: ResourceValidationPolicy = {
  name: "istio-allow-empty-principals",
  description: "An Istio ALLOW AuthorizationPolicy must not hold a rule that matches every caller (empty principals, empty source or empty rule).",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps: "List the caller principals, or remove the rule. To deny everything, use an AuthorizationPolicy with `spec: {}` (allow-nothing).",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    const o = kubeObjectOf(args);
    if (!isKind(o, "security.istio.io", "AuthorizationPolicy")) return;
    const spec = (o.spec ?? {}) as { action?: string; rules?: { from?: { source?: Record<string, unknown> }[]; to?: unknown[]; when?: unknown[] }[] };
    if ((spec.action ?? "ALLOW") !== "ALLOW" || !Array.isArray(spec.rules)) return;
    spec.rules.forEach((rule, i) => {
      const where = `${o.metadata.namespace ?? ""}/${o.metadata.name} rule ${i}`;
      if (Object.keys(rule ?? {}).length === 0) {
        report(`${where} is empty: it allows every request to the selected workloads.`);
        return;
      }
      for (const [j, from] of (rule.from ?? []).entries()) {
        const source = from?.source ?? {};
        if (Object.keys(source).length === 0) report(`${where} from[${j}] has an empty source: it matches every caller.`);
        else if (Array.isArray(source.principals) && source.principals.length === 0) {
          report(`${where} from[${j}] has an empty principals list, which Istio reads as "any caller", not "no caller".`);
        }
      }
      if (Array.isArray(rule.from) && rule.from.length === 0) report(`${where} has an empty from list: it matches every caller.`);
    });
  },
};

// ── Istio: nothing weaker than the mesh's mTLS mode ────────────────────────────────────────────

const MTLS_STRENGTH: Readonly<Record<string, number>> = { DISABLE: 0, PERMISSIVE: 1, STRICT: 2 };

export interface MtlsConfig {
  /** The mesh's mTLS mode: no PeerAuthentication may be weaker. */
  readonly minimumMode: "STRICT" | "PERMISSIVE" | "DISABLE";
}

export const istioPeerAuthenticationMode: ResourceValidationPolicy = {
  name: "istio-peer-authentication-mode",
  description: "No Istio PeerAuthentication (or port-level setting) may be weaker than the mesh's mTLS mode.",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: {
    properties: { minimumMode: { type: "string", enum: ["STRICT", "PERMISSIVE", "DISABLE"], default: "STRICT" } },
  },
  remediationSteps: "Declare the port or service's mtls in mesh.ts, or lower `minimumMode` in the policy pack config if the mesh really allows it.",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    const o = kubeObjectOf(args);
    if (!isKind(o, "security.istio.io", "PeerAuthentication")) return;
    const minimum = args.getConfig<Partial<MtlsConfig>>().minimumMode ?? "STRICT";
    const spec = (o.spec ?? {}) as { mtls?: { mode?: string }; portLevelMtls?: Record<string, { mode?: string }> };
    const weaker = (mode: string | undefined) => mode !== undefined && mode !== "UNSET" && (MTLS_STRENGTH[mode] ?? -1) < MTLS_STRENGTH[minimum]!;
    const where = `${o.metadata.namespace ?? ""}/${o.metadata.name}`;
    if (weaker(spec.mtls?.mode)) report(`${where} sets mTLS ${spec.mtls!.mode}, weaker than the mesh's ${minimum}.`);
    for (const [port, setting] of Object.entries(spec.portLevelMtls ?? {}).sort(([a], [b]) => compareIds(a, b))) {
      if (weaker(setting?.mode)) report(`${where} sets mTLS ${setting.mode} on port ${port}, weaker than the mesh's ${minimum}.`);
    }
  },
};

// ── Key material only in Secrets, and kept secret ──────────────────────────────────────────────

const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
/** "-----BEGIN" in base64 at the three possible alignments: how a PEM looks inside `data`. */
const BASE64_PEM = /LS0tLS1CRUdJTi|0tLS0tQkVHSU4|tLS0tLUJFR0lO/;

/** Paths (`spec.x[0].y`) of strings in the value that hold a PEM private key, in clear or base64. */
export function privateKeyPaths(value: unknown, path = ""): string[] {
  if (typeof value === "string") {
    if (PRIVATE_KEY.test(value)) return [path];
    if (BASE64_PEM.test(value)) {
      const decoded = Buffer.from(value.replace(/\s+/g, ""), "base64").toString("utf8");
      if (PRIVATE_KEY.test(decoded)) return [path];
    }
    return [];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => privateKeyPaths(v, `${path}[${i}]`));
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => privateKeyPaths(v, path === "" ? k : `${path}.${k}`));
  }
  return [];
}

const SECRET_TYPE = "kubernetes:core/v1:Secret";

/**
 * A private key in a Kubernetes object other than a Secret is readable by anyone who may read
 * that object; in any resource, a field holding one must be a secret output, or Pulumi stores it
 * in plain text. (The analyzer sees inputs with secrets already revealed, so the field's place in
 * `additionalSecretOutputs` is what shows it is kept secret: the SDK's Secret class lists `data`
 * and `stringData`, and @pulumi/tls lists its key inputs.)
 */
export const privateKeysKeptSecret: ResourceValidationPolicy = {
  name: "private-keys-kept-secret",
  description: "Private keys reach Kubernetes only in Secrets, and every field holding one is kept secret by Pulumi.",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps: "Put the key in a `kubernetes.core.v1.Secret` (never a ConfigMap, annotation or custom resource), and pass key material as `pulumi.secret(...)`.",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    const paths = privateKeyPaths(args.props);
    if (paths.length === 0) return;
    if (args.type.startsWith("kubernetes:") && args.type !== SECRET_TYPE) {
      report(`${args.type} "${args.name}" holds a private key (${paths.join(", ")}): in Kubernetes only a Secret may.`);
      return;
    }
    const secretOutputs = new Set(args.opts.additionalSecretOutputs ?? []);
    const exposed = [...new Set(paths.map((p) => p.split(/[.[]/)[0]!))].filter((field) => !secretOutputs.has(field)).sort(compareIds);
    if (exposed.length > 0) report(`"${args.name}" holds a private key in ${exposed.join(", ")}, which Pulumi does not keep secret: it would be stored in plain text.`);
  },
};

// ── Mesh namespaces are default-deny ───────────────────────────────────────────────────────────

/** Namespaces a meshc mesh owns: Namespace resources carrying meshc's mesh label. */
function meshNamespaces(resources: readonly PolicyResource[]): string[] {
  return resources
    .map((r) => kubeObjectOf(r))
    .filter((o): o is KubeObject => isKind(o, "", "Namespace") && o.metadata.labels?.["meshc.dev/mesh"] !== undefined)
    .map((o) => o.metadata.name)
    .sort(compareIds);
}

/** A NetworkPolicy denying all ingress to every pod of its namespace. */
export function isDefaultDenyIngress(o: KubeObject): boolean {
  if (!isKind(o, "networking.k8s.io", "NetworkPolicy")) return false;
  const spec = (o.spec ?? {}) as { podSelector?: { matchLabels?: object; matchExpressions?: unknown[] }; policyTypes?: string[]; ingress?: unknown[] };
  const selectsAll = Object.keys(spec.podSelector?.matchLabels ?? {}).length === 0 && (spec.podSelector?.matchExpressions ?? []).length === 0;
  const types = spec.policyTypes ?? ["Ingress"];
  return selectsAll && types.includes("Ingress") && (spec.ingress ?? []).length === 0;
}

export const meshNamespacesDefaultDeny: StackValidationPolicy = {
  name: "mesh-namespace-default-deny",
  description: "Every namespace of a meshc mesh has a NetworkPolicy denying all ingress by default.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps: "Deploy the kubernetes target (MeshDeployment `workloads: true`) or a NetworkPolicy with `podSelector: {}` and `policyTypes: [Ingress]`.",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const denied = new Set(
      args.resources
        .map((r) => kubeObjectOf(r))
        .filter((o): o is KubeObject => o !== undefined && isDefaultDenyIngress(o))
        .map((o) => o.metadata.namespace ?? ""),
    );
    for (const ns of meshNamespaces(args.resources)) {
      if (!denied.has(ns)) report(`Namespace "${ns}" belongs to a meshc mesh but has no default-deny ingress NetworkPolicy.`);
    }
  },
};

// ── Istio: allow policies come with the allow-nothing default ──────────────────────────────────

export const istioAllowNothingPresent: StackValidationPolicy = {
  name: "istio-allow-nothing-present",
  description: "A namespace with meshc's Istio ALLOW policies also has the allow-nothing policy, so workloads no policy selects are denied too.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const policies = args.resources.map((r) => kubeObjectOf(r)).filter((o): o is KubeObject => isKind(o, "security.istio.io", "AuthorizationPolicy"));
    const meshc = (o: KubeObject) => o.metadata.labels?.["app.kubernetes.io/managed-by"] === "meshc";
    const locked = new Set(policies.filter((o) => roleOf(o) === "deny" && (o.spec as { action?: string } | undefined)?.action !== "DENY").map((o) => o.metadata.namespace ?? ""));
    const namespaces = [...new Set(policies.filter((o) => meshc(o) && roleOf(o) === "allow").map((o) => o.metadata.namespace ?? ""))].sort(compareIds);
    for (const ns of namespaces) if (!locked.has(ns)) report(`Namespace "${ns}" has meshc's Istio ALLOW policies but no allow-nothing AuthorizationPolicy (spec: {}).`);
  },
};

// ── Deny after allow ───────────────────────────────────────────────────────────────────────────

export const denyAfterAllow: StackValidationPolicy = {
  name: "deny-after-allow",
  description: "A default-deny policy depends on every allow policy of its namespace, so no deployment opens a window in which everything is denied.",
  enforcementLevel: "mandatory",
  severity: "medium",
  remediationSteps: "Deploy with MeshDeployment, or add the namespace's allow policies to the deny policy's dependsOn.",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const policies = args.resources
      .map((r) => ({ r, o: kubeObjectOf(r) }))
      .filter((x): x is { r: PolicyResource; o: KubeObject } => x.o !== undefined && (roleOf(x.o) === "allow" || roleOf(x.o) === "deny"));
    for (const { r, o } of policies) {
      if (roleOf(o) !== "deny") continue;
      const before = new Set(r.dependencies.map((d) => d.urn));
      const missing = policies
        .filter((x) => roleOf(x.o) === "allow" && x.o.metadata.namespace === o.metadata.namespace && !before.has(x.r.urn))
        .map((x) => x.r.name)
        .sort(compareIds);
      if (missing.length > 0) report(`Deny policy "${r.name}" does not wait for the allow policies ${missing.map((m) => `"${m}"`).join(", ")} of its namespace.`, r.urn);
    }
  },
};

/** The pack's policies, in reading order. */
export const policies = [istioNoEmptyPrincipals, istioPeerAuthenticationMode, privateKeysKeptSecret, meshNamespacesDefaultDeny, istioAllowNothingPresent, denyAfterAllow];
