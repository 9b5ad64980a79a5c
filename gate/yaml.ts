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
 * a prod rehearsal's CPU). Recorded only for plain JSON data — plain objects and arrays, well-formed
 * strings, finite numbers other than -0, booleans, null — for which `yaml`'s stringifier quotes every
 * string that would resolve to another type and its parser reads the text back to an equal value
 * (test/gate/yaml.test.ts checks that, on the composed stack files and on strings chosen to break it: YAML
 * 1.1 booleans, numbers in every notation, `~`, `null`, tags, anchors, comments, indicators, long folded
 * lines, trailing spaces, control characters, non-ASCII). Anything else is parsed on first read as before.
 */
export function stringifyYaml(doc: unknown): string {
  const text = stringify(doc);
  if (isPlainData(doc) && !parsed.has(text)) {
    if (parsed.size >= LIMIT) parsed.delete(parsed.keys().next().value as string);
    parsed.set(text, structuredClone(doc));
  }
  return text;
}

/** No lone surrogate (with the `u` flag a pair is one code point, not in the Cs category). */
const wellFormed = (s: string) => !/\p{Cs}/u.test(s);

function isPlainData(v: unknown): boolean {
  if (v === null || typeof v === "boolean") return true;
  if (typeof v === "string") return wellFormed(v);
  if (typeof v === "number") return Number.isFinite(v) && !Object.is(v, -0);
  if (Array.isArray(v)) return Object.getPrototypeOf(v) === Array.prototype && v.every(isPlainData);
  if (typeof v !== "object" || Object.getPrototypeOf(v) !== Object.prototype) return false;
  return Object.entries(v as object).every(([k, x]) => wellFormed(k) && isPlainData(x));
}

/** How many texts are held (tests). */
export function cachedTexts(): number {
  return parsed.size;
}
