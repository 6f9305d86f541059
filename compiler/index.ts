/**
 * meshc's compiler as a library (`meshc/compiler`): what `meshc check` and `meshc build` do, for
 * tools of your own (a CI step, a generator of meshes). The IR is the contract the targets read;
 * its types are exported for reading it, not for building one.
 */
export { compileMesh, type CompileOptions, type CompileResult } from "./compile.js";
export { buildMesh, PARALLEL_FROM, type BuildOptions, type BuildResult } from "./build.js";
export type { Artifact, KubeObject } from "./artifact.js";
export type { Diagnostic, RelatedInfo } from "./diagnostics.js";
export type { MeshIR, Span } from "./ir.js";
export { OUTPUT_LAYOUTS, type OutputLayout, type ManifestEntry, type WriteResult } from "./writer.js";
