/**
 * Seeded, reproducible mutations of captured resources (test/policy/mutation.test.ts): a small PRNG
 * (mulberry32, no dependency) and a generator of legal-but-odd property shapes the engine may send a
 * policy: an optional field dropped (top-level or nested), a value unknown during a preview (the engine's
 * unknown sentinel, gate/capture.ts UNKNOWN), an empty array, a value of the wrong type.
 *
 * Mutation `index` of a run is generated from its own seed (the run's seed, the stack, the index), so a
 * failure names everything needed to regenerate it: seed, stack and index.
 */
import { type CapturedResource, UNKNOWN } from "../../gate/capture";

/** Uniform in [0, 1). */
export type Rng = () => number;

/** mulberry32: 32-bit state, the same sequence for the same seed on every platform. */
export function prng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of `parts`: an independent seed per mutation. */
export function subSeed(...parts: (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const ch of parts.join("\u0000")) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[Math.floor(rng() * xs.length)];
}

export type Path = (string | number)[];

export type MutationKind =
  | "drop"
  | "unknown"
  | "null"
  | "empty-array"
  | "empty-object"
  | "to-string"
  | "to-number"
  | "to-boolean"
  | "to-object"
  | "to-array"
  | "extra-field";

/** Which mutations fit a value (its type decides what a "wrong type" is). */
function kindsFor(v: unknown): MutationKind[] {
  const common: MutationKind[] = ["drop", "unknown", "null"];
  if (Array.isArray(v)) return [...common, "empty-array", "to-object", "to-string", "to-boolean"];
  if (v === null) return ["drop", "unknown", "to-string", "to-object", "empty-array"];
  switch (typeof v) {
    case "string":
      return [...common, "to-number", "to-boolean", "to-object", "to-array"];
    case "number":
      return [...common, "to-string", "to-boolean", "to-array"];
    case "boolean":
      return [...common, "to-string", "to-number"];
    default:
      return [...common, "empty-object", "empty-array", "to-string", "to-number"];
  }
}

const NUMBERS = [0, 1, -1, 443, 0.5, 1e12];
const STRINGS = ["", "x", "0", "true", "[object Object]"];

/** The replacement of `v` for `kind` (undefined for drop). */
function replacement(kind: MutationKind, v: unknown, rng: Rng): unknown {
  switch (kind) {
    case "unknown":
      return UNKNOWN;
    case "null":
      return null;
    case "empty-array":
      return [];
    case "empty-object":
      return {};
    case "to-string":
      return typeof v === "number" || typeof v === "boolean" ? String(v) : pick(rng, STRINGS);
    case "to-number": {
      const n = typeof v === "string" && v.trim() !== "" ? Number(v) : Number.NaN;
      return Number.isFinite(n) ? n : pick(rng, NUMBERS);
    }
    case "to-boolean":
      return rng() < 0.5;
    case "to-object":
      return Array.isArray(v) ? { ...v } : { value: v };
    case "to-array":
      return [v];
    case "extra-field":
      return pick(rng, [UNKNOWN, null, [], {}, "x", 0, true]);
    default:
      return undefined;
  }
}

export interface Mutation {
  stack: string;
  seed: number;
  index: number;
  urn: string;
  type: string;
  name: string;
  path: Path;
  kind: MutationKind;
  /** What the value becomes (undefined: dropped). */
  value?: unknown;
}

export function describeMutation(m: Mutation): string {
  const value = m.kind === "drop" ? "" : ` = ${JSON.stringify(m.value)}`;
  return `${m.type} ${m.name}: ${m.path.join(".")} ${m.kind}${value} (${m.stack} mutation #${m.index}, MUTATION_SEED=${m.seed})`;
}

/** Every path of a JSON value (objects and arrays, nested), parents before children. */
function paths(v: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  if (Array.isArray(v))
    v.forEach((x, i) => {
      out.push([...prefix, i]);
      paths(x, [...prefix, i], out);
    });
  else if (v && typeof v === "object")
    for (const [k, x] of Object.entries(v)) {
      out.push([...prefix, k]);
      paths(x, [...prefix, k], out);
    }
  return out;
}

