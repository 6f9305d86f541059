/**
 * One `@pulumi/kubernetes` resource per object: the SDK's typed class when it has one for the
 * object's group, version and kind (so Deployments get rollout awaiting and Secrets have their
 * data kept secret by the SDK as well), `apiextensions.CustomResource` for everything else
 * (Istio, Linkerd, Gateway API). Either way the resource type is `kubernetes:<group>/<version>:<Kind>`.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { apiGroup, apiVersionOnly, type KubeObject } from "./objects.js";

type ResourceClass = new (name: string, args: Record<string, unknown>, opts?: pulumi.CustomResourceOptions) => pulumi.CustomResource;

/** The Pulumi type token of an object. */
export function typeToken(object: Pick<KubeObject, "apiVersion" | "kind">, suffix = ""): string {
  const group = apiGroup(object.apiVersion);
  return `kubernetes:${group === "" ? "core" : group}/${apiVersionOnly(object.apiVersion)}:${object.kind}${suffix}`;
}

/**
 * The SDK's typed class for `Kind` (or `KindPatch`), found by the module layout of
 * @pulumi/kubernetes (`k8s.<first label of the group>.<version>.<Kind>`) and accepted only if its
 * type token is exactly the object's: `networking.istio.io` must not land on `k8s.networking`.
 */
function typedClass(object: Pick<KubeObject, "apiVersion" | "kind">, suffix: "" | "Patch"): ResourceClass | undefined {
  const group = apiGroup(object.apiVersion);
  const module = group === "" ? "core" : group.split(".")[0]!;
  const modules = k8s as unknown as Record<string, Record<string, Record<string, unknown>> | undefined>;
  const candidate = Object.hasOwn(modules, module) ? modules[module]?.[apiVersionOnly(object.apiVersion)]?.[`${object.kind}${suffix}`] : undefined;
  if (typeof candidate !== "function") return undefined;
  return (candidate as { __pulumiType?: string }).__pulumiType === typeToken(object, suffix) ? (candidate as ResourceClass) : undefined;
}

/** Whether the object is a custom resource: no typed class, so its CRD must be installed first. */
export function isCustomResource(object: Pick<KubeObject, "apiVersion" | "kind">): boolean {
  return typedClass(object, "") === undefined;
}

/** Creates the resource for an object. */
export function createResource(name: string, object: KubeObject, opts: pulumi.CustomResourceOptions): pulumi.CustomResource {
  const Typed = typedClass(object, "");
  if (Typed) return new Typed(name, { ...object }, opts);
  return new k8s.apiextensions.CustomResource(name, { ...object }, opts);
}

/** Creates a server-side-apply patch for an object the stack does not own. */
export function createPatch(name: string, patch: KubeObject, opts: pulumi.CustomResourceOptions): pulumi.CustomResource {
  const Typed = typedClass(patch, "Patch");
  if (Typed) return new Typed(name, { ...patch }, opts);
  return new k8s.apiextensions.CustomResourcePatch(name, { ...patch }, opts);
}
