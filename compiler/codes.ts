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
  CertificateState: entry<{ detail: string }>({
    code: "MESH020",
    name: "CertificateState",
    severity: "error",
    description: "The certificate authority kept in the state folder is missing, damaged or expired.",
    message: (p) => `The mesh's certificate authority cannot be used: ${p.detail}`,
    hint: () => "`meshc certs show` lists what the state folder holds; `meshc certs rotate` replaces an expired intermediate.",
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
  InvalidHandle: entry<{ path: string; expected: string; example: string }>({
    code: "MESH015",
    name: "InvalidHandle",
    severity: "error",
    description: "A reference is not a handle from the policy function's argument.",
    message: (p) => `${p.path}: expected ${p.expected}, such as \`${p.example}\`.`,
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
  // Review analyzers (issue 7): what a reviewer of a policy change wants flagged.
  UnreachableService: entry<{ service: string }>({
    code: "MESH110",
    name: "UnreachableService",
    severity: "warning",
    description: "A service serves ports but nothing can reach it: no service calls it, no ingress routes to it, nothing mirrors to it.",
    message: (p) => `Service ${q(p.service)} is unreachable: no service may call it and no ingress routes to it.`,
    hint: () => "Allow its callers in `calls`, route an ingress to it, or remove it (the mesh is default-deny).",
  }),
  ProtocolMismatch: entry<{ what: string; rule: string; port: string; service: string; protocol: string; why: string }>({
    code: "MESH111",
    name: "ProtocolMismatch",
    severity: "error",
    description: "A call, route or ingress uses rules its port's protocol cannot carry: HTTP rules on a TCP port, gRPC methods on an HTTP/1 port, HTTP methods or paths on a gRPC port.",
    message: (p) => `${p.what} uses ${p.rule} on port ${q(p.port)} of ${q(p.service)}, whose protocol is ${p.protocol}: ${p.why}.`,
  }),
  RetryAmplification: entry<{ chain: string; leaf: string; requests: number; factors: string; threshold: number }>({
    code: "MESH112",
    name: "RetryAmplification",
    severity: "warning",
    description: "Retries multiply along a call chain: one failing request at the end of the chain is tried many times.",
    message: (p) => `The call chain ${p.chain} can send ${p.requests} requests to ${q(p.leaf)} for one request (${p.factors} tries), more than ${p.threshold}.`,
    hint: () => "Retry at one hop of the chain only (usually the one closest to the failing service), or lower the attempts.",
  }),
  TimeoutBudget: entry<{ caller: string; timeout: string; callee: string; downstream: string; downstreamTimeout: string }>({
    code: "MESH113",
    name: "TimeoutBudget",
    severity: "warning",
    description: "A caller's timeout is shorter than what the callee's own calls can take, so the caller gives up while the callee is still waiting.",
    message: (p) =>
      `${p.caller} gives ${q(p.callee)} ${p.timeout}, but ${q(p.callee)}'s own call to ${q(p.downstream)} can take ${p.downstreamTimeout}.`,
    hint: () => "Give the caller a longer timeout than any call the callee makes, or shorten the callee's calls.",
  }),
  RetriesExceedTimeout: entry<{ what: string; tries: number; perTry: string; total: string; timeout: string }>({
    code: "MESH114",
    name: "RetriesExceedTimeout",
    severity: "warning",
    description: "Retries cannot all run within the timeout: the per-try timeout times the number of tries is longer than the timeout.",
    message: (p) =>
      `${p.what} allows ${p.tries} tries of up to ${p.perTry} each (${p.total}) within a timeout of ${p.timeout}; the last tries are cut short or never start.`,
    hint: (p) => `Raise the timeout to at least ${p.total}, or lower perTryTimeout or attempts.`,
  }),
  MtlsNotStrict: entry<{ what: string; mode: string }>({
    code: "MESH115",
    name: "MtlsNotStrict",
    severity: "warning",
    description: "A service or port accepts plaintext (mTLS permissive or disabled) in a mesh whose default is strict.",
    message: (p) => `${p.what} accepts plaintext: its mTLS mode is ${q(p.mode)} while the mesh default is "strict".`,
    hint: () => "Remove the override once every client has a sidecar; keep plaintext to the ports that need it (e.g. a metrics port).",
  }),
  WildcardAllow: entry<{ target: string }>({
    code: "MESH116",
    name: "WildcardAllow",
    severity: "warning",
    description: "A call lets any workload send any request to a port: `from: anyService` with no method, path or gRPC method restriction.",
    message: (p) => `Any service may send any request to ${p.target}: the allow has no method, path or gRPC method restriction.`,
    hint: () => "List the callers, or restrict the allow to the methods, paths or gRPC methods they need.",
  }),
  SharedIdentity: entry<{ services: readonly string[]; serviceAccount: string; spiffeId: string }>({
    code: "MESH117",
    name: "SharedIdentity",
    severity: "warning",
    description: "Several services run as one identity (service account), so authorization cannot tell them apart.",
    message: (p) =>
      `Services ${p.services.map(q).join(", ")} share the service account ${q(p.serviceAccount)} (${p.spiffeId}): authorization cannot tell them apart, so each may make the others' calls.`,
    hint: () => "Give each service its own `serviceAccount`.",
  }),
  EgressOpen: entry<{ declared: number }>({
    code: "MESH118",
    name: "EgressOpen",
    severity: "warning",
    description: "Egress is `allow-any`: every workload can reach any host outside the mesh, not only the declared external hosts.",
    message: (p) =>
      `Egress is "allow-any": every workload can reach any host outside the mesh${p.declared === 0 ? "" : `, not only the ${p.declared} declared external host${p.declared === 1 ? "" : "s"}`}.`,
    hint: () => 'Set `defaults.egress: "registry-only"` and declare the hosts services call under `external`.',
  }),
  ShadowedRouteRule: entry<{ rule: number; earlier: number; service: string; port: string }>({
    code: "MESH119",
    name: "ShadowedRouteRule",
    severity: "warning",
    description: "A route rule never matches because an earlier rule matches every request it would (the same or a broader match).",
    message: (p) => `Rule ${p.rule} of the route ${q(`${p.service}:${p.port}`)} never matches: rule ${p.earlier} before it matches every request it would.`,
    hint: () => "Move the narrower rule first, or remove it.",
  }),
  VersionWithoutWorkload: entry<{ what: string; service: string; version: string; others: readonly string[] }>({
    code: "MESH120",
    name: "VersionWithoutWorkload",
    severity: "warning",
    description: "A route sends traffic to a version with no workload while the service declares workloads for its other versions.",
    message: (p) =>
      `${p.what} sends traffic to version ${q(p.version)} of ${q(p.service)}, which has no workload, while ${p.others.length === 1 ? "version" : "versions"} ${p.others.map(q).join(", ")} ${p.others.length === 1 ? "has" : "have"} one.`,
    hint: () => "Declare the version's workload (image), or stop routing to it.",
  }),
  MirrorToSelf: entry<{ what: string; target: string }>({
    code: "MESH121",
    name: "MirrorToSelf",
    severity: "error",
    description: "A route rule mirrors traffic to its own destination, so the same workload serves mirrored requests twice.",
    message: (p) => `${p.what} mirrors to ${p.target}, which already receives this traffic: the same workload would serve mirrored requests twice.`,
    hint: () => "Mirror to a version or service that does not serve the rule's live traffic.",
  }),
  CallCycle: entry<{ cycle: string }>({
    code: "MESH122",
    name: "CallCycle",
    severity: "info",
    description: "The call graph has a cycle: legal, but every retry policy on it multiplies with each pass.",
    message: (p) => `Calls form a cycle: ${p.cycle}.`,
    hint: () => "Make sure requests around the cycle terminate, and retry at one hop of it at most.",
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
