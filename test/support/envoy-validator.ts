/**
 * Strict decoding of Envoy v3 JSON/YAML-shaped configs against the real Envoy protos
 * (shipped by @grpc/grpc-js-xds), for tests of generated sidecar configs.
 *
 * Why a walker instead of protobufjs' own ProtoJSON parser: `protobufjs/ext/protojson`
 * (protobufjs 8) is conformance-strict about unknown fields, types and `@type`
 * resolution, but it stops at the first error with no JSON path, accepts an Any with no
 * `@type`, does not look inside `TypedStruct`, and knows nothing of protoc-gen-validate.
 * The walker below reproduces proto3 JSON parsing over the reflected types, reports
 * every issue with its path, and adds what Envoy enforces at load time on top:
 *
 * - unknown fields (both the lowerCamelCase JSON name and the .proto name are
 *   accepted, as by protobuf's JSON parser; setting both spellings is an error);
 * - JSON types per field: int32/uint32/... as integral numbers or decimal strings
 *   within range, 64-bit integers as number or string, float/double as numbers or
 *   "NaN"/"Infinity"/"-Infinity", bool only as true/false, bytes as base64, enums
 *   as a defined name or an int32;
 * - well-known types: Duration ("1.5s", within +-10000 years), Timestamp (RFC 3339),
 *   FieldMask, Struct/Value/ListValue (any JSON), wrappers as bare scalars, Empty, Any;
 * - Any: `@type` is required, must be `type.googleapis.com/<message>` (the only prefix
 *   protobuf's C++ JSON parser resolves), must name a message in the loaded protos, and
 *   the body is validated recursively as that message; WKT bodies go under `value`;
 * - udpa.type.v1.TypedStruct / xds.type.v3.TypedStruct: the `value` Struct is validated
 *   as the message named by `type_url`, as Envoy converts it before use;
 * - oneofs: at most one member set (null counts as unset, per proto3 JSON);
 * - values that JSON cannot carry (NaN/Infinity numbers, BigInt, undefined array
 *   elements, non-plain objects) are errors, since they would not survive serialization;
 * - deprecated fields/enum values are errors unless `allowDeprecated` (Envoy warns,
 *   later releases delete them); `disallowed_by_default` ones are always errors, since
 *   Envoy rejects them without a runtime override;
 * - protoc-gen-validate rules: the subset documented in ./envoy-validator-pgv.ts.
 *
 * Stricter than Envoy, on purpose (generated configs have no reason to rely on leniency):
 * an Any without `@type` is an error, enum names must match case exactly (Envoy parses
 * with case_insensitive_enum_parsing), and deprecated fields are errors by default.
 *
 * Not checked: whether an extension's type fits the slot it is in (e.g. a network filter
 * config under `http_filters`), cross-references (a route naming a cluster that does not
 * exist), work-in-progress annotations, and anything Envoy validates in C++ code rather
 * than in the protos.
 *
 * As a backstop, a document the walker accepts is also decoded by
 * `protobufjs/ext/protojson`; if that rejects it, the rejection is reported at `$`.
 */
import protobuf from "protobufjs";
import type { Enum, Field, Type } from "protobufjs";
import protojson from "protobufjs/ext/protojson.js";
import { loadEnvoyProtos } from "./envoy-protos/load.js";
import {
  checkCountRules,
  checkValueRules,
  elementRules,
  fieldRules,
  messageValidationDisabled,
  requiresPresence,
  skipsNested,
  unenforcedRulesIn,
  wantsUnique,
  type Parsed,
  type Rules,
} from "./envoy-validator-pgv.js";

export interface EnvoyIssue {
  /** JSONPath-like location, e.g. `$.static_resources.clusters[0].connect_timeout`. */
  path: string;
  message: string;
}

export interface EnvoyValidationOptions {
  /** Accept fields and enum values marked `deprecated` in the protos. Default: false. */
  allowDeprecated?: boolean;
  /**
   * Also decode accepted documents with protobufjs' protojson. Default: true. Turned off
   * only by the test that checks the walker alone is at least as strict as protojson.
   */
  protojsonCrossCheck?: boolean;
}

