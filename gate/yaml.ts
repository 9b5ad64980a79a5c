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
import { parse } from "yaml";

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

/** How many texts are held (tests). */
export function cachedTexts(): number {
  return parsed.size;
}
