/**
 * The program of the repository's Pulumi.yaml (`main: dist/targets/pulumi/program.js`): deploys
 * the mesh the stack config names (see stack.ts). Pulumi takes an ES module's default export as
 * the program, and its return value as the stack outputs; the module must have no other exports.
 */
import { deployFromConfig } from "./stack.js";

export default async () => deployFromConfig();
