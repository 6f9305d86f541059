/**
 * The Pulumi project in this repository (Pulumi.yaml) deploys the mesh its stack config names:
 *
 * | key | meaning |
 * |---|---|
 * | `meshc:mesh` | path of the mesh.ts (required) |
 * | `meshc:target` | `kubernetes`, `envoy`, `istio` or `linkerd` (required) |
 * | `meshc:namespace` | moves the mesh's default namespace |
 * | `meshc:workloads` | also deploy the kubernetes target (default true) |
 * | `meshc:certificates` | issue the mesh's certificates in Pulumi (default true) |
 * | `meshc:namespaceLabels` | labels for the mesh's Namespaces, e.g. `{"istio-injection": "enabled"}` |
 * | `meshc:exclude` | kinds to leave out, e.g. `["NetworkPolicy.networking.k8s.io"]` |
 * | `meshc:strict` | warnings fail the deployment |
 * | `meshc:renderYamlToDirectory` | render YAML into this folder instead of applying it |
 */
import * as pulumi from "@pulumi/pulumi";
import { MeshDeploymentError } from "./build.js";
import { MeshDeployment, type MeshDeploymentArgs } from "./mesh-deployment.js";

export type StackConfig = Omit<MeshDeploymentArgs, "provider" | "controlPlane">;

/** Reads `meshc:*` stack config; a missing or mistyped value fails with the key's name. */
export function readStackConfig(config: pulumi.Config = new pulumi.Config("meshc")): StackConfig {
  const text = (key: string) => {
    const value = config.get(key);
    return value === undefined || value === "" ? undefined : value;
  };
  const bool = (key: string) => {
    const value = text(key);
    if (value === undefined) return undefined;
    if (value !== "true" && value !== "false") throw new MeshDeploymentError(`meshc:${key} must be true or false, not "${value}".`);
    return value === "true";
  };
  const required = (key: string, example: string) => {
    const value = text(key);
    if (value === undefined) throw new MeshDeploymentError(`Missing stack config meshc:${key}; set it with \`pulumi config set meshc:${key} ${example}\`.`);
    return value;
  };
  const mesh = required("mesh", "examples/bookinfo/mesh.ts");
  const target = required("target", "istio");
  let exclude: string[] | undefined;
  const excludeText = text("exclude");
  if (excludeText !== undefined) {
    const parsed = parseJson(excludeText);
    if (!Array.isArray(parsed) || !parsed.every((k) => typeof k === "string")) {
      throw new MeshDeploymentError(`meshc:exclude must be a list of kinds, e.g. ["NetworkPolicy.networking.k8s.io"], not ${excludeText}.`);
    }
    exclude = parsed as string[];
  }
  let namespaceLabels: Record<string, string> | undefined;
  const labelsText = text("namespaceLabels");
  if (labelsText !== undefined) {
    const parsed = parseJson(labelsText);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed) || !Object.values(parsed).every((v) => typeof v === "string")) {
      throw new MeshDeploymentError(`meshc:namespaceLabels must be an object of label values, e.g. {"istio-injection": "enabled"}, not ${labelsText}.`);
    }
    namespaceLabels = parsed as Record<string, string>;
  }
  const namespace = text("namespace");
  const workloads = bool("workloads");
  const certificates = bool("certificates");
  const strict = bool("strict");
  const renderYamlToDirectory = text("renderYamlToDirectory");
  return {
    mesh,
    target,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(workloads !== undefined ? { workloads } : {}),
    ...(certificates !== undefined ? { certificates } : {}),
    ...(exclude !== undefined ? { exclude } : {}),
    ...(namespaceLabels !== undefined ? { namespaceLabels } : {}),
    ...(strict !== undefined ? { strict } : {}),
    ...(renderYamlToDirectory !== undefined ? { renderYamlToDirectory } : {}),
  };
}

/** JSON, or undefined when the text is not JSON. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Deploys the mesh the stack config names; returns the stack outputs. */
export function deployFromConfig(config: pulumi.Config = new pulumi.Config("meshc")) {
  const args = readStackConfig(config);
  // A fixed component name: logical names stay the same whatever the project or stack is called.
  const mesh = new MeshDeployment("mesh", args);
  return {
    target: args.target,
    services: mesh.services,
    identities: mesh.identities,
    namespaces: mesh.namespaces,
    policyCounts: mesh.policyCounts,
    resourceCounts: mesh.resourceCounts,
    rootCertificate: mesh.rootCertificate,
    warnings: mesh.warnings,
  };
}