export interface EnvoyProtoInfo {
  loadMs: number;
  fileCount: number;
  skipped: ReadonlyArray<{ file: string; missingImport: string }>;
}

const BOOTSTRAP = "envoy.config.bootstrap.v3.Bootstrap";
const TYPE_URL_PREFIX = "type.googleapis.com/";
const MAX_DEPTH = 100; // protobuf's default recursion limit

const WRAPPERS: Readonly<Record<string, string>> = {
  ".google.protobuf.DoubleValue": "double",
  ".google.protobuf.FloatValue": "float",
  ".google.protobuf.Int64Value": "int64",
  ".google.protobuf.UInt64Value": "uint64",
  ".google.protobuf.Int32Value": "int32",
  ".google.protobuf.UInt32Value": "uint32",
  ".google.protobuf.BoolValue": "bool",
  ".google.protobuf.StringValue": "string",
  ".google.protobuf.BytesValue": "bytes",
};

/** WKTs whose JSON form is not an object, so inside an Any they sit under `value`. */
const VALUE_EMBEDDED_WKTS = new Set([
  ".google.protobuf.Any",
  ".google.protobuf.Duration",
  ".google.protobuf.Timestamp",
  ".google.protobuf.FieldMask",
  ".google.protobuf.Struct",
  ".google.protobuf.Value",
  ".google.protobuf.ListValue",
  ...Object.keys(WRAPPERS),
]);

const TYPED_STRUCTS = new Set([".udpa.type.v1.TypedStruct", ".xds.type.v3.TypedStruct"]);

const INT_RANGES: Readonly<Record<string, readonly [bigint, bigint]>> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};
const MAX_FLOAT = 3.4028234663852886e38;
const NUMERIC_STRING_RE = /^[+-]?(?:\d*\.\d+|\d+\.?)(?:[eE][+-]?\d+)?$/;
const DURATION_RE = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;
const MAX_DURATION_SECONDS = 315_576_000_000n;
const TIMESTAMP_RE =
  /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):([0-5]\d):([0-5]\d)(?:\.(\d{1,9}))?(Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;
const BASE64_RE = /^[A-Za-z0-9+/\-_]*={0,2}$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  switch (typeof value) {
    case "string":
      return `string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`;
    case "number":
      return `number ${value}`;
    case "bigint":
      return `BigInt ${value}n (not JSON-serializable)`;
    case "boolean":
      return `boolean ${value}`;
    case "undefined":
      return "undefined";
    case "object":
      return isPlainObject(value) ? "an object" : `a ${value.constructor?.name ?? "non-plain"} object`;
    default:
      return typeof value;
  }
}

function childPath(path: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function typeName(type: Type | Enum): string {
  return type.fullName.slice(1);
}

function hasLoneSurrogate(value: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value);
}

const fieldIndexCache = new WeakMap<Type, Map<string, Field>>();

function fieldIndex(type: Type): Map<string, Field> {
  let index = fieldIndexCache.get(type);
  if (!index) {
    index = new Map();
    for (const field of type.fieldsArray) {
      index.set(field.name, field);
      index.set(field.jsonName, field);
    }
    fieldIndexCache.set(type, index);
  }
  return index;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[b.length] ?? Math.max(a.length, b.length);
}

function suggestField(type: Type, key: string): string {
  const norm = (s: string) => s.toLowerCase().replace(/_/g, "");
  let best: { name: string; distance: number } | undefined;
  for (const field of type.fieldsArray) {
    const distance = editDistance(norm(key), norm(field.name));
    if (distance <= 2 && (!best || distance < best.distance)) best = { name: field.name, distance };
  }
  return best ? ` (did you mean "${best.name}"?)` : "";
}

function isValueType(field: Field): boolean {
  return field.resolvedType?.fullName === ".google.protobuf.Value";
}

function isNullValueEnum(field: Field): boolean {
  return field.resolvedType?.fullName === ".google.protobuf.NullValue";
}

class Walker {
  readonly issues: EnvoyIssue[] = [];

  constructor(
    private readonly root: protobuf.Root,
    private readonly allowDeprecated: boolean,
  ) {}

  report = (path: string, message: string): void => {
    this.issues.push({ path, message });
  };

