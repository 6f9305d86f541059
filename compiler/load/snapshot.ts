import type { SpanRegistry } from "./spans.js";

/** Something the mesh program handed over that is not plain data. */
export type SnapshotIssue =
  /** Reading a property (a getter, a Proxy trap) threw. */
  | { readonly kind: "threw"; readonly path: readonly PropertyKey[]; readonly error: unknown }
  /** A built-in object (Map, Date, Promise, …) where declarations are plain objects and arrays. */
  | { readonly kind: "not-plain"; readonly path: readonly PropertyKey[]; readonly what: string }
  | { readonly kind: "too-long"; readonly path: readonly PropertyKey[]; readonly length: number };

/** Arrays longer than this are refused rather than walked (a `new Array(2 ** 32 - 1)` would not finish). */
export const MAX_ARRAY_LENGTH = 1_000_000;

/**
 * Copies what the mesh program declared into plain data, reading every property exactly once.
 *
 * The program's values are user code: getters and Proxy traps can throw, or return something
 * different on each read, so the schema would validate one value and the resolver read another.
 * After the copy, validation and resolution only ever see plain objects and arrays; whatever could
 * not be read is an issue the loader reports at the user's line. Copies keep the spans of their
 * originals, and shared or cyclic structure is kept as is (the schema is not recursive, so a
 * cycle ends in a schema diagnostic, not a loop).
 */
export function snapshot(value: unknown, spans: SpanRegistry): { value: unknown; issues: SnapshotIssue[] } {
  const copies = new Map<object, unknown>();
  const issues: SnapshotIssue[] = [];
  // A read that threw: distinct from every value a property can hold.
  const THREW: unique symbol = Symbol("threw");
  // Paths are only needed for issues, which are rare: each level links to its parent, and the
  // array is made when an issue is reported (an array per value walked was most of the copy's
  // garbage at 1,000 services).
  const pathOf = (at: PathLink | undefined): PropertyKey[] => {
    const keys: PropertyKey[] = [];
    for (let link = at; link; link = link.parent) keys.push(link.key);
    return keys.reverse();
  };
  const walk = (v: unknown, at: PathLink | undefined): unknown => {
    if (typeof v !== "object" || v === null) return v;
    const seen = copies.get(v);
    if (seen !== undefined) return seen;
    let isArray: boolean;
    let tag: string;
    let keys: string[] = [];
    let length = 0;
    try {
      isArray = Array.isArray(v);
      tag = Object.prototype.toString.call(v);
      if (isArray) length = (v as unknown[]).length;
      else keys = Object.keys(v);
    } catch (error) {
      issues.push({ kind: "threw", path: pathOf(at), error });
      return undefined;
    }
    if (!isArray && tag !== "[object Object]") {
      issues.push({ kind: "not-plain", path: pathOf(at), what: tag.slice(8, -1) });
      return undefined;
    }
    if (length > MAX_ARRAY_LENGTH) {
      issues.push({ kind: "too-long", path: pathOf(at), length });
      return undefined;
    }
    const out: object = isArray ? [] : {};
    copies.set(v, out);
    const info = spans.of(v);
    if (info) spans.recordCopy(out, info);
    const read = (key: PropertyKey): unknown => {
      try {
        return (v as Record<PropertyKey, unknown>)[key as string];
      } catch (error) {
        issues.push({ kind: "threw", path: [...pathOf(at), key], error });
        return THREW;
      }
    };
    if (isArray) {
      for (let i = 0; i < length; i++) {
        const item = read(i);
        (out as unknown[]).push(item === THREW ? undefined : isObject(item) ? walk(item, { parent: at, key: i }) : item);
      }
    } else {
      for (const key of keys) {
        const item = read(key);
        if (item === THREW) continue;
        const copy = isObject(item) ? walk(item, { parent: at, key }) : item;
        // defineProperty, so a key named "__proto__" stays a key and does not replace the prototype.
        if (key === "__proto__") Object.defineProperty(out, key, { value: copy, enumerable: true, writable: true, configurable: true });
        else (out as Record<string, unknown>)[key] = copy;
      }
    }
    return out;
  };
  return { value: walk(value, undefined), issues };
}

/** One step of the path to a value being copied, linked to the step before it. */
interface PathLink {
  readonly parent: PathLink | undefined;
  readonly key: PropertyKey;
}

function isObject(value: unknown): value is object {
  return typeof value === "object" && value !== null;
}
