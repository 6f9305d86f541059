/**
 * A fast YAML emitter for plain data, byte-identical to
 * `YAML.stringify(value, { lineWidth: 0, aliasDuplicateObjects: false })` from `yaml` 2.x.
 *
 * `yaml` builds a node tree before printing it, which made serialisation the largest cost after
 * type-checking (about a second for 6 MB of manifests). This emitter prints plain objects, arrays
 * and scalars directly, following `yaml`'s own choices line by line (stringifyString.js,
 * stringifyPair.js, stringifyCollection.js at lineWidth 0): the same quoting, the same block
 * scalars, the same indentation. Anything it does not mirror exactly (class instances, Maps,
 * `undefined` in arrays, keys over 1,024 characters, bigint) goes to `yaml` itself, so the output
 * never depends on which path ran; yaml.test.ts compares both on tricky strings and random data.
 */
import YAML from "yaml";

const OPTIONS = { lineWidth: 0, aliasDuplicateObjects: false } as const;
const INDENT_STEP = "  ";

/** Scalars that would read back as another type (null, bool, int, float) in YAML 1.2 core. */
const otherTypes: readonly RegExp[] = (new YAML.Document().schema as unknown as { tags: { default?: boolean; tag: string; test?: RegExp }[] }).tags
  .filter((t) => t.default && t.tag !== "tag:yaml.org,2002:str" && t.test)
  .map((t) => t.test!);

class Unsupported extends Error {}

/** How strings are written. The default is `yaml`'s: plain where that reads back as the same string. */
export interface YamlStyle {
  /**
   * Double-quote every string value, and every key that `plainKeys` does not match: `yaml`'s
   * `defaultStringType: "QUOTE_DOUBLE"`, for readers that still speak YAML 1.1 (Envoy's yaml-cpp
   * reads a plain `on` as a boolean). Keys `plainKeys` matches are written as by default.
   */
  readonly quoteStrings?: { readonly plainKeys: RegExp };
}

const DEFAULT_STYLE: YamlStyle = {};

/** The YAML text of a JSON-like value, exactly as `yaml` would print it (see the module comment). */
export function stringifyYaml(value: unknown, style: YamlStyle = DEFAULT_STYLE): string {
  if (isPlainObject(value) || Array.isArray(value)) {
    try {
      return `${node(value, "", style)}\n`;
    } catch (error) {
      if (!(error instanceof Unsupported)) throw error;
    }
  }
  return style.quoteStrings ? quotedDocument(value, style.quoteStrings.plainKeys) : YAML.stringify(value, OPTIONS);
}

/** `yaml` itself, configured as {@link YamlStyle.quoteStrings} describes. */
function quotedDocument(value: unknown, plainKeys: RegExp): string {
  const doc = new YAML.Document(value, { aliasDuplicateObjects: false });
  YAML.visit(doc, {
    Pair(_, pair) {
      if (YAML.isScalar(pair.key) && !plainKeys.test(String(pair.key.value))) pair.key.type = "QUOTE_DOUBLE";
    },
  });
  return doc.toString({ defaultStringType: "QUOTE_DOUBLE", defaultKeyType: "PLAIN", lineWidth: 0 });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A value at `indent` (the indent of its own lines), as the text after `key: ` or `- `. */
function node(value: unknown, indent: string, style: YamlStyle): string {
  return collection(value, indent, style) ?? scalar(value, indent, style);
}

/**
 * A collection's text, or undefined for a scalar: the one type test per value of the hot path
 * (manifests are millions of values). An empty collection is `[]` or `{}`, which the caller
 * writes on the key's line.
 */
function collection(value: unknown, indent: string, style: YamlStyle): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  if (Array.isArray(value)) return sequence(value, indent, style);
  if (isPlainObject(value)) return mapping(value, indent, style);
  return undefined;
}

function mapping(obj: Record<string, unknown>, indent: string, style: YamlStyle): string {
  let out = "";
  const inner = indent + INDENT_STEP;
  const keyed = style.quoteStrings ? quotedKey(style.quoteStrings.plainKeys) : plainKey;
  for (const key of Object.keys(obj)) {
    const value = obj[key];
    if (value === undefined) continue;
    if (typeof value === "function" || typeof value === "symbol") throw new Unsupported();
    const k = keyed(key, inner);
    const nested = collection(value, inner, style);
    let line: string;
    if (nested === undefined) line = `${k}: ${scalar(value, inner, style)}`;
    else if (nested === "[]" || nested === "{}") line = `${k}: ${nested}`;
    else line = `${k}:\n${inner}${nested}`;
    out += out === "" ? line : `\n${indent}${line}`;
  }
  return out === "" ? "{}" : out;
}

/** A key as yaml prints it by default (its rendering is kept, see {@link string}). */
function plainKey(key: string, indent: string): string {
  const k = string(key, indent, true);
  if (k.length > 1024) throw new Unsupported();
  return k;
}