  /** Validates one message-typed value; returns what PGV rules compare, or undefined if invalid. */
  message(type: Type, value: unknown, path: string, depth: number, pgv: boolean): Parsed | undefined {
    if (depth > MAX_DEPTH) {
      this.report(path, `nesting deeper than ${MAX_DEPTH} levels`);
      return undefined;
    }
    const full = type.fullName;
    const wrapped = WRAPPERS[full];
    if (wrapped !== undefined) {
      const scalar = this.scalar(wrapped, value, path);
      return scalar === undefined ? undefined : { kind: "scalar", value: scalar };
    }
    switch (full) {
      case ".google.protobuf.Any":
        return this.any(value, path, depth, pgv);
      case ".google.protobuf.Duration":
        return this.duration(value, path);
      case ".google.protobuf.Timestamp":
        return this.timestamp(value, path);
      case ".google.protobuf.FieldMask":
        return this.fieldMask(value, path);
      case ".google.protobuf.Struct":
        if (!isPlainObject(value)) {
          this.report(path, `expected a JSON object (google.protobuf.Struct), got ${describe(value)}`);
          return undefined;
        }
        return this.json(value, path, depth) ? { kind: "message" } : undefined;
      case ".google.protobuf.ListValue":
        if (!Array.isArray(value)) {
          this.report(path, `expected a JSON array (google.protobuf.ListValue), got ${describe(value)}`);
          return undefined;
        }
        return this.json(value, path, depth) ? { kind: "message" } : undefined;
      case ".google.protobuf.Value":
        return this.json(value, path, depth) ? { kind: "message" } : undefined;
    }
    return this.regular(type, value, path, depth, pgv && !messageValidationDisabled(type));
  }

  private regular(type: Type, value: unknown, path: string, depth: number, pgv: boolean): Parsed | undefined {
    if (!isPlainObject(value)) {
      this.report(path, `expected a JSON object (${typeName(type)}), got ${describe(value)}`);
      return undefined;
    }
    const before = this.issues.length;
    const index = fieldIndex(type);
    const present = new Map<Field, { key: string; value: unknown }>();
    for (const [key, fieldValue] of Object.entries(value)) {
      // JSON.stringify drops undefined members, so they never reach Envoy.
      if (fieldValue === undefined) continue;
      const field = index.get(key);
      if (!field) {
        this.report(childPath(path, key), `unknown field "${key}" in ${typeName(type)}${suggestField(type, key)}`);
        continue;
      }
      const earlier = present.get(field);
      if (earlier) {
        this.report(childPath(path, key), `"${key}" and "${earlier.key}" both set ${typeName(type)}.${field.name}`);
        continue;
      }
      if (fieldValue === null && !isValueType(field) && !isNullValueEnum(field)) continue;
      present.set(field, { key, value: fieldValue });
    }

    for (const oneof of type.oneofsArray) {
      const members = oneof.fieldsArray.filter((f) => present.has(f));
      if (members.length > 1) {
        this.report(
          path,
          `oneof ${typeName(type)}.${oneof.name} allows one member, but ${members.length} are set: ${members
            .map((f) => present.get(f)?.key)
            .join(", ")}`,
        );
      } else if (members.length === 0 && pgv && oneof.options?.["(validate.required)"] === true) {
        this.report(
          path,
          `one of ${oneof.fieldsArray.map((f) => f.name).join(", ")} must be set [oneof ${oneof.name} (validate.required)]`,
        );
      }
    }

    for (const field of type.fieldsArray) {
      const rules = pgv ? fieldRules(field) : undefined;
      const entry = present.get(field);
      if (entry) {
        const fieldPath = childPath(path, entry.key);
        this.deprecation(type, field, fieldPath);
        this.field(field, entry.value, fieldPath, depth, pgv, rules);
      } else if (rules) {
        this.absent(field, rules, childPath(path, field.name));
      }
    }
    return this.issues.length === before ? { kind: "message" } : undefined;
  }

