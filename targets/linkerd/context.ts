/**
 * What the Linkerd generators share during one run: lookups, the object shape, and the sink that
 * turns "Linkerd cannot say this" into one MESH200 per feature and place.
 */
import type { Diagnostic } from "../../compiler/diagnostics.js";
import { compareIds, indexServices, type MeshIR, type ServiceId, type ServiceIR, type Span } from "../../compiler/ir.js";
import { managedLabels } from "../conventions.js";
import { unsupported } from "../target.js";
import { TARGET } from "./names.js";

/** A Kubernetes object as the Linkerd target writes it. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly [field: string]: unknown;
}

export interface Context {
  readonly ir: MeshIR;
  readonly services: ReadonlyMap<ServiceId, ServiceIR>;
  /** Reports a feature Linkerd cannot express, once per feature, place and detail. */
  readonly unsupported: (feature: string, detail: string, span: Span | undefined) => void;
  readonly diagnostics: () => Diagnostic[];
}

export function createContext(ir: MeshIR): Context {
  const diagnostics: Diagnostic[] = [];
  const seen = new Set<string>();
  return {
    ir,
    services: indexServices(ir),
    unsupported(feature, detail, span) {
      const key = `${feature}|${detail}|${span ? `${span.file}:${span.line}:${span.column}` : ""}`;
      if (seen.has(key)) return;
      seen.add(key);
      diagnostics.push(unsupported(TARGET, feature, detail, span));
    },
    diagnostics: () => diagnostics,
  };
}

/** Metadata of a namespaced object meshc generates: the managed-by labels, sorted annotations. */
export function meta(ctx: Context, name: string, namespace: string, annotations?: Readonly<Record<string, string>>): KubeObject["metadata"] {
  const sorted = annotations && Object.keys(annotations).length > 0 ? sortKeys(annotations) : undefined;
  return { name, namespace, labels: sortKeys(managedLabels(ctx.ir)), ...(sorted ? { annotations: sorted } : {}) };
}

export function sortKeys<T>(record: Readonly<Record<string, T>>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => compareIds(a, b)));
}

/** `"a", "b" and "c"`: names in a diagnostic. */
export function listNames(names: readonly string[]): string {
  const quoted = names.map((n) => `"${n}"`);
  return quoted.length <= 1 ? (quoted[0] ?? "") : `${quoted.slice(0, -1).join(", ")} and ${quoted[quoted.length - 1]}`;
}
