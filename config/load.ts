/**
 * Validates raw stack configuration against the schema and turns every problem into a message a person
 * can act on: the config key path, what was expected, what was found, and the `pulumi config` command
 * that fixes it. All problems are reported at once; a user mistake never produces a stack trace.
 */
import { NAMESPACE, rawFromFlatConfig } from "@app-rollout/shared";
import { z } from "zod";
import { withDefaults } from "./defaults";
import { type AppConfig, configSchema, SECRET_KEYS } from "./schema";

/** Pulumi config namespace of this project (the `name:` in Pulumi.yaml). */
export { NAMESPACE, rawFromFlatConfig };

export interface ConfigProblem {
  /** Pulumi `--path` key, e.g. `app:blueGreen.canaryWeight`. */
  key: string;
  /** What the schema expects. */
  expected: string;
  /** What the stack has (secrets are never echoed). */
  found: string;
  /** The command that fixes it. */
  fix: string;
}

export type ParseResult = { ok: true; config: AppConfig } | { ok: false; problems: ConfigProblem[] };

type Path = readonly PropertyKey[];

function pathToKey(path: Path): string {
  let out = `${NAMESPACE}:`;
  path.forEach((p, i) => {
    if (typeof p === "number") out += `[${p}]`;
    else out += i === 0 ? String(p) : `.${String(p)}`;
  });
  return out;
}

/** Unwraps optional/default/pipe wrappers to reach the schema that describes a value. */
function unwrap(s: z.ZodType): z.ZodType {
  let cur: z.ZodType = s;
  for (let i = 0; i < 10; i++) {
    if (cur instanceof z.ZodOptional || cur instanceof z.ZodNullable || cur instanceof z.ZodDefault)
      cur = cur.unwrap() as z.ZodType;
    else if (cur instanceof z.ZodPipe) cur = cur.in as z.ZodType;
    else break;
  }
  return cur;
}

/** The sub-schema at a config path (or undefined when the path leaves the schema). */
export function schemaAt(path: Path): z.ZodType | undefined {
  let cur: z.ZodType | undefined = configSchema;
  for (const p of path) {
    if (!cur) return undefined;
    const u = unwrap(cur);
    if (u instanceof z.ZodObject) cur = (u.shape as Record<string, z.ZodType>)[String(p)];
    else if (u instanceof z.ZodArray) cur = u.element as z.ZodType;
    else return undefined;
  }
  return cur;
}

function metaOf(s: z.ZodType | undefined): { description?: string; examples?: unknown[]; secret?: boolean } {
  if (!s) return {};
  let cur: z.ZodType = s;
  for (let i = 0; i < 10; i++) {
    const m = z.globalRegistry.get(cur) as { description?: string; examples?: unknown[]; secret?: boolean } | undefined;
    if (m && (m.examples || m.description || m.secret)) return m;
    const next = unwrap(cur);
    if (next === cur) break;
    cur = next;
  }
  return {};
}

/** First documented leaf below a schema, for a fix hint when a whole section is missing. */
function firstLeaf(path: Path): { path: Path; example: unknown } | undefined {
  const s = schemaAt(path);
  if (!s) return undefined;
  const u = unwrap(s);
  if (u instanceof z.ZodObject) {
    const keys = Object.keys(u.shape);
    const required = keys.filter((k) => !((u.shape as Record<string, z.ZodType>)[k] instanceof z.ZodOptional));
    for (const k of [...required, ...keys.filter((k) => !required.includes(k))]) {
      const leaf = firstLeaf([...path, k]);
      if (leaf) return leaf;
    }
    return undefined;
  }
  const ex = metaOf(s).examples?.[0];
  return ex === undefined ? undefined : { path, example: ex };
}

