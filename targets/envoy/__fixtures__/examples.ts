/** The examples compiled and run through the envoy target once per test process. */
import YAML from "yaml";
import type { Artifact } from "../../../compiler/artifact.js";
import { compileMesh } from "../../../compiler/compile.js";
import { hasErrors } from "../../../compiler/diagnostics.js";
import type { MeshIR } from "../../../compiler/ir.js";
import { example } from "../../../test/helpers/mesh.js";
import type { TargetResult } from "../../target.js";
import { envoyTarget } from "../index.js";

export interface Compiled {
  readonly ir: MeshIR;
  readonly result: TargetResult;
}

const cache = new Map<string, Compiled>();

export function compiledExample(name: string): Compiled {
  const hit = cache.get(name);
  if (hit) return hit;
  const compiled = compileMesh(example(name));
  if (!compiled.ir || hasErrors(compiled.diagnostics)) throw new Error(`${name} does not compile`);
  const out = { ir: compiled.ir, result: envoyTarget.run(compiled.ir, { stateDir: "/nonexistent" }) };
  cache.set(name, out);
  return out;
}

export type KubeObject = { apiVersion: string; kind: string; metadata: { name: string; namespace: string; annotations?: Record<string, string> }; spec?: any; data?: Record<string, string> };

export function yamlObjects(artifacts: readonly Artifact[]): { path: string; object: KubeObject }[] {
  return artifacts.flatMap((a) => ("yaml" in a ? [{ path: a.path, object: a.yaml as KubeObject }] : []));
}

/** Every ConfigMap's files, parsed: `{ "<ns>/<name>": { "envoy.yaml": {...}, ... } }`. */
export function configMaps(artifacts: readonly Artifact[]): Map<string, Record<string, any>> {
  const out = new Map<string, Record<string, any>>();
  for (const { object } of yamlObjects(artifacts)) {
    if (object.kind !== "ConfigMap") continue;
    out.set(
      `${object.metadata.namespace}/${object.metadata.name}`,
      Object.fromEntries(Object.entries(object.data ?? {}).map(([k, v]) => [k, YAML.parse(v)])),
    );
  }
  return out;
}

export function bootstrapOf(artifacts: readonly Artifact[], namespace: string, configMap: string): any {
  const files = configMaps(artifacts).get(`${namespace}/${configMap}`);
  if (!files) throw new Error(`no ConfigMap ${namespace}/${configMap}`);
  return files["envoy.yaml"];
}
