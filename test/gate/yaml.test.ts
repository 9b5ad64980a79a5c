import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { cachedTexts, LIMIT, parseYaml, recordable, stringifyYaml } from "../../gate/yaml";
import { ROOT } from "../support/stacks";

/** Strings chosen to resolve to something else, or to change, if the stringifier did not quote them. */
const tricky = [
  "",
  " ",
  "  lead",
  "trail  ",
  "yes",
  "No",
  "on",
  "OFF",
  "y",
  "n",
  "true",
  "False",
  "null",
  "Null",
  "~",
  "NULL",
  "0",
  "-0",
  "007",
  "0x1F",
  "0o17",
  "1e3",
  "-1.5E-3",
  ".inf",
  "-.Inf",
  ".nan",
  "1_000",
  "12:30",
  "1:20:30",
  "2026-12-07",
  "2026-12-07T10:43:28Z",
  "!!str x",
  "!secret",
  "&anchor",
  "*alias",
  "# comment",
  "a # b",
  "a: b",
  "- item",
  "? key",
  "[1, 2]",
  "{a: 1}",
  "|",
  ">",
  "'single'",
  '"double"',
  "%YAML 1.2",
  "---",
  "...",
  "@at",
  "`tick",
  "tab\there",
  "new\nline",
  "cr\rreturn",
  "bell\u0007",
  "nul\u0000",
  "del\u007f",
  "nbsp\u00a0x",
  "ünïcødé ✓ 😀",
  "\ufeffbom",
  "line one\n\nline three\n",
  "x".repeat(200),
  "word ".repeat(40),
  "a  b   c    d ".repeat(12),
  "back\\slash",
  "secure: AAEA",
  "v1:abc==",
];

/** Random strings over YAML's indicator characters and whitespace (seeded: the same strings every run). */
function randomStrings(n: number): string[] {
  const alphabet = " \t\n:-?#&*!|>'\"%@`,[]{}~.0123456789eEx+_aZ\\\u00e9";
  let seed = 7;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed;
  };
  return Array.from({ length: n }, () =>
    Array.from({ length: 1 + (next() % 24) }, () => alphabet[next() % alphabet.length]).join(""),
  );
}

describe("YAML parsed once per text (gate/yaml.ts)", () => {
  it("gives every caller its own copy: an edit by one is not seen by the next", () => {
    const text = "config:\n  app:api:\n    replicas: 3\n    paths: [/ready]\n";
    const a = parseYaml(text) as { config: Record<string, { replicas: number; paths: string[] }> };
    a.config["app:api"].replicas = 99;
    a.config["app:api"].paths.push("/live");
    assert.deepEqual(parseYaml(text), { config: { "app:api": { replicas: 3, paths: ["/ready"] } } });
  });

  it("parses an edited text anew, and an empty one as null", () => {
    assert.deepEqual(parseYaml("a: 1\n"), { a: 1 });
    assert.deepEqual(parseYaml("a: 2\n"), { a: 2 });
    assert.equal(parseYaml(""), null);
  });

  it("throws yaml's error for invalid text every time, without caching it", () => {
    for (let i = 0; i < 2; i++) assert.throws(() => parseYaml("a: [1, 2\n"), /Flow sequence|flow collection|end/i);
  });

  it("holds at most LIMIT texts", () => {
    for (let i = 0; i < LIMIT + 10; i++) parseYaml(`n: ${i}\n`);
    assert.equal(cachedTexts(), LIMIT);
    assert.deepEqual(parseYaml("n: 0\n"), { n: 0 }, "an evicted text still parses");
  });

  describe("stringifyYaml: the written text's parse recorded", () => {
    it("reads back, with yaml's own parser, equal to what was written: tricky and random strings, numbers, nesting", () => {
      const values: unknown[] = [
        ...tricky,
        ...randomStrings(300),
        0,
        1,
        -1,
        1.5,
        1e21,
        2 ** 53,
        -2.5e-7,
        true,
        false,
        null,
      ];
      const doc = {
        config: Object.fromEntries(values.map((v, i) => [`app:k${i}`, v])),
        nested: { list: values, deep: [{ a: [values.slice(0, 5)] }], [tricky[20]]: "key that looks like a number" },
      };
      const text = stringifyYaml(doc);
      assert.deepEqual(parse(text), doc, "yaml's parser reads the text back to what was written");
      assert.deepEqual(parseYaml(text), doc, "and the recorded parse is the same");
      for (const v of values) assert.deepEqual(parse(stringifyYaml({ v })), { v }, JSON.stringify(v));
    });

    it("round-trips both stack files as the driver writes them, and records their parse", () => {
      for (const stack of ["staging", "prod"]) {
        const doc = parse(readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8"));
        assert.ok(recordable(doc), `${stack}: every value is plain single-line data`);
        const text = stringifyYaml(doc);
        assert.deepEqual(parse(text), doc, stack);
        assert.deepEqual(parseYaml(text), doc, stack);
      }
    });

    it("records nothing for data that is not plain JSON: the text is parsed as written", () => {
      const SHARED = { x: 1 };
      const CYCLE: Record<string, unknown> = { name: "loop" };
      CYCLE.self = CYCLE;
      const cases: [unknown, string][] = [
        [new Date(0), "a Date"],
        [Number.NaN, "NaN"],
        [-0, "-0"],
        ["lone \ud800 surrogate", "a lone surrogate"],
        [new Map([["k", 1]]), "a Map"],
        [Object.assign(Object.create(null), { k: 1 }), "a null-prototype object"],
        // yaml 2.9 writes these so that they read back different, or not at all (eemeli/yaml #692):
        [" \n", "a whitespace-only line in a literal block"],
        [" \n\t\n", "a block yaml cannot read back"],
        [`${"word ".repeat(17)}\n \n \nz`, "space-only lines in a long folded string"],
        [`x\u0007 ${"word ".repeat(16)}\n \ny`, "a long double-quoted string with a space-only line"],
        ["\ufeffx", "a leading byte-order mark"],
        // biome-ignore lint/suspicious/noSparseArray: the hole is the case
        [[, 1], "an array with a hole (written as null)"],
        [Object.assign([1, 2], { named: 3 }), "an array with a named property (not written)"],
        [
          {
            a: 1,
            *[Symbol.iterator]() {
              yield "x";
            },
          },
          "an own Symbol.iterator (written as a sequence)",
        ],
        [Object.defineProperty({}, "x", { get: () => 7, enumerable: true }), "a getter"],
        [[SHARED, SHARED], "an object reached twice (an anchor and an alias)"],
        [CYCLE, "a cycle"],
        [{ "two\nlines": 1 }, "a key over two lines"],
      ];
      for (const [v, what] of cases) {
        assert.equal(recordable({ v }), false, what);
        const text = stringifyYaml({ v, what });
        let read: unknown;
        try {
          read = parse(text);
        } catch (e) {
          assert.throws(() => parseYaml(text), { message: (e as Error).message }, `${what}: unreadable, as written`);
          continue;
        }
        assert.deepEqual(parseYaml(text), read, `${what}: the cache serves yaml's parse of the text`);
      }
    });

    it("gives every reader its own copy of the recorded parse", () => {
      const doc = { config: { "app:api": { paths: ["/ready"] } } };
      const text = stringifyYaml(doc);
      (parseYaml(text) as typeof doc).config["app:api"].paths.push("/live");
      doc.config["app:api"].paths.push("/edited-after-writing");
      assert.deepEqual(parseYaml(text), { config: { "app:api": { paths: ["/ready"] } } });
    });
  });
});