  private deprecation(type: Type, field: Field, path: string): void {
    const options = field.options ?? {};
    if (options["(envoy.annotations.disallowed_by_default)"] === true) {
      this.report(path, `${typeName(type)}.${field.name} is disallowed by default: Envoy rejects it unless a runtime override re-enables it`);
    } else if (options.deprecated === true && !this.allowDeprecated) {
      const since = options["(envoy.annotations.deprecated_at_minor_version)"];
      this.report(
        path,
        `${typeName(type)}.${field.name} is deprecated${typeof since === "string" ? ` since API ${since}` : ""}` +
          ` (Envoy warns and later releases drop it; pass allowDeprecated to accept)`,
      );
    }
  }

  /** PGV evaluates unset proto3 scalars as their zero value, and collections as empty. */
  private absent(field: Field, rules: Rules, path: string): void {
    if (field.partOf) return; // oneof members (incl. proto3 `optional`) are checked only when set
    if (field.map) {
      checkCountRules("map", rules, 0, path, this.report);
      return;
    }
    if (field.repeated) {
      checkCountRules("repeated", rules, 0, path, this.report);
      return;
    }
    const resolved = field.resolvedType;
    if (resolved instanceof protobuf.Type) {
      const rule = requiresPresence(rules);
      if (rule) this.report(path, `${field.name} is required [${rule}]`);
      return;
    }
    const zero: Parsed =
      resolved instanceof protobuf.Enum
        ? { kind: "scalar", value: 0 }
        : { kind: "scalar", value: zeroValue(field.type) };
    checkValueRules(rules, zero, resolved instanceof protobuf.Enum ? resolved : undefined, path, (p, message) =>
      this.report(p, `unset, and its proto3 default fails: ${message}`),
    );
  }

  private field(field: Field, value: unknown, path: string, depth: number, pgv: boolean, rules: Rules | undefined): void {
    const nestedPgv = pgv && !skipsNested(rules);
    const enm = field.resolvedType instanceof protobuf.Enum ? field.resolvedType : undefined;
    if (field.map) {
      if (!isPlainObject(value)) {
        this.report(path, `expected a JSON object for map ${field.name}, got ${describe(value)}`);
        return;
      }
      const keyRules = elementRules(rules, "map", "keys");
      const valueRules = elementRules(rules, "map", "values");
      let count = 0;
      for (const [key, entry] of Object.entries(value)) {
        if (entry === undefined) continue;
        count++;
        const entryPath = childPath(path, key);
        const keyType = field instanceof protobuf.MapField ? field.keyType : "string";
        const parsedKey = this.mapKey(keyType, key, entryPath);
        if (parsedKey !== undefined && keyRules) checkValueRules(keyRules, parsedKey, undefined, `${entryPath} (key)`, this.report);
        if (entry === null && !isValueType(field)) {
          this.report(entryPath, "null map value");
          continue;
        }
        const parsed = this.singular(field, entry, entryPath, depth, nestedPgv);
        if (parsed !== undefined && valueRules) checkValueRules(valueRules, parsed, enm, entryPath, this.report);
      }
      checkCountRules("map", rules, count, path, this.report);
      return;
    }
    if (field.repeated) {
      if (!Array.isArray(value)) {
        this.report(path, `expected a JSON array for repeated ${field.name}, got ${describe(value)}`);
        return;
      }
      const itemRules = elementRules(rules, "repeated", "items");
      const seen = new Map<string, number>();
      value.forEach((item: unknown, i) => {
        const itemPath = `${path}[${i}]`;
        if (item === undefined || (item === null && !isValueType(field) && !isNullValueEnum(field))) {
          this.report(itemPath, `${describe(item)} element in repeated ${field.name}`);
          return;
        }
        const parsed = this.singular(field, item, itemPath, depth, nestedPgv);
        if (parsed === undefined) return;
        if (itemRules) checkValueRules(itemRules, parsed, enm, itemPath, this.report);
        if (wantsUnique(rules) && parsed.kind === "scalar") {
          const key = parsed.value instanceof Uint8Array ? Buffer.from(parsed.value).toString("hex") : String(parsed.value);
          const first = seen.get(key);
          if (first !== undefined) this.report(itemPath, `duplicate of ${path}[${first}] [repeated.unique]`);
          else seen.set(key, i);
        }
      });
      checkCountRules("repeated", rules, value.length, path, this.report);
      return;
    }
    const parsed = this.singular(field, value, path, depth, nestedPgv);
    if (parsed !== undefined && rules) checkValueRules(rules, parsed, enm, path, this.report);
  }

