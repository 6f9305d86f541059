/**
 * The protoc-gen-validate (`validate.rules`) subset Envoy's own validation relies on.
 *
 * Envoy runs the PGV-generated `Validate()` of every config message (including the
 * message unpacked from each `typed_config`) while loading, so a config that passes
 * protojson decoding but breaks one of these rules still fails at startup.
 *
 * Enforced (rule kind -> rule keys):
 *   numeric (double float int32 int64 uint32 uint64 sint32 sint64 fixed32 fixed64
 *            sfixed32 sfixed64): const lt lte gt gte in not_in ignore_empty,
 *            including PGV's reversed ("outside of") ranges when lt < gt
 *   bool: const
 *   string: const len min_len max_len len_bytes min_bytes max_bytes pattern prefix
 *           suffix contains not_contains in not_in well_known_regex strict ignore_empty
 *   bytes: len min_len max_len ignore_empty
 *   enum: const defined_only in not_in
 *   message: required skip
 *   repeated: min_items max_items unique items ignore_empty
 *   map: min_pairs max_pairs keys values no_sparse ignore_empty
 *   any: required in not_in
 *   duration: required const lt lte gt gte in not_in
 *   timestamp: required const lt lte gt gte
 *   oneof option (validate.required); message options (validate.disabled), (validate.ignored)
 *
 * Not enforced: string well-known formats (email hostname ip ipv4 ipv6 uri uri_ref
 * address uuid), bytes pattern/prefix/suffix/contains/in/not_in/const/ip formats,
 * timestamp lt_now/gt_now/within. None of those are used by the protos shipped in
 * @grpc/grpc-js-xds; `unenforcedValidateRules()` lists any that a future proto set uses.
 */
import protobuf from "protobufjs";
import type { Enum, Field, Root, Type } from "protobufjs";

export type Rules = Readonly<Record<string, unknown>>;

/** A decoded JSON value in the shape PGV rules compare against. */
export type Parsed =
  | { kind: "scalar"; value: bigint | number | string | boolean | Uint8Array }
  | { kind: "duration"; nanos: bigint }
  | { kind: "timestamp"; nanos: bigint }
  | { kind: "any"; typeUrl: string }
  | { kind: "message" };

export type Report = (path: string, message: string) => void;

const INTEGER_KINDS = new Set([
  "int32", "int64", "uint32", "uint64", "sint32", "sint64",
  "fixed32", "fixed64", "sfixed32", "sfixed64",
]);
const FLOAT_KINDS = new Set(["double", "float"]);
const NUMERIC_KEYS = ["const", "lt", "lte", "gt", "gte", "in", "not_in", "ignore_empty"];

export const SUPPORTED_RULES: Readonly<Record<string, ReadonlySet<string>>> = {
  ...Object.fromEntries([...INTEGER_KINDS, ...FLOAT_KINDS].map((kind) => [kind, new Set(NUMERIC_KEYS)])),
  bool: new Set(["const"]),
  string: new Set([
    "const", "len", "min_len", "max_len", "len_bytes", "min_bytes", "max_bytes", "pattern",
    "prefix", "suffix", "contains", "not_contains", "in", "not_in", "well_known_regex",
    "strict", "ignore_empty",
  ]),
  bytes: new Set(["len", "min_len", "max_len", "ignore_empty"]),
  enum: new Set(["const", "defined_only", "in", "not_in"]),
  message: new Set(["required", "skip"]),
  repeated: new Set(["min_items", "max_items", "unique", "items", "ignore_empty"]),
  map: new Set(["min_pairs", "max_pairs", "keys", "values", "no_sparse", "ignore_empty"]),
  any: new Set(["required", "in", "not_in"]),
  duration: new Set(["required", "const", "lt", "lte", "gt", "gte", "in", "not_in"]),
  timestamp: new Set(["required", "const", "lt", "lte", "gt", "gte"]),
};

// PGV's definitions (shared by its Go/C++/Java backends) of RFC 7230 header names and
// values; `strict: false` relaxes both to "no NUL, CR or LF". The `+-.` in the name
// class is a character range in RE2 as in JS, so it is reproduced verbatim.
const HEADER_NAME_RE = /^:?[0-9a-zA-Z!#$%&'*+-.^_|~`]+$/;
const HEADER_VALUE_RE = /^[^\u0000-\u0008\u000A-\u001F\u007F]*$/;
const HEADER_STRING_RE = /^[^\u0000\u000A\u000D]*$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function deepMerge(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (isRecord(existing) && isRecord(value)) deepMerge(existing, value);
    else target[key] = isRecord(value) ? structuredClone(value) : value;
  }
}