function shellValue(v: unknown): string {
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return /^[A-Za-z0-9._:/@+-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

function setCommand(path: Path, stack: string): string {
  const top = String(path[0] ?? "");
  if ((SECRET_KEYS as readonly string[]).includes(top))
    return `pulumi config set --secret ${NAMESPACE}:${top} <value> --stack ${stack}`;
  const leaf = firstLeaf(path);
  if (!leaf) return `pulumi config set --path '${pathToKey(path)}' <value> --stack ${stack}`;
  if (Array.isArray(leaf.example)) {
    return leaf.example
      .map((v, i) => `pulumi config set --path '${pathToKey([...leaf.path, i])}' ${shellValue(v)} --stack ${stack}`)
      .join(" && ");
  }
  return `pulumi config set --path '${pathToKey(leaf.path)}' ${shellValue(leaf.example)} --stack ${stack}`;
}

function describeFound(path: Path, input: unknown): string {
  if ((SECRET_KEYS as readonly string[]).includes(String(path[0])))
    return input === undefined ? "nothing (the key is not set)" : "a secret value (not shown)";
  if (input === undefined) return "nothing (the key is not set)";
  const s = JSON.stringify(input);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

function levenshtein(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

function expectation(issue: z.core.$ZodIssue): string {
  if (issue.message.startsWith("expected")) return issue.message;
  switch (issue.code) {
    case "invalid_type":
      return `expected ${issue.expected === "object" ? "a section (object)" : `${/^[aeiou]/.test(issue.expected) ? "an" : "a"} ${issue.expected}`}`;
    case "too_small":
      return issue.origin === "array"
        ? `expected at least ${issue.minimum} item(s)`
        : `expected a value >= ${issue.minimum}`;
    case "too_big":
      return issue.origin === "array"
        ? `expected at most ${issue.maximum} item(s)`
        : `expected a value <= ${issue.maximum}`;
    case "invalid_value":
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "invalid_format":
      return `expected a valid ${issue.format}`;
    default:
      return `expected ${issue.message.replace(/^Invalid input:?\s*/i, "").toLowerCase() || "a valid value"}`;
  }
}

function toProblems(issues: z.core.$ZodIssue[], stack: string): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      const parent = schemaAt(issue.path);
      const u = parent ? unwrap(parent) : undefined;
      const known = u instanceof z.ZodObject ? Object.keys(u.shape) : [];
      for (const k of issue.keys) {
        const path = [...issue.path, k];
        const near = known
          .map((n) => [n, levenshtein(k.toLowerCase(), n.toLowerCase())] as const)
          .sort((a, b) => a[1] - b[1])[0];
        const hint = near && near[1] <= 3 ? ` (did you mean ${near[0]}?)` : "";
        out.push({
          key: pathToKey(path),
          expected: `expected no such key${hint}; known keys here: ${known.join(", ")}`,
          found: "an unknown key",
          fix: `pulumi config rm --path '${pathToKey(path)}' --stack ${stack}`,
        });
      }
      continue;
    }
    out.push({
      key: pathToKey(issue.path),
      expected: expectation(issue),
      found: describeFound(issue.path, issue.input),
      fix: setCommand(issue.path, stack),
    });
  }
  return out;
}

/** Validates raw config (top-level keys without namespace) after applying the environment's defaults. */
export function parseConfig(raw: Record<string, unknown>, stack: string): ParseResult {
  const env = configSchema.shape.environment.safeParse(raw.environment, { reportInput: true });
  if (!env.success) {
    const problems = toProblems(
      env.error.issues.map((i) => ({ ...i, path: ["environment"] })),
      stack,
    );
    problems[0].expected += " (the other keys are checked once the environment is valid: it selects their defaults)";
    return { ok: false, problems };
  }
  const result = configSchema.safeParse(withDefaults(raw), { reportInput: true });
  if (result.success) return { ok: true, config: result.data };
  return { ok: false, problems: toProblems(result.error.issues, stack) };
}

/** Results of parseFlatConfig held at most (the oldest is dropped past it). */
export const PARSED_CONFIGS_LIMIT = 64;
const parsedConfigs = new Map<string, ParseResult>();

/**
 * parseConfig of a flat engine config (`"app:<key>"` → string), once per distinct (stack, config): a
 * rehearsal validates each stage's config when composing it, again in the plan, and once more inside the
 * program under the mocks (config/index.ts) — the same zod parse three times (~65 ms of a prod rehearsal's
 * CPU, docs/gate.md "Profile"). The key is every project key in order with its exact string value (all a
 * flat config holds, and all rawFromFlatConfig and the schema read: parseConfig reads no clock nor
 * environment), so any edited value is parsed anew. Every caller gets its own deep copy. Held in memory
 * only, like the config itself.
 */
export function parseFlatConfig(flat: Record<string, string>, stack: string): ParseResult {
  const key = flatConfigKey(flat, stack);
  let result = parsedConfigs.get(key);
  if (result === undefined) {
    result = parseConfig(rawFromFlatConfig(flat), stack);
    if (parsedConfigs.size >= PARSED_CONFIGS_LIMIT) parsedConfigs.delete(parsedConfigs.keys().next().value as string);
    parsedConfigs.set(key, result);
  }
  return structuredClone(result);
}

const flatConfigKey = (flat: Record<string, string>, stack: string) =>
  JSON.stringify([stack, Object.entries(flat).filter(([k]) => k.startsWith(`${NAMESPACE}:`))]);

/** Whether parseFlatConfig holds the result for this config (tests). */
export function isConfigHeld(flat: Record<string, string>, stack: string): boolean {
  return parsedConfigs.has(flatConfigKey(flat, stack));
}

/** How many configs parseFlatConfig holds (tests). */
export function parsedConfigCount(): number {
  return parsedConfigs.size;
}

/** Renders problems as the text shown to a user (gate, program, rollout). */
export function formatProblems(problems: ConfigProblem[], stack: string): string {
  const lines = [`Stack '${stack}' has ${problems.length} configuration problem(s):`];
  for (const p of problems) {
    lines.push(`  ✗ ${p.key}: ${p.expected}; found ${p.found}.`);
    lines.push(`      fix: ${p.fix}`);
  }
  lines.push("The configuration reference is docs/configuration.md.");
  return lines.join("\n");
}
