/**
 * meshc for Pulumi programs (`meshc/pulumi`): deploy a mesh.ts with `new MeshDeployment(...)`.
 * The only part of meshc that imports `@pulumi/*`. See README.md beside this file.
 */
export { MeshDeployment, type MeshDeploymentArgs, type ServiceSummary } from "./mesh-deployment.js";
export { MeshPki, type MeshPkiArgs, type IssuerPem } from "./pki.js";
export { MeshDeploymentError, deployableTargets } from "./build.js";
export { deployFromConfig, readStackConfig, type StackConfig } from "./stack.js";
export type { KubeObject } from "./objects.js";