  private singular(field: Field, value: unknown, path: string, depth: number, pgv: boolean): Parsed | undefined {
    const resolved = field.resolvedType;
    if (resolved instanceof protobuf.Type) return this.message(resolved, value, path, depth + 1, pgv);
    if (resolved instanceof protobuf.Enum) {
      const number = this.enumValue(resolved, value, path);
      return number === undefined ? undefined : { kind: "scalar", value: number };
    }
    const scalar = this.scalar(field.type, value, path);
    return scalar === undefined ? undefined : { kind: "scalar", value: scalar };
  }

  private enumValue(enm: Enum, value: unknown, path: string): number | undefined {
    let name: string | undefined;
    let number: number | undefined;
    if (typeof value === "string") {
      if (!Object.hasOwn(enm.values, value)) {
        // Envoy parses enums with case_insensitive_enum_parsing, so it would take this
        // spelling; generated configs should still use the canonical one.
        const upper = value.toUpperCase();
        if (upper !== value && Object.hasOwn(enm.values, upper)) {
          this.report(path, `${JSON.stringify(value)} is not the canonical spelling of ${typeName(enm)}.${upper} (Envoy folds case, protojson does not); write ${upper}`);
          return undefined;
        }
        const names = Object.keys(enm.values);
        const shown = names.length > 12 ? `${names.slice(0, 12).join(", ")}, ...` : names.join(", ");
        this.report(path, `unknown ${typeName(enm)} value ${JSON.stringify(value)} (expected one of ${shown})`);
        return undefined;
      }
      name = value;
      number = enm.values[value];
    } else if (typeof value === "number" && Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31) {
      number = value;
      name = enm.valuesById[value];
    } else if (value === null && enm.fullName === ".google.protobuf.NullValue") {
      return 0;
    } else {
      this.report(path, `expected a ${typeName(enm)} name or int32 number, got ${describe(value)}`);
      return undefined;
    }
    const options = name === undefined ? undefined : enm.valuesOptions?.[name];
    if (options?.["(envoy.annotations.disallowed_by_default_enum)"] === true) {
      this.report(path, `${typeName(enm)}.${name} is disallowed by default: Envoy rejects it unless a runtime override re-enables it`);
    } else if (options?.deprecated === true && !this.allowDeprecated) {
      this.report(path, `${typeName(enm)}.${name} is deprecated (pass allowDeprecated to accept)`);
    }
    return number;
  }

  private scalar(type: string, value: unknown, path: string): bigint | number | string | boolean | Uint8Array | undefined {
    const range = INT_RANGES[type];
    if (range) return this.integer(type, range, value, path);
    switch (type) {
      case "double":
      case "float":
        return this.float(type, value, path);
      case "bool":
        if (typeof value === "boolean") return value;
        this.report(path, `expected true or false (bool), got ${describe(value)}`);
        return undefined;
      case "string":
        if (typeof value !== "string") {
          this.report(path, `expected a string, got ${describe(value)}`);
          return undefined;
        }
        if (hasLoneSurrogate(value)) {
          this.report(path, "string contains an unpaired UTF-16 surrogate (not valid UTF-8)");
          return undefined;
        }
        return value;
      case "bytes":
        if (typeof value !== "string" || !BASE64_RE.test(value) || value.replace(/=+$/, "").length % 4 === 1) {
          this.report(path, `expected base64-encoded bytes, got ${describe(value)}`);
          return undefined;
        }
        return new Uint8Array(Buffer.from(value.replace(/-/g, "+").replace(/_/g, "/"), "base64"));
      default:
        throw new Error(`${path}: unsupported scalar type ${type} in the loaded protos`);
    }
  }

