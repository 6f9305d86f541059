import fc from "fast-check";
import YAML from "yaml";
import { describe, expect, it } from "vitest";
import { stringifyYaml } from "./yaml.js";

const reference = (value: unknown) => YAML.stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });

/** The double-quoted style as targets/envoy writes it with `yaml` (keys plain only when identifiers). */
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_.]*$/;
const quotedReference = (value: unknown) => {
  const doc = new YAML.Document(value, { aliasDuplicateObjects: false });
  YAML.visit(doc, {
    Pair(_, pair) {
      if (YAML.isScalar(pair.key) && !PLAIN_KEY.test(String(pair.key.value))) pair.key.type = "QUOTE_DOUBLE";
    },
  });
  return doc.toString({ defaultStringType: "QUOTE_DOUBLE", defaultKeyType: "PLAIN", lineWidth: 0 });
};
const quoted = { quoteStrings: { plainKeys: PLAIN_KEY } };

/** Strings YAML reads as something else, or that need quoting, escaping or a block scalar. */
const tricky = [
  "", " ", "yes", "no", "on", "off", "y", "n", "true", "True", "FALSE", "null", "Null", "~", "NULL",
  "1e3", "0x1f", "0o17", "017", "1_000", "-1", "+1", ".5", "1.", ".inf", "-.Inf", ".NaN", "12:30", "1:2:3",
  ":", "a:", "a: b", "a :b", "a:b", "#", "a #b", "a#b", "- a", "-", "-a", "?", "? a", "?a", "!tag", "&anchor", "*alias",
  "|", ">", "'", '"', "'quoted'", '"quoted"', "it's", 'say "hi"', `both ' and "`, "%directive", "@at", "`tick`",
  "{a}", "[a]", "a,b", "a]", "---", "--- x", "...", "a\n---\nb", " leading", "trailing ", "\ttab", "tab\t",
  "line1\nline2", "line1\nline2\n", "line1\nline2\n\n", "\nleading newline", "trailing newline\n", "\n", "\n\n", "a\n\n\nb",
  " indented\nblock", "a\n b", "a \nb", "x\n  \n", "x\n  ", "x\n\t", "x\n \t ", "\n ", "x \t", "x\n  \ny", "x\n\n  ", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
  "unicode é ü 日本 🚀", "\u00a0nbsp", "nel\u0085", "\u2028sep", "bell\u0007", "nul\u0000", "esc\u001b", "del\u007f", "\ud800 lone",
  "a long line that is much longer than eighty characters, which yaml would fold if lineWidth were not zero at all",
  "a long double-quoted line with \"quotes\" and a newline\n that is longer than forty characters",
  "spiffe://cluster.local/ns/default/sa/reviews", "@type", "type.googleapis.com/envoy.config.bootstrap.v3.Bootstrap", "envoy.filters.http.router", "_under", "a.b.c", "registry.example.com/team-00/svc-00005:1.0.0", "/api/*", "*", "100m", "2s", "0.0.0.0",
];

describe("stringifyYaml", () => {
  it("prints tricky strings exactly as yaml does, as values, keys and list items, and they read back", () => {
    for (const s of tricky) {
      for (const value of [{ key: s }, { [s]: "value" }, [s], { nested: { list: [s, { inner: s }] } }, [[s]]]) {
        const text = stringifyYaml(value);
        expect(text, JSON.stringify(value)).toBe(reference(value));
        expect(YAML.parse(text), JSON.stringify(value)).toEqual(value);
        const quotedText = stringifyYaml(value, quoted);
        expect(quotedText, JSON.stringify(value)).toBe(quotedReference(value));
        expect(YAML.parse(quotedText), JSON.stringify(value)).toEqual(value);
      }
    }
  });

  it("prints numbers, booleans, nulls and empty collections exactly as yaml does", () => {
    const value = {
      ints: [0, 1, -1, 8080, 2 ** 53, -0],
      floats: [0.5, -1.25, 1e21, 1e-7, 123.456],
      special: [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY],
      flags: [true, false],
      nothing: null,
      skipped: undefined,
      empty: { map: {}, list: [], onlyUndefined: { a: undefined } },
      lists: [[], {}, [[]], [{}], [1, [2, [3]]], [{ a: 1, b: [{ c: null }] }]],
    };
    expect(stringifyYaml(value)).toBe(reference(value));
    expect(stringifyYaml(value, quoted)).toBe(quotedReference(value));
    expect(stringifyYaml({})).toBe(reference({}));
    expect(stringifyYaml([])).toBe(reference([]));
  });

  it("hands what it does not mirror to yaml itself", () => {
    for (const value of [{ when: new Date(0) }, [undefined, 1], { map: new Map([["a", 1]]) }, { ["k".repeat(1100)]: 1 }, "scalar", 42, null]) {
      expect(stringifyYaml(value)).toBe(reference(value));
      expect(stringifyYaml(value, quoted)).toBe(quotedReference(value));
    }
  });

  it("matches yaml on random JSON-like data", () => {
    const text = fc.oneof(
      fc.constantFrom(...tricky),
      fc.string({ unit: fc.constantFrom("a", "b", " ", ":", "#", "-", "\n", "'", '"', "\\", "\t", "é", "0", "1", ".", "e", "x", "%", "|", ">", "*", "&", "!", "?", "~", "[", "{", ",") }),
      fc.string({ unit: "grapheme" }),
    );
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: "small" },
        text,
        fc.integer(),
        fc.double(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie("value"), { maxLength: 4 }),
        fc.dictionary(text, fc.option(tie("value"), { nil: undefined }), { maxKeys: 4 }),
      ),
    })).value;
    fc.assert(
      fc.property(fc.oneof(fc.array(json, { maxLength: 4 }), fc.dictionary(text, json, { maxKeys: 5 })), (value) => {
        expect(stringifyYaml(value)).toBe(reference(value));
        expect(stringifyYaml(value, quoted)).toBe(quotedReference(value));
      }),
      { numRuns: 2000 },
    );
  });
});
