/**
 * The diagnostic catalogue: one entry per code. Codes are stable and never reused; a retired code
 * stays here marked `retired`. Message text lives only here.
 *
 * - MESH0xx: loading and schema
 * - MESH1xx: semantic checks over the IR (compiler/checks/)
 * - MESH2xx: a feature the chosen target cannot express
 * - MESH9xx: internal errors (bugs in meshc)
 */
import type { Diagnostic, RelatedInfo, Severity } from "./diagnostics.js";
import type { Span } from "./ir.js";

export interface CatalogueEntry<P> {
  readonly code: string;
  readonly name: string;
  readonly severity: Severity;
  /** One line: what the code means, for `--help`, SARIF rules and docs. */
  readonly description: string;
  readonly message: (params: P) => string;
  /** What to do about it, when the message alone does not say. */
  readonly hint?: (params: P) => string | undefined;
  readonly retired?: boolean;
}

function entry<P>(e: CatalogueEntry<P>): CatalogueEntry<P> {
  return e;
}

const q = (s: string) => `"${s}"`;

export const catalogue = {
  // ── MESH0xx: loading and schema ───────────────────────────────────────────
  EntryNotFound: entry<{ file: string }>({
    code: "MESH001",
    name: "EntryNotFound",
    severity: "error",
    description: "The mesh file does not exist or cannot be read.",
    message: (p) => `Cannot read mesh file ${q(p.file)}.`,
    hint: () => "Pass the path of your mesh.ts, e.g. `meshc check examples/bookinfo/mesh.ts`.",
  }),
  NoDefaultExport: entry<{ file: string }>({
    code: "MESH002",
    name: "NoDefaultExport",
    severity: "error",
    description: "The mesh file does not `export default` a mesh.",
    message: (p) => `${q(p.file)} has no default export.`,
    hint: () => "End the file with `export default defineMesh({ … }, (s) => ({ … }));`.",
  }),
  NotAMesh: entry<{ file: string; got: string }>({
    code: "MESH003",
    name: "NotAMesh",
    severity: "error",
    description: "The default export of the mesh file was not made by `defineMesh`.",
    message: (p) => `The default export of ${q(p.file)} is ${p.got}, not a mesh made by defineMesh().`,
    hint: () => 'Import defineMesh from "meshc" and export its result: `export default defineMesh(...)`.',
  }),
  EvaluationFailed: entry<{ error: string }>({
    code: "MESH004",
    name: "EvaluationFailed",
    severity: "error",
    description: "Running the mesh file threw an exception.",
    message: (p) => `The mesh threw while being evaluated: ${p.error}`,
    hint: () => "Fix the code at this line; meshc runs mesh.ts as a program to collect the declarations.",
  }),
  ModuleNotFound: entry<{ specifier: string; from: string }>({
    code: "MESH005",
    name: "ModuleNotFound",
    severity: "error",
    description: "A module the mesh imports could not be loaded.",
    message: (p) => `Cannot load module ${q(p.specifier)} imported by ${q(p.from)}.`,
  }),
  PolicyFailed: entry<{ error: string }>({
    code: "MESH006",
    name: "PolicyFailed",
    severity: "error",
    description: "A policy function passed to defineMesh threw or returned something other than an object.",
    message: (p) => `A policy function failed: ${p.error}`,
  }),
  InvalidType: entry<{ path: string; expected: string; received: string }>({
    code: "MESH010",
    name: "InvalidType",
    severity: "error",
    description: "A declaration field has the wrong type.",
    message: (p) => `${p.path}: expected ${p.expected}, got ${p.received}.`,
  }),
  UnknownField: entry<{ path: string; field: string; suggestion: string }>({
    code: "MESH011",
    name: "UnknownField",
    severity: "error",
    description: "A declaration has a field meshc does not know (unknown fields are never ignored).",
    message: (p) => `${p.path}: unknown field ${q(p.field)}.${p.suggestion}`,
    hint: () => "Remove the field, or check its spelling against the DSL's types.",
  }),
  MissingField: entry<{ path: string; field: string }>({
    code: "MESH012",
    name: "MissingField",
    severity: "error",
    description: "A required declaration field is missing.",
    message: (p) => `${p.path}: missing required field ${q(p.field)}.`,
  }),
  InvalidValue: entry<{ path: string; detail: string }>({
    code: "MESH013",
    name: "InvalidValue",
    severity: "error",
    description: "A declaration field has a value outside its allowed set or format.",
    message: (p) => `${p.path}: ${p.detail}`,
  }),
  InvalidDuration: entry<{ path: string; value: string }>({
    code: "MESH014",
    name: "InvalidDuration",
    severity: "error",
    description: "A duration is not a number followed by ms, s, m or h.",
    message: (p) => `${p.path}: ${q(p.value)} is not a duration.`,
    hint: () => 'Write a number and a unit: "250ms", "2s", "1.5m", "1h".',
  }),
  InvalidHandle: entry<{ path: string; expected: string }>({
    code: "MESH015",
    name: "InvalidHandle",
    severity: "error",
    description: "A reference is not a handle from the policy function's argument.",
    message: (p) => `${p.path}: expected ${p.expected} such as \`s.details.ports.http\`.`,
  }),

  // ── MESH1xx: checks ───────────────────────────────────────────────────────
  UnknownService: entry<{ what: string; name: string; suggestion: string }>({
    code: "MESH100",
    name: "UnknownService",
    severity: "error",
    description: "A call, route or ingress refers to a service or external host that is not declared.",
    message: (p) => `${p.what} refers to unknown service ${q(p.name)}.${p.suggestion}`,
  }),
  DuplicateName: entry<{ kind: string; name: string }>({
    code: "MESH101",
    name: "DuplicateName",
    severity: "error",
    description: "Two declarations of the same kind have the same name.",
    message: (p) => `Duplicate ${p.kind} ${q(p.name)}.`,
    hint: () => "Rename one of them; generated Kubernetes objects would overwrite each other.",
  }),
  UnknownPort: entry<{ what: string; service: string; port: string; ports: readonly string[]; suggestion: string; self: boolean }>({
    code: "MESH102",
    name: "UnknownPort",
    severity: "error",
    description: "A call, route or ingress refers to a port the service does not have.",
    message: (p) =>
      `${p.what} refers to port ${q(p.port)} of ${p.self ? "its own service " : "service "}${q(p.service)}, which has ${
        p.ports.length === 0 ? "no ports" : `ports ${p.ports.map(q).join(", ")}`
      }.${p.suggestion}`,
  }),
  UnknownVersion: entry<{ what: string; service: string; version: string; versions: readonly string[]; suggestion: string }>({
    code: "MESH103",
    name: "UnknownVersion",
    severity: "error",
    description: "A route sends traffic to a version the service does not declare.",
    message: (p) =>
      `${p.what} targets unknown version ${q(p.version)} of service ${q(p.service)}${
        p.versions.length === 0 ? ", which declares no versions" : ""
      }.${p.suggestion}`,
  }),
  SplitWeights: entry<{ service: string; port: string; total: number }>({
    code: "MESH104",
    name: "SplitWeights",
    severity: "error",
    description: "The weights of a version split do not sum to 100.",
    message: (p) => `The split of ${q(`${p.service}:${p.port}`)} has weights summing to ${p.total}, not 100.`,
    hint: (p) => (p.total < 100 ? "Raise a weight so they add up to 100." : "Lower a weight so they add up to 100."),
  }),
  DurationOutOfRange: entry<{ field: string; value: string; range: string }>({
    code: "MESH105",
    name: "DurationOutOfRange",
    severity: "error",
    description: "A duration is negative, zero where that means nothing, or absurdly long.",
    message: (p) => `${p.field} is ${p.value}; it must be ${p.range}.`,
  }),
  NumberOutOfRange: entry<{ field: string; value: number; range: string }>({
    code: "MESH106",
    name: "NumberOutOfRange",
    severity: "error",
    description: "A port, percentage, count or weight is outside its valid range.",
    message: (p) => `${p.field} is ${p.value}; it must be ${p.range}.`,
  }),
  InvalidName: entry<{ kind: string; name: string; rule: string }>({
    code: "MESH107",
    name: "InvalidName",
    severity: "error",
    description: "A name Kubernetes would reject (not a DNS-1123 label or subdomain).",
    message: (p) => `${p.kind} ${q(p.name)} is not a valid Kubernetes name: ${p.rule}.`,
    hint: () => "Use lower-case letters, digits and '-', starting and ending with a letter or digit.",
  }),
  DuplicatePort: entry<{ service: string; port: number; names: readonly string[] }>({
    code: "MESH108",
    name: "DuplicatePort",
    severity: "error",
    description: "Two ports of one service use the same port number.",
    message: (p) => `Service ${q(p.service)} declares port ${p.port} twice (${p.names.map(q).join(" and ")}).`,
  }),
  CatchAllNotLast: entry<{ service: string; port: string }>({
    code: "MESH109",
    name: "CatchAllNotLast",
    severity: "error",
    description: "A route rule without a match comes before other rules, which can never match.",
    message: (p) => `A catch-all rule of the route ${q(`${p.service}:${p.port}`)} is not the last rule; the rules after it never match.`,
    hint: () => "Move the rule without `match` to the end of the list.",
  }),

  // ── MESH2xx: target limits ────────────────────────────────────────────────
  UnsupportedFeature: entry<{ target: string; feature: string; detail: string }>({
    code: "MESH200",
    name: "UnsupportedFeature",
    severity: "warning",
    description: "The chosen target cannot express a feature the mesh declares; the output omits it.",
    message: (p) => `${p.target} cannot express ${p.feature}: ${p.detail}`,
    hint: () => "Choose another target for this feature, or remove it from the mesh for this target.",
  }),

  // ── MESH9xx: internal ─────────────────────────────────────────────────────
  InternalError: entry<{ error: string }>({
    code: "MESH900",
    name: "InternalError",
    severity: "error",
    description: "meshc itself failed. This is a bug in meshc, not in your mesh.",
    message: (p) => `Internal error (a bug in meshc, please report it): ${p.error}`,
  }),
} as const;

export type CatalogueName = keyof typeof catalogue;
type ParamsOf<E> = E extends CatalogueEntry<infer P> ? P : never;

/** Every entry, for registries, SARIF rules and docs. */
export const allEntries: readonly CatalogueEntry<never>[] = Object.values(catalogue) as CatalogueEntry<never>[];

/** Makes a diagnostic from a catalogue entry: the only way meshc writes message text. */
export function diagnostic<N extends CatalogueName>(
  name: N,
  params: ParamsOf<(typeof catalogue)[N]>,
  span: Span | undefined,
  extra: { related?: readonly RelatedInfo[]; severity?: Diagnostic["severity"]; target?: string } = {},
): Diagnostic {
  const e = catalogue[name] as CatalogueEntry<ParamsOf<(typeof catalogue)[N]>>;
  const hint = e.hint?.(params);
  return {
    code: e.code,
    name: e.name,
    severity: extra.severity ?? e.severity,
    message: e.message(params),
    ...(span ? { span } : {}),
    ...(extra.related && extra.related.length > 0 ? { related: extra.related } : {}),
    ...(hint ? { hint } : {}),
    ...(extra.target ? { target: extra.target } : {}),
  };
}