/**
 * Keys in the {@link YamlStyle.quoteStrings} style, by its pattern: a key's rendering does not
 * depend on where it is (it is one line), so it is kept, as {@link string} keeps values'.
 */
const quotedKeys = new WeakMap<RegExp, (key: string, indent: string) => string>();

function quotedKey(plainKeys: RegExp): (key: string, indent: string) => string {
  let render = quotedKeys.get(plainKeys);
  if (!render) {
    const kept = new Map<string, string>();
    const make = (key: string, indent: string) => (plainKeys.test(key) ? string(key, indent, true) : quotedString(key, indent, true));
    render = (key, indent) => {
      const k = keep(kept, make, key, indent, true);
      if (k.length > 1024) throw new Unsupported();
      return k;
    };
    quotedKeys.set(plainKeys, render);
  }
  return render;
}

function sequence(items: readonly unknown[], indent: string, style: YamlStyle): string {
  if (items.length === 0) return "[]";
  const inner = indent + INDENT_STEP;
  let out = "";
  for (const item of items) {
    if (item === undefined || typeof item === "function" || typeof item === "symbol") throw new Unsupported();
    const line = `- ${node(item, inner, style)}`;
    out += out === "" ? line : `\n${indent}${line}`;
  }
  return out;
}

/** A scalar value (never a key). */
function scalar(value: unknown, indent: string, style: YamlStyle): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
      return style.quoteStrings ? quotedString(value, indent, false) : string(value, indent, false);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) return Number.isNaN(value) ? ".nan" : value < 0 ? "-.inf" : ".inf";
      return Object.is(value, -0) ? "-0" : JSON.stringify(value);
    default:
      throw new Unsupported();
  }
}

// From here on, ports of yaml's stringifyString.js for block context with lineWidth 0 (no
// folding), singleQuote null and blockQuote true. Keep them in step with the `yaml` version.

const containsDocumentMarker = (str: string) => /^(%|---|\.\.\.)/m.test(str);

/**
 * Single-line strings print the same at any indentation (but for document markers, see
 * `string`), and manifests repeat the same keys and names thousands of times: their rendering is
 * kept, by whether they are keys. Bounded, so a long watch session does not grow it forever.
 */
const rendered: [Map<string, string>, Map<string, string>] = [new Map(), new Map()];
const RENDERED_MAX = 200_000;

/**
 * `value`'s rendering from `cache`, or made by `make` and kept there when it is one line (see
 * above). `make` and its arguments are passed apart so that the hot path makes no closure.
 */
function keep(cache: Map<string, string>, make: (value: string, indent: string, implicitKey: boolean) => string, value: string, indent: string, implicitKey: boolean): string {
  const hit = cache.get(value);
  if (hit !== undefined) return hit;
  const out = make(value, indent, implicitKey);
  if (!value.includes("\n") && !containsDocumentMarker(value)) {
    if (cache.size >= RENDERED_MAX) cache.clear();
    cache.set(value, out);
  }
  return out;
}

function string(value: string, indent: string, implicitKey: boolean): string {
  return keep(rendered[implicitKey ? 1 : 0], render, value, indent, implicitKey);
}

const renderedQuoted: [Map<string, string>, Map<string, string>] = [new Map(), new Map()];

/** {@link doubleQuoted}, kept like {@link string}'s results. */
function quotedString(value: string, indent: string, implicitKey: boolean): string {
  return keep(renderedQuoted[implicitKey ? 1 : 0], doubleQuoted, value, indent, implicitKey);
}

function render(value: string, indent: string, implicitKey: boolean): string {
  // Control characters and unpaired surrogates are only representable double-quoted.
  if (/[\x00-\x08\x0b-\x1f\x7f-\x9f\u{D800}-\u{DFFF}]/u.test(value)) return doubleQuoted(value, indent, implicitKey);
  if (implicitKey && value.includes("\n")) return quoted(value, indent, implicitKey);
  if (/^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/.test(value)) {
    return implicitKey || !value.includes("\n") ? quoted(value, indent, implicitKey) : block(value, indent);
  }
  if (!implicitKey && value.includes("\n")) return block(value, indent);
  if (containsDocumentMarker(value)) {
    if (indent === "") throw new Unsupported();
    if (implicitKey && indent === INDENT_STEP) return quoted(value, indent, implicitKey);
  }
  if (otherTypes.some((re) => re.test(value))) return quoted(value, indent, implicitKey);
  return value;
}

function quoted(value: string, indent: string, implicitKey: boolean): string {
  const hasDouble = value.includes('"');
  const hasSingle = value.includes("'");
  return hasDouble && !hasSingle ? singleQuoted(value, indent, implicitKey) : doubleQuoted(value, indent, implicitKey);
}