  private integer(type: string, [min, max]: readonly [bigint, bigint], value: unknown, path: string): bigint | undefined {
    let parsed: bigint | undefined;
    if (typeof value === "number") {
      if (Number.isFinite(value) && Number.isInteger(value)) parsed = BigInt(value);
    } else if (typeof value === "string" && value.trim() === value && value !== "") {
      if (/^[+-]?\d+$/.test(value)) parsed = BigInt(value);
      else if (NUMERIC_STRING_RE.test(value) && Number.isInteger(Number(value))) parsed = BigInt(Number(value));
    }
    if (parsed === undefined) {
      this.report(path, `expected an integer (${type}), got ${describe(value)}`);
      return undefined;
    }
    if (parsed < min || parsed > max) {
      this.report(path, `${parsed} is out of range for ${type} [${min}, ${max}]`);
      return undefined;
    }
    return parsed;
  }

  private float(type: string, value: unknown, path: string): number | undefined {
    let parsed: number | undefined;
    if (typeof value === "number") {
      if (!Number.isFinite(value)) {
        this.report(path, `${value} cannot be written as a JSON number; use the string "${value}"`);
        return undefined;
      }
      parsed = value;
    } else if (value === "NaN" || value === "Infinity" || value === "-Infinity") {
      return Number(value);
    } else if (typeof value === "string" && NUMERIC_STRING_RE.test(value) && Number.isFinite(Number(value))) {
      parsed = Number(value);
    }
    if (parsed === undefined) {
      this.report(path, `expected a number (${type}), got ${describe(value)}`);
      return undefined;
    }
    if (type === "float" && Math.abs(parsed) > MAX_FLOAT) {
      this.report(path, `${parsed} is out of range for float`);
      return undefined;
    }
    return parsed;
  }

  private mapKey(keyType: string, key: string, path: string): Parsed | undefined {
    if (keyType === "string") {
      if (hasLoneSurrogate(key)) {
        this.report(path, "map key contains an unpaired UTF-16 surrogate");
        return undefined;
      }
      return { kind: "scalar", value: key };
    }
    if (keyType === "bool") {
      if (key === "true" || key === "false") return { kind: "scalar", value: key === "true" };
      this.report(path, `map key must be "true" or "false", got ${JSON.stringify(key)}`);
      return undefined;
    }
    const range = INT_RANGES[keyType];
    if (range && /^-?\d+$/.test(key)) {
      const parsed = this.integer(keyType, range, key, path);
      return parsed === undefined ? undefined : { kind: "scalar", value: parsed };
    }
    this.report(path, `invalid ${keyType} map key ${JSON.stringify(key)}`);
    return undefined;
  }

  private duration(value: unknown, path: string): Parsed | undefined {
    const match = typeof value === "string" ? DURATION_RE.exec(value) : null;
    if (!match) {
      this.report(path, `expected a duration string like "1.5s" (google.protobuf.Duration), got ${describe(value)}`);
      return undefined;
    }
    const seconds = BigInt(match[2] ?? "0");
    if (seconds > MAX_DURATION_SECONDS) {
      this.report(path, `duration ${String(value)} exceeds the google.protobuf.Duration range`);
      return undefined;
    }
    const nanos = BigInt((match[3] ?? "").padEnd(9, "0"));
    const total = seconds * 1_000_000_000n + nanos;
    return { kind: "duration", nanos: match[1] ? -total : total };
  }

  private timestamp(value: unknown, path: string): Parsed | undefined {
    const match = typeof value === "string" ? TIMESTAMP_RE.exec(value) : null;
    const millis = match ? Date.parse(value as string) : Number.NaN;
    const [year, month, day] = [Number(match?.[1]), Number(match?.[2]), Number(match?.[3])];
    // Date.parse rolls Feb 30 over into March, so the calendar day is checked separately.
    const validDay = match !== null && day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
    if (!match || !validDay || Number.isNaN(millis)) {
      this.report(path, `expected an RFC 3339 timestamp (google.protobuf.Timestamp), got ${describe(value)}`);
      return undefined;
    }
    const seconds = BigInt(Math.floor(millis / 1000));
    if (seconds < -62_135_596_800n || seconds > 253_402_300_799n) {
      this.report(path, `timestamp ${String(value)} is outside years 0001-9999`);
      return undefined;
    }
    return { kind: "timestamp", nanos: seconds * 1_000_000_000n + BigInt((match[7] ?? "").padEnd(9, "0")) };
  }

