/**
 * Artifacts derived from the zod schema: the JSON Schema of the stack files (editor completion and
 * validation of `Pulumi.<stack>.yaml`) and the configuration reference in docs/. `npm run gen` writes
 * them; a test fails when the committed copies are stale.
 */
import { z } from "zod";
import { defaultsFor } from "./defaults";
import { NAMESPACE } from "./load";
import { configObjectSchema, SECRET_KEYS } from "./schema";

type Json = Record<string, unknown>;
type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  description?: string;
  examples?: unknown[];
  default?: unknown;
  anyOf?: JsonSchema[];
  [k: string]: unknown;
};

const SCHEMA_FILE = "schemas/stack-config.schema.json";
const DOCS_FILE = "docs/configuration.md";
export const ARTIFACT_FILES = { schema: SCHEMA_FILE, docs: DOCS_FILE };

function get(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const p of path) cur = cur && typeof cur === "object" && !Array.isArray(cur) ? (cur as Json)[p] : undefined;
  return cur;
}

/**
 * Drops from `required` every property that the defaults of both environments fill in, and records the
 * defaults on the property. Returns true when nothing in this schema remains required.
 */
function applyDefaults(schema: JsonSchema, path: string[], staging: unknown, prod: unknown): boolean {
  if (schema.type !== "object" || !schema.properties) return false;
  const required = new Set(schema.required ?? []);
  for (const [k, prop] of Object.entries(schema.properties)) {
    const p = [...path, k];
    const s = get(staging, p);
    const d = get(prod, p);
    if (prop.type === "object" && prop.properties) {
      if (applyDefaults(prop, p, staging, prod)) required.delete(k);
      continue;
    }
    if (s === undefined || d === undefined) continue;
    required.delete(k);
    if (JSON.stringify(s) === JSON.stringify(d)) prop.default = s;
    else prop["x-default-by-environment"] = { staging: s, prod: d };
  }
  schema.required = [...required];
  if (schema.required.length === 0) delete schema.required;
  return required.size === 0;
}

/** JSON Schema (draft 2020-12) of the top-level config values, defaults applied. */
export function configValueSchemas(): { values: Record<string, JsonSchema>; required: string[] } {
  const root = z.toJSONSchema(configObjectSchema, {
    io: "input",
    unrepresentable: "any",
    target: "draft-2020-12",
  }) as JsonSchema;
  applyDefaults(root, [], defaultsFor("staging"), defaultsFor("prod"));
  return { values: root.properties ?? {}, required: root.required ?? [] };
}

export function stackFileJsonSchema(): Json {
  const { values, required } = configValueSchemas();
  const properties: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) {
    properties[`${NAMESPACE}:${k}`] = (SECRET_KEYS as readonly string[]).includes(k)
      ? {
          description:
            `${v.description ?? ""} Secret: set with \`pulumi config set --secret ${NAMESPACE}:${k} <value>\`.`.trim(),
          type: "object",
          properties: { secure: { type: "string" } },
          required: ["secure"],
          additionalProperties: false,
        }
      : v;
  }
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: "stack-config.schema.json",
    title: `Pulumi stack file of project '${NAMESPACE}'`,
    description: "Generated from config/schema.ts by `npm run gen`. Do not edit by hand.",
    type: "object",
    properties: {
      secretsprovider: { type: "string" },
      encryptedkey: { type: "string" },
      encryptionsalt: { type: "string" },
      environment: { type: ["string", "array"], description: "Pulumi ESC environments to import." },
      config: {
        type: "object",
        properties,
        required: required.map((k) => `${NAMESPACE}:${k}`),
        patternProperties: { [`^(?!${NAMESPACE}:)[A-Za-z0-9_.-]+:`]: {} },
        additionalProperties: false,
      },
    },
    required: ["config"],
    additionalProperties: false,
  };
}

function typeOf(s: JsonSchema): string {
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(" \\| ");
  if (s.anyOf) return s.anyOf.map(typeOf).join(" \\| ");
  if (s.type === "array") return `${s.items ? typeOf(s.items) : "any"}[]`;
  if (Array.isArray(s.type)) return s.type.join(" \\| ");
  return s.type ?? "any";
}

function fmt(v: unknown): string {
  return `\`${JSON.stringify(v)}\``;
}

function rows(schema: JsonSchema, path: string, required: boolean, out: string[]): void {
  if (schema.type === "object" && schema.properties) {
    const req = new Set(schema.required ?? []);
    for (const [k, v] of Object.entries(schema.properties))
      rows(v, path ? `${path}.${k}` : k, required && req.has(k), out);
    return;
  }
  const byEnv = schema["x-default-by-environment"] as { staging: unknown; prod: unknown } | undefined;
  const dflt =
    schema.default !== undefined
      ? fmt(schema.default)
      : byEnv
        ? `staging ${fmt(byEnv.staging)}, prod ${fmt(byEnv.prod)}`
        : required
          ? "**required**"
          : "optional";
  const top = path.split(".")[0];
  const secret = (SECRET_KEYS as readonly string[]).includes(top) ? " **Secret** (`--secret`)." : "";
  const desc = `${(schema.description ?? "").replace(/\|/g, "\\|")}${secret}`;
  out.push(`| \`${NAMESPACE}:${path}\` | ${typeOf(schema)} | ${dflt} | ${desc} |`);
}

/** The Markdown configuration reference. */
export function configurationDoc(): string {
  const { values, required: req } = configValueSchemas();
  const required = new Set(req);
  const out = [
    "# Configuration reference",
    "",
    "Generated from `config/schema.ts` and `config/defaults.ts` by `npm run gen`; do not edit by hand.",
    "A test fails when this file is stale.",
    "",
    "Set a value with `pulumi config set --path '<key>' <value> --stack <stack>` (the key column is the",
    "`--path` form), a secret with `pulumi config set --secret <key> <value>`. Stack files can be validated",
    "in the editor with `schemas/stack-config.schema.json` (the first line of each `Pulumi.<stack>.yaml`).",
    "Defaults shown per environment come from `config/defaults.ts`; prod readiness rules (multi-AZ,",
    "retention >= 14 days, cross-region copy, vault lock, deletion protection, >= 2 replicas) reject unsafe values.",
    "",
  ];
  for (const [k, v] of Object.entries(values)) {
    out.push(`## \`${NAMESPACE}:${k}\``, "");
    if (v.description && v.type === "object") out.push(v.description, "");
    out.push("| Key | Type | Default | Description |", "|---|---|---|---|");
    rows(v, k, required.has(k), out);
    out.push("");
  }
  return out.join("\n");
}

export function renderArtifacts(): Record<string, string> {
  return {
    [SCHEMA_FILE]: `${JSON.stringify(stackFileJsonSchema(), null, 2)}\n`,
    [DOCS_FILE]: configurationDoc(),
  };
}
