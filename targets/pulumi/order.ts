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
 * - workloads wait for the configuration they use (their ServiceAccount, and the ConfigMaps and
 *   Secrets their pods mount or read) and the policies of their namespace, so pods start with it
 *   present and the mesh's policy already in force. A workload waits for the namespace's denies,
 *   which wait for every allow; only where a namespace has no deny does it wait for the allows
 *   themselves. Waiting for everything directly was a dependency per workload and object of its
 *   namespace: at 300 services in one namespace, ~500,000 dependencies (1,488 on one Deployment),
 *   which Pulumi resolves and sends to the engine one by one.
 *
 * No target shipped with meshc needs the opposite order (deny before allow): Istio's and Linkerd's
 * policies and Kubernetes NetworkPolicies are all additive allow-lists over a default deny, and the
 * Envoy target carries allow and deny in one ConfigMap. A target that did (a policy engine whose
 * allows only take effect once a deny exists, say) would add its kinds to `roleOf` as `allow`/`deny`
 * the other way round.
 */
import { compareIds } from "../../compiler/ir.js";
import { apiGroup, objectKey, type KubeObject, type PlannedObject } from "./objects.js";

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
  // Per namespace, the keys of its objects in each role.
  const inRole = new Map<string, Map<Role, string[]>>();
  for (const o of objects) {
    const role = roles.get(o.key)!;
    if (role === "namespace") namespaces.set(o.object.metadata.name, o.key);
    if (role === "definition") {
      const spec = (o.object.spec ?? {}) as { group?: string; names?: { kind?: string } };
      definitions.set(`${spec.group}/${spec.names?.kind}`, o.key);
    }
    const ns = o.object.metadata.namespace;
    if (ns === undefined) continue;
    let list = byNamespace.get(ns);
    if (!list) byNamespace.set(ns, (list = []));
    list.push(o);
    let roleKeys = inRole.get(ns);
    if (!roleKeys) inRole.set(ns, (roleKeys = new Map()));
    let keys = roleKeys.get(role);
    if (!keys) roleKeys.set(role, (keys = []));
    keys.push(o.key);
  }
  const ofRole = (ns: string | undefined, role: Role): readonly string[] => (ns === undefined ? [] : (inRole.get(ns)?.get(role) ?? []));
  const out = new Map<string, string[]>();
  for (const o of objects) {
    const deps = new Set<string>();
    const ns = o.object.metadata.namespace;
    if (ns !== undefined && namespaces.has(ns)) deps.add(namespaces.get(ns)!);
    const crd = definitions.get(`${apiGroup(o.object.apiVersion)}/${o.object.kind}`);
    if (crd) deps.add(crd);
    const role = roles.get(o.key)!;
    // Levels make the graph acyclic: namespaces and CRDs, then everything else, then denies
    // (after non-deny objects only), then workloads.
    if (role === "deny") {
      for (const n of ns === undefined ? [] : (byNamespace.get(ns) ?? [])) {
        const r = roles.get(n.key)!;
        if (r === "allow" || (r !== "deny" && r !== "workload" && attachesTo(n.object, o.object))) deps.add(n.key);
      }
    }
    if (role === "workload") {
      for (const key of usedConfiguration(o.object)) if (roles.get(key) === "config") deps.add(key);
      const denies = ofRole(ns, "deny");
      for (const key of denies.length > 0 ? denies : ofRole(ns, "allow")) deps.add(key);
    }
    deps.delete(o.key);
    out.set(o.key, [...deps].sort(compareIds));
  }
  return out;
}

/** `value[path[0]][path[1]]…`, or undefined where a step is not an object. */
function field(value: unknown, ...path: string[]): unknown {
  return path.reduce<unknown>((v, k) => (typeof v === "object" && v !== null ? (v as Record<string, unknown>)[k] : undefined), value);
}

/** The objects of a list field (anything else in it is skipped). */
function records(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter((v): v is Record<string, unknown> => typeof v === "object" && v !== null) : [];
}

/** The pod spec of a workload object (a Pod's own, a controller's template's). */
function podSpec(object: KubeObject): Record<string, unknown> | undefined {
  const pod = object.kind === "Pod" ? object.spec : object.kind === "CronJob" ? field(object.spec, "jobTemplate", "spec", "template", "spec") : field(object.spec, "template", "spec");
  return typeof pod === "object" && pod !== null ? (pod as Record<string, unknown>) : undefined;
}

/**
 * Keys of the ServiceAccount, ConfigMaps and Secrets a workload's pods use, in its namespace: the
 * account they run as (`default` unless named), and what their volumes, environment and image
 * pulls name. Names that are not plain strings (a Pulumi output) are not followed.
 */
export function usedConfiguration(object: KubeObject): string[] {
  const ns = object.metadata.namespace;
  const pod = podSpec(object);
  if (ns === undefined || !pod) return [];
  const keys = new Set<string>();
  const use = (kind: "ServiceAccount" | "ConfigMap" | "Secret", name: unknown) => {
    if (typeof name === "string" && name !== "") keys.add(objectKey({ apiVersion: "v1", kind, metadata: { name, namespace: ns } }));
  };
  use("ServiceAccount", pod.serviceAccountName ?? pod.serviceAccount ?? "default");
  for (const s of records(pod.imagePullSecrets)) use("Secret", s.name);
  for (const v of records(pod.volumes)) {
    use("ConfigMap", field(v, "configMap", "name"));
    use("Secret", field(v, "secret", "secretName"));
    for (const source of records(field(v, "projected", "sources"))) {
      use("ConfigMap", field(source, "configMap", "name"));
      use("Secret", field(source, "secret", "name"));
    }
  }
  for (const c of [...records(pod.initContainers), ...records(pod.containers), ...records(pod.ephemeralContainers)]) {
    for (const from of records(c.envFrom)) {
      use("ConfigMap", field(from, "configMapRef", "name"));
      use("Secret", field(from, "secretRef", "name"));
    }
    for (const e of records(c.env)) {
      use("ConfigMap", field(e, "valueFrom", "configMapKeyRef", "name"));
      use("Secret", field(e, "valueFrom", "secretKeyRef", "name"));
    }
  }
  return [...keys];
}
