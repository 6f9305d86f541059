import type { z } from "zod";
import { diagnostic } from "./codes.js";
import { suggestion, type Diagnostic } from "./diagnostics.js";
import type { Span } from "./ir.js";
import type { RawMesh } from "./load/index.js";
import type { SpanRegistry } from "./load/spans.js";
import { knownKeysAt, rawMeshSchema, type RawMeshInput } from "./schema.js";

/**
 * Validates what the mesh program declared against the zod schema. Each zod issue becomes a
 * diagnostic at the span of the declaration (or field) it belongs to.
 */
export function validateRaw(
  raw: RawMesh,
  spans: SpanRegistry,
  fallback: Span | undefined,
): { value?: RawMeshInput; diagnostics: Diagnostic[] } {
  const result = rawMeshSchema.safeParse(raw, { reportInput: true });
  if (result.success) return { value: result.data, diagnostics: [] };
  const multiple = raw.policies.length > 1;
  const diagnostics: Diagnostic[] = [];
  for (const issue of result.error.issues) {
    diagnostics.push(...toDiagnostics(issue, raw, spans, fallback, multiple));
  }
  return { diagnostics };
}

function toDiagnostics(issue: z.core.$ZodIssue, raw: RawMesh, spans: SpanRegistry, fallback: Span | undefined, multiple: boolean): Diagnostic[] {
  const path = issue.path;
  const at = (p: readonly PropertyKey[]) => spans.spanAtPath(raw, p, fallback);
  const where = displayPath(path, multiple) || "mesh";
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) =>
        diagnostic("UnknownField", { path: where, field: key, suggestion: suggestion(key, knownKeysAt(rawMeshSchema, path)) }, at([...path, key])),
      );
    case "invalid_type": {
      if (issue.input === undefined) {
        const field = String(path[path.length - 1] ?? "");
        return [diagnostic("MissingField", { path: displayPath(path.slice(0, -1), multiple) || "mesh", field }, at(path.slice(0, -1)))];
      }
      if (issue.message === "handle") return [handle(path, where, at(path))];
      return [diagnostic("InvalidType", { path: where, expected: issue.expected, received: describe(issue.input) }, at(path))];
    }
    case "custom": {
      const kind = (issue.params as { meshc?: string } | undefined)?.meshc;
      const value = String(issue.input);
      if (kind === "duration") return [diagnostic("InvalidDuration", { path: where, value }, at(path))];
      if (kind === "path") return [diagnostic("InvalidValue", { path: where, detail: `"${value}" is not a path pattern; write "/exact" or "/prefix/*".` }, at(path))];
      if (kind === "grpc-method")
        return [diagnostic("InvalidValue", { path: where, detail: `"${value}" is not a gRPC method; write "package.Service/Method" or "package.Service/*".` }, at(path))];
      return [diagnostic("InvalidValue", { path: where, detail: issue.message }, at(path))];
    }
    case "invalid_value":
      return [
        diagnostic(
          "InvalidValue",
          { path: where, detail: `${literal(issue.input)} is not one of ${issue.values.map(literal).join(", ")}.` },
          at(path),
        ),
      ];
    case "invalid_union":
      if (issue.message === "handle") return [handle(path, where, at(path))];
      return [diagnostic("InvalidValue", { path: where, detail: `expected ${issue.message}.` }, at(path))];
    case "too_small":
    case "too_big":
      return [diagnostic("InvalidValue", { path: where, detail: issue.message + "." }, at(path))];
    default:
      return [diagnostic("InvalidValue", { path: where, detail: issue.message + "." }, at(path))];
  }
}

function handle(path: readonly PropertyKey[], where: string, span: Span | undefined): Diagnostic {
  const isCaller = path.includes("from");
  return diagnostic(
    "InvalidHandle",
    isCaller
      ? { path: where, expected: "a service handle, anyService, or a list of service handles", example: "from: s.productpage" }
      : { path: where, expected: "a port handle", example: "to: s.details.ports.http" },
    span,
  );
}

/** `services.reviews.ports.http.port`, `calls[0].timeout`, `policy 2: calls[0].to`. */
export function displayPath(path: readonly PropertyKey[], multiplePolicies: boolean): string {
  let rest = path;
  let prefix = "";
  if (path[0] === "spec") rest = path.slice(1);
  else if (path[0] === "policies") {
    if (multiplePolicies && typeof path[1] === "number") prefix = `policy ${path[1] + 1}: `;
    rest = path.slice(2);
  }
  let out = "";
  for (const step of rest) {
    if (typeof step === "number") out += `[${step}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(String(step))) out += (out ? "." : "") + String(step);
    else out += `[${JSON.stringify(String(step))}]`;
  }
  return prefix + out;
}

/** A value as mesh.ts would write it; never throws (JSON.stringify does on a bigint or a cycle). */
function literal(value: unknown): string {
  if (typeof value === "string" || typeof value === "boolean" || value === null) return JSON.stringify(value);
  if (typeof value === "number") return Object.is(value, -0) ? "-0" : String(value);
  if (typeof value === "bigint") return `${value}n`;
  return describe(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  if (typeof value === "number" || typeof value === "boolean") return `${typeof value} ${String(value)}`;
  if (typeof value === "bigint") return `bigint ${value}n`;
  return typeof value === "object" ? "an object" : typeof value;
}
