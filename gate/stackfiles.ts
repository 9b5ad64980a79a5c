/**
 * Reads `Pulumi.yaml` and `Pulumi.<stack>.yaml` the way the CLI does and produces the flat engine config
 * (`"<namespace>:<key>"` → string, objects as JSON). Encrypted values (`secure:`) cannot be decrypted
 * without the stack's secrets provider, so they are replaced by marked placeholders and reported.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { deepMerge } from "../config/defaults";
import { parseYaml } from "./yaml";

export interface StackFiles {
  project: string;
  stack: string;
  /** Flat engine config. */
  config: Record<string, string>;
  /** Keys whose values are secrets (placeholders here). */
  secretKeys: string[];
  /** Keys whose encrypted values were replaced by placeholders. */
  placeholders: string[];
}

/** A user mistake about the files themselves (missing stack, unreadable YAML): reported without a stack trace. */
export class StackFileError extends Error {
  override name = "StackFileError";
}

export function secretPlaceholder(key: string): string {
  return `[placeholder for secret ${key}: encrypted in the stack file, not decrypted offline]`;
}

/** Parsed documents by their text: the driver and the twin read the same few stack files many times. */
const parsedByText = new Map<string, Record<string, unknown>>();

function readYaml(file: string): Record<string, unknown> {
  const text = readFileSync(file, "utf8");
  const hit = parsedByText.get(text);
  if (hit) return structuredClone(hit);
  try {
    const doc = parseYaml(text);
    const out = doc && typeof doc === "object" ? (doc as Record<string, unknown>) : {};
    if (parsedByText.size >= 64) parsedByText.delete(parsedByText.keys().next().value as string);
    parsedByText.set(text, structuredClone(out));
    return out;
  } catch (e) {
    throw new StackFileError(`${file}: not valid YAML: ${(e as Error).message}`);
  }
}

/** Stack names that have a `Pulumi.<stack>.yaml` in `dir`. */
export function listStacks(dir: string): string[] {
  return readdirSync(dir)
    .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

function isSecure(v: unknown): v is { secure: string } {
  return (
    typeof v === "object" && v !== null && !Array.isArray(v) && typeof (v as { secure?: unknown }).secure === "string"
  );
}

/** Replaces nested `secure:` values by placeholders; returns whether any was found. */
function replaceSecure(v: unknown, key: string): { value: unknown; secret: boolean } {
  if (isSecure(v)) return { value: secretPlaceholder(key), secret: true };
  if (Array.isArray(v)) {
    const items = v.map((x, i) => replaceSecure(x, `${key}[${i}]`));
    return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
  }
  if (v && typeof v === "object") {
    let secret = false;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const r = replaceSecure(x, `${key}.${k}`);
      out[k] = r.value;
      secret ||= r.secret;
    }
    return { value: out, secret };
  }
  return { value: v, secret: false };
}

/**
 * Loads the project and stack files from `dir`. `overrides` (top-level keys of the project namespace,
 * merged deeply) lets tests and `--compare` try a config change without editing files.
 */
export function loadStackFiles(
  dir: string,
  stack: string,
  overrides: Record<string, unknown> = {},
  stackFileOverride?: string,
): StackFiles {
  const projectFile = path.join(dir, "Pulumi.yaml");
  if (!existsSync(projectFile))
    throw new StackFileError(`${projectFile} not found: run from the project directory or pass --dir`);
  const project = readYaml(projectFile);
  const name = String(project.name ?? "");
  if (!name) throw new StackFileError(`${projectFile}: missing 'name'`);

  const stackFile =
    stackFileOverride ?? ["yaml", "yml"].map((ext) => path.join(dir, `Pulumi.${stack}.${ext}`)).find(existsSync);
  if (stackFileOverride && !existsSync(stackFileOverride))
    throw new StackFileError(`stack file ${stackFileOverride} not found`);
  if (!stackFile) {
    const known = listStacks(dir);
    throw new StackFileError(
      `no stack file Pulumi.${stack}.yaml in ${dir}; known stacks: ${known.join(", ") || "none"}. Create one with \`pulumi stack init ${stack}\` and copy a known stack's file.`,
    );
  }

  const values: Record<string, unknown> = {};
  const declared = (project.config ?? {}) as Record<string, unknown>;
  for (const [k, decl] of Object.entries(declared)) {
    const key = k.includes(":") ? k : `${name}:${k}`;
    if (decl && typeof decl === "object" && !Array.isArray(decl)) {
      const d = decl as { default?: unknown; value?: unknown };
      if (d.value !== undefined) values[key] = d.value;
      else if (d.default !== undefined) values[key] = d.default;
    } else {
      values[key] = decl;
    }
  }
  const stackConfig = (readYaml(stackFile).config ?? {}) as Record<string, unknown>;
  Object.assign(values, stackConfig);
  for (const [k, v] of Object.entries(overrides)) {
    const key = `${name}:${k}`;
    values[key] = deepMerge(values[key], v);
  }

  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  const placeholders: string[] = [];
  for (const [key, raw] of Object.entries(values)) {
    const { value, secret } = replaceSecure(raw, key);
    if (secret) {
      secretKeys.push(key);
      placeholders.push(key);
    }
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return { project: name, stack, config, secretKeys, placeholders };
}