  private fieldMask(value: unknown, path: string): Parsed | undefined {
    if (typeof value !== "string" || !/^([a-z][A-Za-z0-9]*(\.[a-z][A-Za-z0-9]*)*(,|$))*$/.test(value)) {
      this.report(path, `expected comma-separated lowerCamelCase paths (google.protobuf.FieldMask), got ${describe(value)}`);
      return undefined;
    }
    return { kind: "message" };
  }

  /** Struct/Value/ListValue content: anything JSON can carry, and nothing it cannot. */
  private json(value: unknown, path: string, depth: number): boolean {
    if (depth > MAX_DEPTH) {
      this.report(path, `nesting deeper than ${MAX_DEPTH} levels`);
      return false;
    }
    if (value === null || typeof value === "boolean") return true;
    if (typeof value === "string") {
      if (!hasLoneSurrogate(value)) return true;
      this.report(path, "string contains an unpaired UTF-16 surrogate (not valid UTF-8)");
      return false;
    }
    if (typeof value === "number") {
      if (Number.isFinite(value)) return true;
      this.report(path, `${value} cannot be written as a JSON number`);
      return false;
    }
    if (Array.isArray(value)) {
      let ok = true;
      value.forEach((item: unknown, i) => {
        if (item === undefined) {
          this.report(`${path}[${i}]`, "undefined element (JSON.stringify would write null)");
          ok = false;
        } else if (!this.json(item, `${path}[${i}]`, depth + 1)) ok = false;
      });
      return ok;
    }
    if (isPlainObject(value)) {
      let ok = true;
      for (const [key, item] of Object.entries(value)) {
        if (item !== undefined && !this.json(item, childPath(path, key), depth + 1)) ok = false;
      }
      return ok;
    }
    this.report(path, `expected a JSON value, got ${describe(value)}`);
    return false;
  }

  private lookupMessage(name: string): Type | undefined {
    try {
      const found = this.root.lookup(name.startsWith(".") ? name : `.${name}`);
      return found instanceof protobuf.Type ? found : undefined;
    } catch {
      return undefined;
    }
  }

  private any(value: unknown, path: string, depth: number, pgv: boolean): Parsed | undefined {
    if (!isPlainObject(value)) {
      this.report(path, `expected a JSON object with "@type" (google.protobuf.Any), got ${describe(value)}`);
      return undefined;
    }
    const typeUrl = value["@type"];
    const typePath = `${path}["@type"]`;
    if (typeof typeUrl !== "string") {
      this.report(
        typeUrl === undefined ? path : typePath,
        typeUrl === undefined
          ? `google.protobuf.Any without "@type": there is no message to decode it as, so its content would go unchecked`
          : `"@type" must be a string, got ${describe(typeUrl)}`,
      );
      return undefined;
    }
    if (!typeUrl.startsWith(TYPE_URL_PREFIX)) {
      this.report(typePath, `"@type" ${JSON.stringify(typeUrl)} must start with "${TYPE_URL_PREFIX}" (the only prefix Envoy's JSON parser resolves)`);
      return undefined;
    }
    const name = typeUrl.slice(TYPE_URL_PREFIX.length);
    const type = this.lookupMessage(name);
    if (!type) {
      this.report(typePath, `unknown "@type" ${JSON.stringify(typeUrl)}: no message ${name} in the loaded Envoy v3 protos`);
      return undefined;
    }

    const before = this.issues.length;
    if (VALUE_EMBEDDED_WKTS.has(type.fullName)) {
      for (const key of Object.keys(value)) {
        if (key !== "@type" && key !== "value" && value[key] !== undefined) {
          this.report(childPath(path, key), `unknown field "${key}": an Any holding ${name} carries it under "value"`);
        }
      }
      if (value.value === undefined) this.report(path, `Any holding ${name} needs its JSON form under "value"`);
      else this.message(type, value.value, childPath(path, "value"), depth + 1, pgv);
    } else {
      const body: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) if (key !== "@type") body[key] = item;
      this.message(type, body, path, depth + 1, pgv);
      if (TYPED_STRUCTS.has(type.fullName)) this.typedStruct(body, path, depth, pgv);
    }
    return this.issues.length === before ? { kind: "any", typeUrl } : undefined;
  }

  /** Envoy turns a TypedStruct back into the message its type_url names, via JSON. */
  private typedStruct(body: Record<string, unknown>, path: string, depth: number, pgv: boolean): void {
    const typeUrl = body.type_url ?? body.typeUrl;
    if (typeof typeUrl !== "string" || typeUrl === "") {
      this.report(childPath(path, "type_url"), "TypedStruct needs a type_url naming the config message");
      return;
    }
    const name = typeUrl.slice(typeUrl.lastIndexOf("/") + 1);
    const type = this.lookupMessage(name);
    if (!type) {
      this.report(childPath(path, "type_url"), `unknown TypedStruct type_url ${JSON.stringify(typeUrl)}: no message ${name} in the loaded Envoy v3 protos`);
      return;
    }
    this.message(type, body.value ?? {}, childPath(path, "value"), depth + 1, pgv);
  }
}

