/**
 * From artifacts to the Kubernetes objects a stack manages: one object per identity
 * (group, kind, namespace, name), each with a logical name that depends only on that identity, so
 * an edit to mesh.ts changes the objects it touches and nothing else. Pure: no Pulumi here.
 */
import type { Artifact, KubeObject } from "../../compiler/artifact.js";
import { compareIds } from "../../compiler/ir.js";
import { strategicMerge } from "./strategic-merge.js";

/** A Kubernetes object as targets emit it (values may be Pulumi outputs for objects the PKI fills in). */
export type { KubeObject };

/** One object the stack manages, and where it came from. */
export interface PlannedObject {
  /** `<Kind>[.<group>]/<namespace>/<name>` (`<Kind>[.<group>]/<name>` when cluster-scoped): identity and logical name. */
  readonly key: string;
  readonly object: KubeObject;
  /** The target that emitted it (the last one, when several did), or `pki`. */
  readonly source: string;
  /** Artifact path, or undefined for objects that come from the PKI. */
  readonly path?: string;
}

/** A strategic-merge patch onto an object the stack does not manage (it is applied server-side). */
export interface PlannedPatch {
  readonly key: string;
  readonly patch: KubeObject;
  readonly source: string;
  readonly path: string;
}

/** The objects to create, and what was left out or folded in, for outputs and tests. */
export interface ObjectPlan {
  /** Sorted by key. */
  readonly objects: readonly PlannedObject[];
  /** Patches whose object the stack does not manage. Sorted by key. */
  readonly patches: readonly PlannedPatch[];
  /** Paths of artifacts holding private keys: never deployed as plain resources (the PKI replaces them). */
  readonly sensitive: readonly string[];
  /** `[replaced path, by path]` when two targets emit one object: the later target's wins, as with `kubectl apply` in target order. */
  readonly overridden: readonly (readonly [string, string])[];
  /** Paths of patches merged into an object the stack manages. */
  readonly merged: readonly string[];
}

/** The API group of an apiVersion: `""` for the core group (`v1`). */
export function apiGroup(apiVersion: string): string {
  const slash = apiVersion.lastIndexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}

export function apiVersionOnly(apiVersion: string): string {
  return apiVersion.slice(apiVersion.lastIndexOf("/") + 1);
}

/** `Kind` for the core group, `Kind.group` otherwise: the way `kubectl` spells a resource type. */
export function kindOf(object: Pick<KubeObject, "apiVersion" | "kind">): string {
  const group = apiGroup(object.apiVersion);
  return group === "" ? object.kind : `${object.kind}.${group}`;
}

/**
 * The object's identity and logical name. The API version is left out on purpose: a target moving
 * from v1beta1 to v1 is still the same object in the cluster.
 */
export function objectKey(object: KubeObject): string {
  const ns = object.metadata.namespace;
  return ns === undefined ? `${kindOf(object)}/${object.metadata.name}` : `${kindOf(object)}/${ns}/${object.metadata.name}`;
}

export function isKubeObject(value: unknown): value is KubeObject {
  if (typeof value !== "object" || value === null) return false;
  const o = value as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
  return (
    typeof o.apiVersion === "string" &&
    typeof o.kind === "string" &&
    typeof o.metadata === "object" &&
    o.metadata !== null &&
    typeof o.metadata.name === "string" &&
    (o.metadata.namespace === undefined || typeof o.metadata.namespace === "string")
  );
}

/** The target an artifact belongs to: the first segment of its path. */
export function artifactTarget(artifact: Artifact): string {
  return artifact.path.split("/")[0]!;
}

/**
 * Turns the targets' artifacts (in the order the targets ran) into the objects to deploy:
 * - a `yaml` artifact marked `kubernetes` is an object;
 * - a `yaml` artifact shaped like an object but not marked `kubernetes` is a strategic-merge patch
 *   (the Envoy target's sidecar patches): merged into the object it names when the stack manages
 *   it, otherwise kept as a patch to apply server-side;
 * - anything `sensitive` is dropped: private keys reach the cluster only through the Pulumi PKI,
 *   whose key material lives in Pulumi state as secrets;
 * - JSON and text artifacts are files for other tools and have nothing to deploy.
 */
export function planObjects(artifacts: readonly Artifact[]): ObjectPlan {
  const objects = new Map<string, PlannedObject>();
  const patches: PlannedPatch[] = [];
  const sensitive: string[] = [];
  const overridden: [string, string][] = [];
  for (const artifact of artifacts) {
    if (!("yaml" in artifact)) continue;
    if (artifact.sensitive) {
      sensitive.push(artifact.path);
      continue;
    }
    if (!isKubeObject(artifact.yaml)) continue;
    const object = artifact.yaml;
    const key = objectKey(object);
    const source = artifactTarget(artifact);
    if (artifact.kubernetes) {
      const previous = objects.get(key);
      if (previous?.path) overridden.push([previous.path, artifact.path]);
      objects.set(key, { key, object, source, path: artifact.path });
    } else {
      patches.push({ key, patch: object, source, path: artifact.path });
    }
  }
  const merged: string[] = [];
  const unmatched: PlannedPatch[] = [];
  for (const p of patches) {
    const base = objects.get(p.key);
    if (!base) {
      unmatched.push(p);
      continue;
    }
    objects.set(p.key, { ...base, object: strategicMerge(base.object, p.patch) as KubeObject });
    merged.push(p.path);
  }
  const byKey = <T extends { key: string }>(a: T, b: T) => compareIds(a.key, b.key);
  return {
    objects: [...objects.values()].sort(byKey),
    patches: unmatched.sort(byKey),
    sensitive: sensitive.sort(compareIds),
    overridden: overridden.sort((a, b) => compareIds(a[0], b[0])),
    merged: merged.sort(compareIds),
  };
}

/** Adds objects the stack creates itself (the PKI's Secrets): they replace a target's object of the same identity. */
export function withObjects(plan: ObjectPlan, extra: readonly KubeObject[], source: string): ObjectPlan {
  const objects = new Map(plan.objects.map((o) => [o.key, o]));
  const overridden = [...plan.overridden];
  for (const object of extra) {
    const key = objectKey(object);
    const previous = objects.get(key);
    if (previous?.path) overridden.push([previous.path, `${source}:${key}`]);
    objects.set(key, { key, object, source });
  }
  return { ...plan, objects: [...objects.values()].sort((a, b) => compareIds(a.key, b.key)), overridden: overridden.sort((a, b) => compareIds(a[0], b[0])) };
}
