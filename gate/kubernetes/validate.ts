/**
 * Validates one Kubernetes object (as the plan sends it to the provider) against an OpenAPI schema the
 * way the API server does with `fieldValidation=Strict` (what `kubectl apply` uses by default):
 * unknown fields, wrong types, missing required fields, unsupported enum values, numeric and length
 * bounds and patterns. Built-in kinds use the OpenAPI v2 definitions of the target minor version, custom
 * resources the structural `openAPIV3Schema` of their CRD.
 *
 * What the API server does that this does not: CEL rules (`x-kubernetes-validations`) and the Go
 * validation of built-in kinds beyond enums (gate/kubernetes/enums.ts); both are reported as not
 * evaluated in docs/gate.md, never passed silently as "checked".
 * Sources: k8s.io/apiextensions-apiserver pkg/apiserver/schema (structural schemas, pruning, unknown
 * fields), k8s.io/apimachinery pkg/util/validation/field errors.go (the message shapes used below).
 */
import { SECRET_PLACEHOLDER } from "../capture";
import { builtinEnum } from "./enums";

/** The subset of OpenAPI v2/v3 schema keywords that Kubernetes schemas use. */
export interface SchemaNode {
  $ref?: string;
  type?: string;
  format?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  required?: string[];
  enum?: unknown[];
  anyOf?: SchemaNode[];
  allOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-embedded-resource"?: boolean;
}

export interface FieldError {
  /** Field path as the API server prints it: `spec.template.spec.containers[0].name`. */
  path: string;
  message: string;
}

export interface Resolver {
  /** The definition a `$ref` points to, and its name (enum look-ups are by definition name). */
  resolve(ref: string): { name: string; node: SchemaNode };
}

interface Walk {
  resolver: Resolver;
  errors: FieldError[];
}

const QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity";

function typeOf(v: unknown): string {
  if (Array.isArray(v)) return "array";
  if (v === null) return "null";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function typeMatches(node: SchemaNode, v: unknown, defName: string | undefined): boolean {
  const t = typeOf(v);
  const intOrString = node["x-kubernetes-int-or-string"] || node.format === "int-or-string";
  // A Quantity is a string in the schema; the API server also decodes a JSON number (resource.Quantity.UnmarshalJSON).
  if (defName === QUANTITY) return t === "string" || t === "integer" || t === "number";
  if (intOrString) return t === "string" || t === "integer";
  if (!node.type) return true;
  if (node.type === "number") return t === "number" || t === "integer";
  return node.type === t;
}

const quote = (v: unknown) => JSON.stringify(v);

function checkScalar(node: SchemaNode, v: unknown, path: string, w: Walk, defName?: string, prop?: string): void {
  const supported = node.enum ?? (defName && prop ? builtinEnum(defName, prop) : undefined);
  if (supported && !supported.includes(v))
    w.errors.push({
      path,
      message: `Unsupported value: ${quote(v)}: supported values: ${supported.map(quote).join(", ")}`,
    });
  if (typeof v === "number") {
    if (node.minimum !== undefined && v < node.minimum)
      w.errors.push({ path, message: `Invalid value: ${v}: should be greater than or equal to ${node.minimum}` });
    if (node.maximum !== undefined && v > node.maximum)
      w.errors.push({ path, message: `Invalid value: ${v}: should be less than or equal to ${node.maximum}` });
  }
  if (typeof v === "string") {
    if (node.maxLength !== undefined && v.length > node.maxLength)
      w.errors.push({ path, message: `Too long: may not be more than ${node.maxLength} bytes` });
    if (node.minLength !== undefined && v.length < node.minLength)
      w.errors.push({ path, message: `Invalid value: ${quote(v)}: should be at least ${node.minLength} chars long` });
    if (node.pattern && !new RegExp(node.pattern, "u").test(v))
      w.errors.push({ path, message: `Invalid value: ${quote(v)}: should match '${node.pattern}'` });
  }
}

function checkObject(node: SchemaNode, v: Record<string, unknown>, path: string, w: Walk, defName?: string): void {
  const props = node.properties ?? {};
  for (const key of node.required ?? [])
    if (v[key] === undefined || v[key] === null) w.errors.push({ path: join(path, key), message: "Required value" });
  for (const [key, child] of Object.entries(v)) {
    const p = join(path, key);
    if (props[key]) walkNode(props[key], child, p, w, defName, key);
    else if (typeof node.additionalProperties === "object") walkNode(node.additionalProperties, child, p, w);
    else if (node.additionalProperties === true || node["x-kubernetes-preserve-unknown-fields"]) continue;
    else if (node.properties || node.additionalProperties === false)
      w.errors.push({ path: p, message: `unknown field ${quote(p)}` });
  }
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** Walks `v` against `node`; `defName`/`prop` name the definition property being walked (built-in enums). */
function walkNode(node: SchemaNode, v: unknown, path: string, w: Walk, defName?: string, prop?: string): void {
  // A secret reaches the plan as a placeholder, and null is "unset" to the provider: neither is a value to judge.
  if (v === SECRET_PLACEHOLDER || v === null || v === undefined) return;
  if (node.$ref) {
    const { name, node: target } = w.resolver.resolve(node.$ref);
    if (target.properties) walkNode(target, v, path, w, name);
    else if (!typeMatches(target, v, name)) w.errors.push(typeError(path, target, v, name));
    else checkScalar(target, v, path, w, defName, prop);
    return;
  }
  if (node.allOf) for (const sub of node.allOf) walkNode(sub, v, path, w, defName, prop);
  if (node.anyOf && !node["x-kubernetes-int-or-string"] && !node.anyOf.some((s) => typeMatches(s, v, undefined)))
    w.errors.push(typeError(path, node.anyOf[0], v));
  if (!typeMatches(node, v, undefined)) w.errors.push(typeError(path, node, v));
  else if (Array.isArray(v)) checkArray(node, v, path, w, defName, prop);
  else if (typeOf(v) !== "object") checkScalar(node, v, path, w, defName, prop);
  else if (!node["x-kubernetes-embedded-resource"] || node.properties)
    checkObject(node, v as Record<string, unknown>, path, w, defName);
}

function checkArray(node: SchemaNode, v: unknown[], path: string, w: Walk, defName?: string, prop?: string): void {
  if (node.maxItems !== undefined && v.length > node.maxItems)
    w.errors.push({ path, message: `Too many: ${v.length}: must have at most ${node.maxItems} items` });
  if (node.minItems !== undefined && v.length < node.minItems)
    w.errors.push({ path, message: `Invalid value: ${v.length}: must have at least ${node.minItems} items` });
  if (node.items)
    v.forEach((x, i) => {
      walkNode(node.items as SchemaNode, x, `${path}[${i}]`, w, defName, prop ? `${prop}[]` : undefined);
    });
}

function typeError(path: string, node: SchemaNode, v: unknown, defName?: string): FieldError {
  const expected =
    defName === QUANTITY
      ? "string or number (a quantity)"
      : node["x-kubernetes-int-or-string"] || node.format === "int-or-string"
        ? "integer or string"
        : node.type;
  return { path, message: `Invalid value: ${quote(v)}: must be of type ${expected}, got ${typeOf(v)}` };
}

/** Validates `value` (found at `at`, "" for a whole object) against `root`; errors are in document order. */
export function validateObject(
  root: SchemaNode,
  value: unknown,
  resolver: Resolver,
  o: { rootName?: string; at?: string } = {},
): FieldError[] {
  const w: Walk = { resolver, errors: [] };
  walkNode(root, value, o.at ?? "", w, o.rootName);
  return w.errors;
}