function zeroValue(type: string): bigint | number | string | boolean | Uint8Array {
  if (type in INT_RANGES) return 0n;
  switch (type) {
    case "double":
    case "float":
      return 0;
    case "bool":
      return false;
    case "string":
      return "";
    case "bytes":
      return new Uint8Array();
    default:
      throw new Error(`unsupported scalar type ${type} in the loaded protos`);
  }
}

function resolveMessageType(typeName: string): Type {
  const { root } = loadEnvoyProtos();
  const name = typeName.startsWith(TYPE_URL_PREFIX) ? typeName.slice(TYPE_URL_PREFIX.length) : typeName;
  let found: unknown;
  try {
    found = root.lookup(name.startsWith(".") ? name : `.${name}`);
  } catch {
    found = null;
  }
  if (!(found instanceof protobuf.Type)) {
    throw new TypeError(`${typeName} is not a message type in the loaded Envoy v3 protos`);
  }
  return found;
}

/**
 * Validates `value` as the proto3 JSON form of `typeName` (e.g.
 * `envoy.config.cluster.v3.Cluster`). Returns every issue found; empty means Envoy
 * would decode it and its protoc-gen-validate checks (see envoy-validator-pgv.ts) pass.
 * Throws if `typeName` is not a loaded message type (a test bug, not a config bug).
 */
export function validateEnvoyMessage(typeName: string, value: unknown, options: EnvoyValidationOptions = {}): EnvoyIssue[] {
  const type = resolveMessageType(typeName);
  const walker = new Walker(loadEnvoyProtos().root, options.allowDeprecated === true);
  walker.message(type, value, "$", 0, true);
  if (walker.issues.length > 0 || options.protojsonCrossCheck === false) return walker.issues;

  // The walker re-implements proto3 JSON parsing; a second, independent parser guards
  // against it having accepted something protobuf would not.
  try {
    protojson.fromJson(type, JSON.parse(JSON.stringify(value)) as unknown);
  } catch (error) {
    return [{ path: "$", message: `protobufjs protojson rejected it: ${(error as Error).message}` }];
  }
  return [];
}

/** Validates a complete static bootstrap (`envoy.config.bootstrap.v3.Bootstrap`). */
export function validateEnvoyBootstrap(config: unknown, options: EnvoyValidationOptions = {}): EnvoyIssue[] {
  return validateEnvoyMessage(BOOTSTRAP, config, options);
}

/** One line per issue, for assertion messages. */
export function formatEnvoyIssues(issues: readonly EnvoyIssue[]): string {
  return issues.map((issue) => `${issue.path}: ${issue.message}`).join("\n");
}

/** What was loaded and how long it took (the load happens on first use). */
export function envoyProtoInfo(): EnvoyProtoInfo {
  const loaded = loadEnvoyProtos();
  return { loadMs: loaded.loadMs, fileCount: loaded.files.length, skipped: loaded.skipped };
}

/** PGV annotations in the loaded protos that are not enforced (see envoy-validator-pgv.ts). */
export function unenforcedValidateRules(): string[] {
  return unenforcedRulesIn(loadEnvoyProtos().root);
}
