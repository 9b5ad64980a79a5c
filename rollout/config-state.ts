/**
 * The stack config as the driver edits it: structured top-level values (not `--path` strings, which would
 * turn "16.4" into a number), the release-relevant view of it, and the minimal set of changes between two
 * configs.
 */
import { type ConfigProblem, NAMESPACE, parseConfig, rawFromFlatConfig } from "../config/load";
import type { AppConfig } from "../config/schema";
import type { FlatConfig } from "./ports";

/** A config value as the driver writes it: any JSON value, secret or not. */
export interface ConfigEntry {
  value: unknown;
  secret?: boolean;
}
export type StructuredConfig = Record<string, ConfigEntry>;

export function toStructured(flat: FlatConfig): StructuredConfig {
  const out: StructuredConfig = {};
  for (const [k, v] of Object.entries(flat)) {
    let value: unknown = v.value;
    if (/^\s*[[{]/.test(v.value)) {
      try {
        value = JSON.parse(v.value);
      } catch {
        value = v.value;
      }
    }
    out[k] = { value, secret: v.secret };
  }
  return out;
}

export function toFlat(s: StructuredConfig): FlatConfig {
  return Object.fromEntries(
    Object.entries(s).map(([k, e]) => [
      k,
      { value: typeof e.value === "string" ? e.value : JSON.stringify(e.value), secret: e.secret },
    ]),
  );
}

/** Validates the app config of a structured config. */
export function appConfig(
  s: StructuredConfig,
  stack: string,
): { ok: true; config: AppConfig } | { ok: false; problems: ConfigProblem[] } {
  return parseConfig(
    rawFromFlatConfig(Object.fromEntries(Object.entries(toFlat(s)).map(([k, e]) => [k, e.value]))),
    stack,
  );
}

/** Reads or writes `app:<key>.<path...>` inside a structured config (objects created on the way). */
export function setPath(s: StructuredConfig, key: string, path: string[], value: unknown): StructuredConfig {
  const copy = structuredClone(s);
  const full = `${NAMESPACE}:${key}`;
  const entry = copy[full] ?? { value: {} };
  if (path.length === 0) entry.value = value;
  else {
    let cur = (entry.value ?? {}) as Record<string, unknown>;
    entry.value = cur;
    for (const p of path.slice(0, -1)) {
      cur[p] = (cur[p] as Record<string, unknown> | undefined) ?? {};
      cur = cur[p] as Record<string, unknown>;
    }
    cur[path[path.length - 1]] = value;
  }
  copy[full] = entry;
  return copy;
}

/** What turns `from` into `to`: top-level keys to set (whole values) and keys to remove. */
export function configChanges(
  from: StructuredConfig,
  to: StructuredConfig,
): { set: StructuredConfig; remove: string[] } {
  const set: StructuredConfig = {};
  for (const [k, e] of Object.entries(to)) if (JSON.stringify(from[k]) !== JSON.stringify(e)) set[k] = e;
  return { set, remove: Object.keys(from).filter((k) => !(k in to)) };
}
