/**
 * The order a deployment creates objects in, as dependencies between them. Pulumi creates an
 * object only after everything it depends on, and deletes in the reverse order, so:
 *
 * - a namespaced object waits for its Namespace, and a custom resource for the CRD that defines it
 *   (when the stack manages either);
 * - a default-deny policy waits for every allow policy of its namespace. Created first, it would
 *   deny every request until the allows caught up; created last, each workload goes from "open" to
 *   "allowed calls only" in one step. `pulumi destroy` removes the denies first, for the same reason.
 *   It also waits for what attaches to it (`parentRefs`/`targetRef` naming it): a Linkerd Server
 *   refuses requests none of its routes match, so its routes must all be there when it appears.
 * - workloads wait for the configuration and policies of their namespace, so pods start with
 *   their ConfigMaps, Secrets and ServiceAccounts present and the mesh's policy already in force.
 *
 * No target shipped with meshc needs the opposite order (deny before allow): Istio's and Linkerd's
 * policies and Kubernetes NetworkPolicies are all additive allow-lists over a default deny, and the
 * Envoy target carries allow and deny in one ConfigMap. A target that did (a policy engine whose
 * allows only take effect once a deny exists, say) would add its kinds to `roleOf` as `allow`/`deny`
 * the other way round.
 */
import { compareIds } from "../../compiler/ir.js";
import { apiGroup, type KubeObject, type PlannedObject } from "./objects.js";

/**
 * - `namespace`, `definition` (CRD): created before everything that lives in or is defined by them;
 * - `config`: what pods mount or run as (ServiceAccount, ConfigMap, Secret);
 * - `allow` / `deny`: access policy, ordered allow-first;
 * - `workload`: what runs pods;
 * - `other`: everything else (Services, routes, traffic policy).
 */
export type Role = "namespace" | "definition" | "config" | "allow" | "deny" | "workload" | "other";

const WORKLOAD_KINDS = new Set(["apps/Deployment", "apps/StatefulSet", "apps/DaemonSet", "apps/ReplicaSet", "batch/Job", "batch/CronJob", "/Pod"]);
const CONFIG_KINDS = new Set(["/ServiceAccount", "/ConfigMap", "/Secret"]);
const LINKERD_ALLOW_KINDS = new Set(["AuthorizationPolicy", "ServerAuthorization", "MeshTLSAuthentication", "NetworkAuthentication"]);

export function roleOf(object: KubeObject): Role {
  const group = apiGroup(object.apiVersion);
  const kind = `${group}/${object.kind}`;
  if (kind === "/Namespace") return "namespace";
  if (kind === "apiextensions.k8s.io/CustomResourceDefinition") return "definition";
  if (WORKLOAD_KINDS.has(kind)) return "workload";
  if (CONFIG_KINDS.has(kind)) return "config";
  const spec = (object.spec ?? {}) as Record<string, unknown>;
  if (kind === "networking.k8s.io/NetworkPolicy") {
    // A direction the policy governs with no rule for it denies that direction to the pods it selects.
    const types = Array.isArray(spec.policyTypes) ? (spec.policyTypes as string[]) : ["Ingress", ...(spec.egress !== undefined ? ["Egress"] : [])];
    const empty = (rules: unknown) => !Array.isArray(rules) || rules.length === 0;
    return (types.includes("Ingress") && empty(spec.ingress)) || (types.includes("Egress") && empty(spec.egress)) ? "deny" : "allow";
  }
  if (group === "security.istio.io" && object.kind === "AuthorizationPolicy") {
    const action = typeof spec.action === "string" ? spec.action : "ALLOW";
    if (action === "DENY") return "deny";
    if (action !== "ALLOW") return "other";
    // An ALLOW policy without rules matches nothing: Istio's allow-nothing, a default deny.
    return Array.isArray(spec.rules) && spec.rules.length > 0 ? "allow" : "deny";
  }
  if (group === "policy.linkerd.io") {
    // A Server switches its port to its access policy (deny unless authorized, by default).
    if (object.kind === "Server") return spec.accessPolicy === undefined || spec.accessPolicy === "deny" ? "deny" : "other";
    if (LINKERD_ALLOW_KINDS.has(object.kind)) return "allow";
  }
  return "other";
}

/** Whether `object` names `target` as its parent or policy target (Gateway API `parentRefs`, policy `targetRef`). */
function attachesTo(object: KubeObject, target: KubeObject): boolean {
  const spec = (object.spec ?? {}) as { parentRefs?: unknown; targetRef?: unknown };
  const refs = [...(Array.isArray(spec.parentRefs) ? spec.parentRefs : []), ...(spec.targetRef !== undefined ? [spec.targetRef] : [])] as { kind?: unknown; name?: unknown; group?: unknown }[];
  const group = apiGroup(target.apiVersion);
  return refs.some((ref) => ref.kind === target.kind && ref.name === target.metadata.name && (ref.group === undefined || ref.group === group));
}

/** For each object key, the keys of the objects it must be created after. Sorted. */
export function dependencies(objects: readonly PlannedObject[]): Map<string, string[]> {
  const roles = new Map(objects.map((o) => [o.key, roleOf(o.object)]));
  const namespaces = new Map<string, string>();
  const definitions = new Map<string, string>();
  const byNamespace = new Map<string, PlannedObject[]>();
  for (const o of objects) {
    const role = roles.get(o.key)!;
    if (role === "namespace") namespaces.set(o.object.metadata.name, o.key);
    if (role === "definition") {
      const spec = (o.object.spec ?? {}) as { group?: string; names?: { kind?: string } };
      definitions.set(`${spec.group}/${spec.names?.kind}`, o.key);
    }
    const ns = o.object.metadata.namespace;
    if (ns !== undefined) byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), o]);
  }
  const out = new Map<string, string[]>();
  for (const o of objects) {
    const deps = new Set<string>();
    const ns = o.object.metadata.namespace;
    if (ns !== undefined && namespaces.has(ns)) deps.add(namespaces.get(ns)!);
    const crd = definitions.get(`${apiGroup(o.object.apiVersion)}/${o.object.kind}`);
    if (crd) deps.add(crd);
    const role = roles.get(o.key)!;
    const neighbours = ns === undefined ? [] : (byNamespace.get(ns) ?? []);
    for (const n of neighbours) {
      const r = roles.get(n.key)!;
      // Levels make the graph acyclic: namespaces and CRDs, then everything else, then denies
      // (after non-deny objects only), then workloads.
      if (role === "deny" && (r === "allow" || (r !== "deny" && r !== "workload" && attachesTo(n.object, o.object)))) deps.add(n.key);
      if (role === "workload" && (r === "config" || r === "allow" || r === "deny")) deps.add(n.key);
    }
    deps.delete(o.key);
    out.set(o.key, [...deps].sort(compareIds));
  }
  return out;
}
