import type { FieldSpans, Span } from "../ir.js";

/** Key spans of a value that was not a literal; no prototype, so `["constructor"]` is undefined. */
const NO_KEYS: FieldSpans = Object.freeze(Object.create(null) as FieldSpans);

/** Where an object or array literal (or a function) was written in mesh.ts. */
export interface LiteralSpans {
  readonly span: Span;
  /** Spans of property keys (`timeout:` in `{ timeout: "2s" }`), by key. */
  readonly keys?: Readonly<Record<string, Span>>;
  /** Spans of array elements, by index. */
  readonly items?: readonly Span[];
}

/**
 * Maps the values the mesh program built back to the literals that built them. The loader
 * instruments every object and array literal of the user's files so that each value records its
 * source span here at run time; zod paths and IR nodes are then located precisely.
 */
export class SpanRegistry {
  /** The mesh program's values: weakly, since a run makes many that it drops. */
  private readonly spans = new WeakMap<object, LiteralSpans>();
  /**
   * The loader's copies of them (snapshot.ts), which live as long as this registry does anyway:
   * a Map is cheaper to fill than a WeakMap, and costs the garbage collector less to trace.
   */
  private readonly copies = new Map<object, LiteralSpans>();

  record(value: unknown, spans: LiteralSpans): void {
    if (typeof value === "object" && value !== null) this.spans.set(value, spans);
    else if (typeof value === "function") this.spans.set(value, spans);
  }

  /** Records the spans of a copy the loader made: held strongly, as the copy lives as long as this registry. */
  recordCopy(copy: object, spans: LiteralSpans): void {
    this.copies.set(copy, spans);
  }

  of(value: unknown): LiteralSpans | undefined {
    if ((typeof value === "object" && value !== null) || typeof value === "function") return this.copies.get(value as object) ?? this.spans.get(value as object);
    return undefined;
  }

  /** The span of a value, if it was written as a literal. */
  spanOf(value: unknown): Span | undefined {
    return this.of(value)?.span;
  }

  /** Key spans of an object literal. */
  fieldSpans(value: unknown): FieldSpans {
    return this.of(value)?.keys ?? NO_KEYS;
  }

  /**
   * The most precise span for a path into `root`: the key or element span of the deepest
   * instrumented container on the path, falling back to its enclosing literal.
   */
  spanAtPath(root: unknown, path: readonly PropertyKey[], fallback?: Span): Span | undefined {
    let best = this.spanOf(root) ?? fallback;
    let current: unknown = root;
    for (const step of path) {
      const info = this.of(current);
      if (info) {
        const at = typeof step === "number" ? info.items?.[step] : info.keys?.[String(step)];
        best = at ?? info.span;
      }
      if (current === null || (typeof current !== "object" && typeof current !== "function")) break;
      current = (current as Record<PropertyKey, unknown>)[step as string];
      const own = this.spanOf(current);
      if (own && !(typeof step === "number" ? info?.items?.[step] : info?.keys?.[String(step)])) best = own;
    }
    return best;
  }
}