function singleQuoted(value: string, indent: string, implicitKey: boolean): string {
  if ((implicitKey && value.includes("\n")) || /[ \t]\n|\n[ \t]/.test(value)) return doubleQuoted(value, indent, implicitKey);
  const ind = indent || (containsDocumentMarker(value) ? "  " : "");
  return "'" + value.replace(/'/g, "''").replace(/\n+/g, `$&\n${ind}`) + "'";
}

const NAMED_ESCAPES: Readonly<Record<string, string>> = { "0000": "\\0", "0007": "\\a", "000b": "\\v", "001b": "\\e", "0085": "\\N", "00a0": "\\_", "2028": "\\L", "2029": "\\P" };

function doubleQuoted(value: string, indent: string, implicitKey: boolean): string {
  const json = JSON.stringify(value);
  const ind = indent || (containsDocumentMarker(value) ? "  " : "");
  let str = "";
  let start = 0;
  for (let i = 0, ch = json[i]; ch; ch = json[++i]) {
    if (ch === " " && json[i + 1] === "\\" && json[i + 2] === "n") {
      str += json.slice(start, i) + "\\ ";
      i += 1;
      start = i;
      ch = "\\";
    }
    if (ch === "\\") {
      switch (json[i + 1]) {
        case "u": {
          str += json.slice(start, i);
          const code = json.substr(i + 2, 4);
          const named = NAMED_ESCAPES[code];
          if (named) str += named;
          else if (code.substr(0, 2) === "00") str += "\\x" + code.substr(2);
          else str += json.substr(i, 6);
          i += 5;
          start = i + 1;
          break;
        }
        case "n":
          if (implicitKey || json[i + 2] === '"' || json.length < 40) {
            i += 1;
          } else {
            str += json.slice(start, i) + "\n\n";
            while (json[i + 2] === "\\" && json[i + 3] === "n" && json[i + 4] !== '"') {
              str += "\n";
              i += 2;
            }
            str += ind;
            if (json[i + 2] === " ") str += "\\";
            i += 1;
            start = i + 1;
          }
          break;
        default:
          i += 1;
      }
    }
  }
  return start ? str + json.slice(start) : json;
}

const blockEndNewlines = /(^|(?<!\n))\n+(?!\n|$)/g;

/**
 * `/\n[\t ]+$/.test(value)` without the regex: that one retries from every line break of an
 * indented document (an Envoy bootstrap has hundreds), where only the end of the string matters.
 */
function endsWithIndentedEmptyLine(value: string): boolean {
  let i = value.length;
  while (i > 0 && (value[i - 1] === " " || value[i - 1] === "\t")) i--;
  return i < value.length && i > 0 && value[i - 1] === "\n";
}

/** A literal block scalar (`|`), as yaml prints multi-line strings when lines are never folded. */
function block(value: string, indent: string): string {
  if (endsWithIndentedEmptyLine(value)) return quoted(value, indent, false);
  const ind = indent || (containsDocumentMarker(value) ? "  " : "");
  if (!value) return "|\n";
  let endStart: number;
  for (endStart = value.length; endStart > 0; --endStart) {
    const ch = value[endStart - 1];
    if (ch !== "\n" && ch !== "\t" && ch !== " ") break;
  }
  let end = value.substring(endStart);
  const endNlPos = end.indexOf("\n");
  const chomp = endNlPos === -1 ? "-" : value === end || endNlPos !== end.length - 1 ? "+" : "";
  if (end) {
    value = value.slice(0, -end.length);
    if (end[end.length - 1] === "\n") end = end.slice(0, -1);
    end = end.replace(blockEndNewlines, `$&${ind}`);
  }
  let startWithSpace = false;
  let startEnd: number;
  let startNlPos = -1;
  for (startEnd = 0; startEnd < value.length; ++startEnd) {
    const ch = value[startEnd];
    if (ch === " ") startWithSpace = true;
    else if (ch === "\n") startNlPos = startEnd;
    else break;
  }
  let start = value.substring(0, startNlPos < startEnd ? startNlPos + 1 : startEnd);
  if (start) {
    value = value.substring(start.length);
    start = start.replace(/\n+/g, `$&${ind}`);
  }
  const header = (startWithSpace ? (ind ? "2" : "1") : "") + chomp;
  return `|${header}\n${ind}${start}${indentLines(value, ind)}${end}`;
}

/**
 * `value.replace(/\n+/g, `$&${ind}`)`: every line after a break indented, blank lines left
 * empty. Without blank lines that is a plain replacement of each break: on the Envoy bootstraps
 * (19 MB of them at 1,000 services, each written into its ConfigMap) ~28 ms, against ~50 ms for
 * a split and join.
 */
function indentLines(value: string, ind: string): string {
  return value.includes("\n\n") ? value.replace(/\n+/g, `$&${ind}`) : value.replaceAll("\n", `\n${ind}`);
}