function valueAt(v: unknown, path: Path): unknown {
  let cur = v;
  for (const k of path) cur = cur && typeof cur === "object" ? (cur as Record<string | number, unknown>)[k] : undefined;
  return cur;
}

/** The paths of a resource's inputs and outputs (the analyze and the analyzeStack view), each once. */
function resourcePaths(r: CapturedResource): Path[] {
  const seen = new Map<string, Path>();
  for (const p of [...paths(r.inputs), ...paths(r.outputs ?? {})]) seen.set(JSON.stringify(p), p);
  return [...seen.values()];
}

/**
 * Mutation `index` of `resource`: a top-level field one time in three, a nested object or array (where a
 * missing optional block makes a careless read throw) one time in three, else any path; a kind that fits the
 * value there. A resource without properties (components, the stack) gets an unexpected extra field.
 */
export function mutationOf(
  resource: CapturedResource,
  where: { stack: string; seed: number; index: number },
  rng: Rng,
): Mutation {
  const base = { ...where, urn: resource.urn, type: resource.type, name: resource.name };
  const all = resourcePaths(resource);
  if (all.length === 0)
    return { ...base, path: ["unexpected"], kind: "extra-field", value: replacement("extra-field", 0, rng) };
  const at = (p: Path) => valueAt(resource.inputs, p) ?? valueAt(resource.outputs, p);
  const top = all.filter((p) => p.length === 1);
  const nested = all.filter((p) => p.length > 1 && typeof at(p) === "object" && at(p) !== null);
  const r = rng();
  const path = pick(rng, r < 1 / 3 ? top : r < 2 / 3 && nested.length > 0 ? nested : all);
  const original = at(path);
  const kind = pick(rng, kindsFor(original));
  return { ...base, path, kind, value: replacement(kind, original, rng) };
}

/** Applies `m` to `props` in place where its parent exists (a path of the outputs only leaves the inputs alone). */
function applyTo(props: Record<string, unknown> | undefined, m: Mutation): void {
  const parent = valueAt(props, m.path.slice(0, -1));
  if (!parent || typeof parent !== "object") return;
  const key = m.path[m.path.length - 1];
  const container = parent as Record<string | number, unknown>;
  if (m.kind === "drop") {
    if (Array.isArray(parent) && typeof key === "number") parent.splice(key, 1);
    else delete container[key];
  } else if (m.kind === "extra-field" || key in container) container[key] = structuredClone(m.value);
}

/** A copy of `r` with every mutation of `ms` applied (in order) to its inputs and outputs. */
export function mutated(r: CapturedResource, ms: Mutation[]): CapturedResource {
  const copy = structuredClone(r);
  for (const m of ms) {
    applyTo(copy.inputs, m);
    applyTo(copy.outputs, m);
  }
  return copy;
}

/**
 * `count` mutations of a plan's resources: the first one per resource type (sorted), so every type is
 * covered, then a type with properties at random and a resource of it at random (types weigh alike, however
 * many resources; components and the stack, which have none, only get the first one).
 */
export function generateMutations(
  resources: CapturedResource[],
  stack: string,
  seed: number,
  count: number,
): Mutation[] {
  const byType = new Map<string, CapturedResource[]>();
  for (const r of resources) byType.set(r.type, [...(byType.get(r.type) ?? []), r]);
  const types = [...byType.keys()].sort();
  const withProps = types.filter((t) => byType.get(t)!.some((r) => resourcePaths(r).length > 0));
  return Array.from({ length: Math.max(count, types.length) }, (_, index) => {
    const rng = prng(subSeed(seed, stack, index));
    const type = index < types.length ? types[index] : pick(rng, withProps.length > 0 ? withProps : types);
    return mutationOf(pick(rng, byType.get(type)!), { stack, seed, index }, rng);
  });
}