const rulesCache = new WeakMap<Field, Rules | null>();

/**
 * protobufjs keeps each `[(validate.rules).x = ...]` annotation as its own parsedOptions
 * entry, so a field carrying e.g. both uint32 and message rules needs them merged.
 */
export function fieldRules(field: Field): Rules | undefined {
  const cached = rulesCache.get(field);
  if (cached !== undefined) return cached ?? undefined;
  let merged: Record<string, unknown> | null = null;
  for (const option of field.parsedOptions ?? []) {
    const rules = option["(validate.rules)"];
    if (!isRecord(rules)) continue;
    merged ??= {};
    deepMerge(merged, rules);
  }
  rulesCache.set(field, merged);
  return merged ?? undefined;
}

export function messageValidationDisabled(type: Type): boolean {
  const options = type.options ?? {};
  return options["(validate.disabled)"] === true || options["(validate.ignored)"] === true;
}

function sub(rules: Rules, key: string): Rules | undefined {
  const value = rules[key];
  return isRecord(value) ? value : undefined;
}

function list(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function toBigInt(value: unknown): bigint | undefined {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  if (typeof value === "string" && /^-?\d+$/.test(value)) return BigInt(value);
  return undefined;
}

function toNumber(value: unknown): number | undefined {
  return typeof value === "number" ? value : undefined;
}

/** Duration/Timestamp literals in options arrive as `{ seconds?, nanos? }` (or `{}` for zero). */
function durationLiteralNanos(value: unknown): bigint | undefined {
  if (!isRecord(value)) return undefined;
  const seconds = toBigInt(value.seconds ?? 0);
  const nanos = toBigInt(value.nanos ?? 0);
  if (seconds === undefined || nanos === undefined) return undefined;
  return seconds * 1_000_000_000n + nanos;
}

export function formatDurationNanos(nanos: bigint): string {
  const sign = nanos < 0n ? "-" : "";
  const abs = nanos < 0n ? -nanos : nanos;
  const whole = abs / 1_000_000_000n;
  const frac = (abs % 1_000_000_000n).toString().padStart(9, "0").replace(/0+$/, "");
  return `${sign}${whole}${frac ? `.${frac}` : ""}s`;
}

function formatTimestampNanos(nanos: bigint): string {
  return new Date(Number(nanos / 1_000_000n)).toISOString();
}

type Comparable = bigint | number;

function checkComparable(
  value: Comparable,
  rules: Rules,
  convert: (raw: unknown) => Comparable | undefined,
  show: (value: Comparable) => string,
  label: string,
  path: string,
  report: Report,
): void {
  const shown = show(value);
  const constant = rules.const === undefined ? undefined : convert(rules.const);
  if (constant !== undefined && value !== constant) {
    report(path, `${shown} must equal ${show(constant)} [${label}.const]`);
  }
  const allowed = list(rules.in).map(convert).filter((v): v is Comparable => v !== undefined);
  if (allowed.length > 0 && !allowed.includes(value)) {
    report(path, `${shown} must be one of ${allowed.map(show).join(", ")} [${label}.in]`);
  }
  const denied = list(rules.not_in).map(convert).filter((v): v is Comparable => v !== undefined);
  if (denied.includes(value)) {
    report(path, `${shown} must not be one of ${denied.map(show).join(", ")} [${label}.not_in]`);
  }

  const gt = rules.gt === undefined ? undefined : convert(rules.gt);
  const gte = rules.gte === undefined ? undefined : convert(rules.gte);
  const lt = rules.lt === undefined ? undefined : convert(rules.lt);
  const lte = rules.lte === undefined ? undefined : convert(rules.lte);
  const lower =
    gt !== undefined ? { bound: gt, key: "gt", text: `greater than ${show(gt)}`, ok: value > gt }
    : gte !== undefined ? { bound: gte, key: "gte", text: `at least ${show(gte)}`, ok: value >= gte }
    : undefined;
  const upper =
    lt !== undefined ? { bound: lt, key: "lt", text: `less than ${show(lt)}`, ok: value < lt }
    : lte !== undefined ? { bound: lte, key: "lte", text: `at most ${show(lte)}`, ok: value <= lte }
    : undefined;
  if (lower && upper && upper.bound < lower.bound) {
    // PGV reads an upper bound below the lower bound as an exclusive ("outside") range.
    if (!lower.ok && !upper.ok) {
      report(path, `${shown} must be ${lower.text} or ${upper.text} [${label}.${lower.key}/${upper.key}]`);
    }
    return;
  }
  if (lower && !lower.ok) report(path, `${shown} must be ${lower.text} [${label}.${lower.key}]`);
  if (upper && !upper.ok) report(path, `${shown} must be ${upper.text} [${label}.${upper.key}]`);
}

function codePointLength(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}

const patternCache = new Map<string, RegExp | null>();

/** PGV patterns are RE2; the ones Envoy uses are also valid JS. Null when JS cannot compile one. */
export function compilePattern(pattern: string): RegExp | null {
  let compiled = patternCache.get(pattern);
  if (compiled === undefined) {
    try {
      compiled = new RegExp(pattern);
    } catch {
      compiled = null;
    }
    patternCache.set(pattern, compiled);
  }
  return compiled;
}

function checkString(value: string, rules: Rules, path: string, report: Report): void {
  if (rules.ignore_empty === true && value === "") return;
  const shown = JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  const chars = codePointLength(value);
  const bytes = Buffer.byteLength(value, "utf8");
  const num = (key: string) => toNumber(rules[key]);

  if (typeof rules.const === "string" && value !== rules.const) {
    report(path, `${shown} must equal ${JSON.stringify(rules.const)} [string.const]`);
  }
  const len = num("len");
  if (len !== undefined && chars !== len) report(path, `${shown} must be exactly ${len} character(s) long [string.len]`);
  const minLen = num("min_len");
  if (minLen !== undefined && chars < minLen) {
    report(path, `${shown} must be at least ${minLen} character(s) long [string.min_len]`);
  }
  const maxLen = num("max_len");
  if (maxLen !== undefined && chars > maxLen) {
    report(path, `string of ${chars} characters exceeds ${maxLen} [string.max_len]`);
  }
  const lenBytes = num("len_bytes");
  if (lenBytes !== undefined && bytes !== lenBytes) {
    report(path, `${shown} must be exactly ${lenBytes} byte(s) long [string.len_bytes]`);
  }
  const minBytes = num("min_bytes");
  if (minBytes !== undefined && bytes < minBytes) {
    report(path, `${shown} must be at least ${minBytes} byte(s) long [string.min_bytes]`);
  }
  const maxBytes = num("max_bytes");
  if (maxBytes !== undefined && bytes > maxBytes) {
    report(path, `string of ${bytes} UTF-8 bytes exceeds ${maxBytes} [string.max_bytes]`);
  }
  if (typeof rules.pattern === "string") {
    const re = compilePattern(rules.pattern);
    if (re && !re.test(value)) report(path, `${shown} must match /${rules.pattern}/ [string.pattern]`);
  }
  if (typeof rules.prefix === "string" && !value.startsWith(rules.prefix)) {
    report(path, `${shown} must start with ${JSON.stringify(rules.prefix)} [string.prefix]`);
  }
  if (typeof rules.suffix === "string" && !value.endsWith(rules.suffix)) {
    report(path, `${shown} must end with ${JSON.stringify(rules.suffix)} [string.suffix]`);
  }
  if (typeof rules.contains === "string" && !value.includes(rules.contains)) {
    report(path, `${shown} must contain ${JSON.stringify(rules.contains)} [string.contains]`);
  }
  if (typeof rules.not_contains === "string" && value.includes(rules.not_contains)) {
    report(path, `${shown} must not contain ${JSON.stringify(rules.not_contains)} [string.not_contains]`);
  }
  const allowed = list(rules.in);
  if (allowed.length > 0 && !allowed.includes(value)) {
    report(path, `${shown} must be one of ${allowed.map((v) => JSON.stringify(v)).join(", ")} [string.in]`);
  }
  if (list(rules.not_in).includes(value)) report(path, `${shown} is not allowed here [string.not_in]`);

  const known = rules.well_known_regex;
  if (known !== undefined) {
    const strict = rules.strict !== false;
    const isName = known === "HTTP_HEADER_NAME" || known === 1;
    const isValue = known === "HTTP_HEADER_VALUE" || known === 2;
    if (isName || isValue) {
      const re = !strict ? HEADER_STRING_RE : isName ? HEADER_NAME_RE : HEADER_VALUE_RE;
      if (!re.test(value)) {
        const what = isName ? "an HTTP header name" : "an HTTP header value";
        report(path, `${shown} is not ${what}${strict ? "" : " (even non-strictly: no NUL/CR/LF)"} [string.well_known_regex]`);
      }
    }
  }
}

function checkBytes(value: Uint8Array, rules: Rules, path: string, report: Report): void {
  if (rules.ignore_empty === true && value.length === 0) return;
  const len = toNumber(rules.len);
  if (len !== undefined && value.length !== len) report(path, `${value.length} byte(s); must be exactly ${len} [bytes.len]`);
  const min = toNumber(rules.min_len);
  if (min !== undefined && value.length < min) report(path, `${value.length} byte(s); must be at least ${min} [bytes.min_len]`);
  const max = toNumber(rules.max_len);
  if (max !== undefined && value.length > max) report(path, `${value.length} byte(s); must be at most ${max} [bytes.max_len]`);
}

function checkEnum(value: number, rules: Rules, enm: Enum | undefined, path: string, report: Report): void {
  const name = (n: Comparable) => {
    const label = enm?.valuesById[Number(n)];
    return label === undefined ? String(n) : `${label} (${n})`;
  };
  const toEnumNumber = (raw: unknown): number | undefined => {
    if (typeof raw === "number") return raw;
    if (typeof raw === "string" && enm && Object.hasOwn(enm.values, raw)) return enm.values[raw];
    return undefined;
  };
  checkComparable(value, rules, toEnumNumber, name, "enum", path, report);
  if (rules.defined_only === true && enm && enm.valuesById[value] === undefined) {
    report(path, `${value} is not a defined value of ${enm.fullName.slice(1)} [enum.defined_only]`);
  }
}

/**
 * Applies the value-level rules (everything except `message`, `repeated`, `map`, which
 * the walker handles where presence and collections are known) to one decoded value.
 */
export function checkValueRules(
  rules: Rules,
  parsed: Parsed,
  enm: Enum | undefined,
  path: string,
  report: Report,
): void {
  for (const [kind, raw] of Object.entries(rules)) {
    if (!isRecord(raw)) continue;
    if (parsed.kind === "scalar") {
      const value = parsed.value;
      if (INTEGER_KINDS.has(kind) && typeof value === "bigint") {
        if (raw.ignore_empty === true && value === 0n) continue;
        checkComparable(value, raw, toBigInt, String, kind, path, report);
      } else if (FLOAT_KINDS.has(kind) && typeof value === "number") {
        if (raw.ignore_empty === true && value === 0) continue;
        checkComparable(value, raw, toNumber, String, kind, path, report);
      } else if (kind === "bool" && typeof value === "boolean") {
        if (typeof raw.const === "boolean" && value !== raw.const) {
          report(path, `${value} must be ${raw.const} [bool.const]`);
        }
      } else if (kind === "string" && typeof value === "string") {
        checkString(value, raw, path, report);
      } else if (kind === "bytes" && value instanceof Uint8Array) {
        checkBytes(value, raw, path, report);
      } else if (kind === "enum" && typeof value === "number") {
        checkEnum(value, raw, enm, path, report);
      }
    } else if (parsed.kind === "duration" && kind === "duration") {
      checkComparable(parsed.nanos, raw, durationLiteralNanos, (n) => formatDurationNanos(BigInt(n)), "duration", path, report);
    } else if (parsed.kind === "timestamp" && kind === "timestamp") {
      checkComparable(parsed.nanos, raw, durationLiteralNanos, (n) => formatTimestampNanos(BigInt(n)), "timestamp", path, report);
    } else if (parsed.kind === "any" && kind === "any") {
      const allowed = list(raw.in);
      if (allowed.length > 0 && !allowed.includes(parsed.typeUrl)) {
        report(path, `@type ${parsed.typeUrl} must be one of ${allowed.join(", ")} [any.in]`);
      }
      if (list(raw.not_in).includes(parsed.typeUrl)) report(path, `@type ${parsed.typeUrl} is not allowed here [any.not_in]`);
    }
  }
}

/** True when a message-typed field's rules demand presence (message/duration/timestamp/any `required`). */
export function requiresPresence(rules: Rules): string | undefined {
  for (const kind of ["message", "duration", "timestamp", "any"]) {
    if (sub(rules, kind)?.required === true) return `${kind}.required`;
  }
  return undefined;
}

export function skipsNested(rules: Rules | undefined): boolean {
  return rules !== undefined && sub(rules, "message")?.skip === true;
}

export function checkCountRules(
  kind: "repeated" | "map",
  rules: Rules | undefined,
  count: number,
  path: string,
  report: Report,
): void {
  const collection = rules && sub(rules, kind);
  if (!collection) return;
  if (collection.ignore_empty === true && count === 0) return;
  const [minKey, maxKey, unit] = kind === "repeated" ? ["min_items", "max_items", "item"] : ["min_pairs", "max_pairs", "entry"];
  const min = toNumber(collection[minKey]);
  if (min !== undefined && count < min) report(path, `has ${count} ${unit}(s); at least ${min} required [${kind}.${minKey}]`);
  const max = toNumber(collection[maxKey]);
  if (max !== undefined && count > max) report(path, `has ${count} ${unit}(s); at most ${max} allowed [${kind}.${maxKey}]`);
}

export function elementRules(rules: Rules | undefined, kind: "repeated" | "map", key: "items" | "keys" | "values"): Rules | undefined {
  const collection = rules && sub(rules, kind);
  return collection ? sub(collection, key) : undefined;
}

export function wantsUnique(rules: Rules | undefined): boolean {
  return rules !== undefined && sub(rules, "repeated")?.unique === true;
}

function* allTypes(ns: { nestedArray: readonly unknown[] }): Generator<Type> {
  for (const nested of ns.nestedArray) {
    if (nested instanceof protobuf.Type) yield nested;
    if (nested instanceof protobuf.Namespace) yield* allTypes(nested);
  }
}

function unsupportedKeys(rules: Rules, prefix: string, out: Set<string>): void {
  for (const [kind, raw] of Object.entries(rules)) {
    const supported = SUPPORTED_RULES[kind];
    if (!supported || !isRecord(raw)) {
      out.add(`${prefix}${kind}`);
      continue;
    }
    for (const key of Object.keys(raw)) {
      if (!supported.has(key)) out.add(`${prefix}${kind}.${key}`);
    }
    if (kind === "string" && typeof raw.pattern === "string" && compilePattern(raw.pattern) === null) {
      out.add(`${prefix}string.pattern ${JSON.stringify(raw.pattern)} (not a JS RegExp)`);
    }
    for (const nestedKey of ["items", "keys", "values"]) {
      const nested = raw[nestedKey];
      if (isRecord(nested)) unsupportedKeys(nested, `${prefix}${kind}.${nestedKey}.`, out);
    }
  }
}

/**
 * Every PGV annotation in the loaded protos that this module would not check, as
 * `"<rule> (<example field>)"`. Empty means the documented subset covers the whole
 * proto set, so a missing issue is never due to a silently ignored rule.
 */
export function unenforcedRulesIn(root: Root): string[] {
  const found = new Map<string, string>();
  const note = (rule: string, where: string) => {
    if (!found.has(rule)) found.set(rule, where);
  };
  for (const type of allTypes(root)) {
    const where = type.fullName.slice(1);
    for (const key of Object.keys(type.options ?? {})) {
      if (key.startsWith("(validate.") && key !== "(validate.disabled)" && key !== "(validate.ignored)") note(key, where);
    }
    for (const oneof of type.oneofsArray) {
      for (const key of Object.keys(oneof.options ?? {})) {
        if (key.startsWith("(validate.") && key !== "(validate.required)") note(key, `${where}.${oneof.name}`);
      }
    }
    for (const field of type.fieldsArray) {
      const rules = fieldRules(field);
      if (!rules) continue;
      const out = new Set<string>();
      unsupportedKeys(rules, "", out);
      for (const rule of out) note(rule, `${where}.${field.name}`);
    }
  }
  return [...found].map(([rule, where]) => `${rule} (${where})`).sort();
}
