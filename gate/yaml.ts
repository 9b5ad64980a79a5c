/**
 * YAML parsed once per distinct text. The gate, the driver and the twin read the same stack files again
 * and again (every stage composes its config, every twin `up` reads its secure values): `yaml`'s parser
 * was ~3 s of CPU in a profiled `npm test` (docs/gate.md "Profile"). The text is the key, so an edited
 * file is parsed anew; every caller gets its own deep copy, so no caller sees another's edits. Bounded:
 * the oldest text is dropped past LIMIT. A parse error is thrown as `yaml` throws it, and not cached; a
 * warning `yaml` prints (e.g. an unresolved tag) is printed on the first parse of a text only. The copy is
 * a structuredClone: the one value it changes is `!!binary` (a Buffer becomes a plain Uint8Array), which
 * no Pulumi stack file uses (the CLI reads config values as strings, objects and lists).
 */
import { parse, stringify } from "yaml";

export const LIMIT = 256;
const parsed = new Map<string, unknown>();

export function parseYaml(text: string): unknown {
  let doc = parsed.get(text);
  if (doc === undefined && !parsed.has(text)) {
    doc = parse(text) as unknown;
    if (parsed.size >= LIMIT) parsed.delete(parsed.keys().next().value as string);
    parsed.set(text, doc);
  }
  return structuredClone(doc);
}

/**
 * `stringify(doc)`, with `doc` recorded as the parse of the text, so reading the file back does not parse
 * it again (the driver writes each stage's `--config-file` and the gate and the twin read it back: ~60 ms of
 * a prod rehearsal's CPU). Recorded only for plain JSON data — plain objects and arrays, finite numbers
 * other than -0, booleans, null, and single-line strings: no control character (C0, DEL, C1), line or
 * paragraph separator, byte-order mark or lone surrogate — in a tree (`recordable`). For those, `yaml`'s
 * stringifier quotes every string that would resolve to another type and its parser reads the text back
 * equal (a fuzz of 900,000 documents; test/gate/yaml.test.ts checks the committed stack files and strings
 * chosen to break it: YAML 1.1 booleans, numbers in every notation, `~`, `null`, tags, anchors, comments,
 * indicators, long folded lines, runs of spaces, non-ASCII). Multi-line strings are not recorded: yaml 2.9
 * writes some of them so that they read back different or not at all (a whitespace-only line in a literal
 * block, eemeli/yaml #692; space-only lines in long folded or double-quoted strings). Anything not
 * recorded is parsed on first read, as before.
 */
export function stringifyYaml(doc: unknown): string {
  const text = stringify(doc);
  if (recordable(doc) && !parsed.has(text)) {
    if (parsed.size >= LIMIT) parsed.delete(parsed.keys().next().value as string);
    parsed.set(text, structuredClone(doc));
  }
  return text;
}

/** A single-line string without control characters, separators, BOM or lone surrogates (`u`: a pair is one code point). */
const singleLine = (s: string) => !/[\p{Cc}\u2028\u2029\ufeff]|\p{Cs}/u.test(s);

/**
 * Whether stringifyYaml records `v` as its text's parse (exported for tests): a tree of plain data, walked
 * once. Not recorded, so the text is parsed as written: a cycle (`yaml` writes it with an anchor and an
 * alias; the walk used to recurse without end), an object reached twice (written the same way: left to
 * `yaml`'s parser, which knows what it wrote), own symbol keys (an own `Symbol.iterator` makes `yaml` write
 * a sequence), accessors (each reader may get another value), arrays with holes or named properties
 * (`yaml` writes a hole as null and no named property; `structuredClone` keeps both). Found by an
 * independent review against `yaml` 2.9.1's source (createNode, YAMLMap.from, YAMLSeq.from).
 */
export function recordable(v: unknown): boolean {
  return plain(v, new Set());
}

function plain(v: unknown, seen: Set<object>): boolean {
  if (v === null || typeof v === "boolean") return true;
  if (typeof v === "string") return singleLine(v);
  if (typeof v === "number") return Number.isFinite(v) && !Object.is(v, -0);
  if (typeof v !== "object" || seen.has(v)) return false;
  seen.add(v);
  const array = Array.isArray(v);
  if (Object.getPrototypeOf(v) !== (array ? Array.prototype : Object.prototype)) return false;
  if (Object.getOwnPropertySymbols(v).length > 0) return false;
  // Enumerable string keys are what `yaml` (Object.keys; an array's for…of) and structuredClone read: an
  // array's must be exactly its indexes (no hole, no named property).
  const keys = Object.keys(v);
  if (array && keys.length !== (v as unknown[]).length) return false;
  const props = Object.getOwnPropertyDescriptors(v) as Record<string, PropertyDescriptor>;
  // An accessor's descriptor has no value: undefined is not plain data.
  return keys.every((k) => (array || singleLine(k)) && plain(props[k].value, seen));
}

/** How many texts are held (tests). */
export function cachedTexts(): number {
  return parsed.size;
}
