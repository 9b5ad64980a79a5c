/**
 * Staging/prod parity (runbook 004 "staging matches production configuration"): captures both stacks'
 * plans, normalizes what must differ by construction (the stack name, account ids, VPC/subnet/security
 * group ids, certificate UUIDs) and reports every remaining difference that `parity.json` does not allow.
 * The allowed list is the documented set of intended differences (sizing, prod-only protection, endpoints).
 */
// @readiness staging-parity: `gate --parity staging prod`: differences beyond parity.json

import { readFileSync } from "node:fs";
import * as path from "node:path";
import { TAG } from "@app-rollout/shared";
import type { ConfigProblem } from "../config/load";
import type { CapturedPlan, CapturedResource } from "./capture";
import { diffValues } from "./diff";
import { type Program, planStack } from "./plan";
import { StackFileError } from "./stackfiles";

export interface ParityRule {
  /** Resource type, `*` for any. */
  type: string;
  /** Logical name glob (`*` matches anything). */
  name: string;
  /** Input path glob; omitted = the resource may exist in one stack only. */
  path?: string;
  /** Why this difference is intended (shown in docs and reports). */
  reason: string;
}

export interface ParityDifference {
  kind: "only-in" | "input";
  type: string;
  name: string;
  /** For only-in: the stack that has it; for input: the differing path. */
  detail: string;
  values?: [unknown, unknown];
  allowedBy?: string;
}

export type ParityResult =
  | { ok: true; stacks: [string, string]; differences: ParityDifference[]; unexpected: ParityDifference[] }
  | { ok: false; stack: string; problems: ConfigProblem[] };

export function loadParityRules(dir: string): ParityRule[] {
  const file = path.join(dir, "parity.json");
  try {
    const rules = (JSON.parse(readFileSync(file, "utf8")) as { allowed: ParityRule[] }).allowed;
    if (!Array.isArray(rules)) throw new Error("'allowed' must be an array");
    return rules;
  } catch (e) {
    throw new StackFileError(`${file}: ${(e as Error).message}`);
  }
}

function glob(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);
}

function normalizer(stacks: string[]): (v: unknown) => unknown {
  const stackRe = new RegExp(
    `(?<![A-Za-z0-9])(${stacks.map((s) => s.replace(/[^A-Za-z0-9]/g, "")).join("|")})(?![A-Za-z0-9])`,
    "gi",
  );
  const norm = (v: unknown): unknown => {
    if (typeof v === "string")
      return v
        .replace(stackRe, "<stack>")
        .replace(/\b\d{12}\b/g, "<account>")
        .replace(/\b(vpc|subnet|sg)-[0-9a-f]{8,17}\b/g, "$1-<id>")
        .replace(/\/id\/[A-Za-z0-9]+/g, "/id/<oidc-id>")
        .replace(/\.c[0-9a-f]{10}\./g, ".c<rds-id>.")
        .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, "<uuid>");
    if (Array.isArray(v)) return v.map(norm);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)]));
    return v;
  };
  return norm;
}

function get(obj: unknown, p: string): unknown {
  return p
    .split(/\.|\[(\d+)\]/)
    .filter(Boolean)
    .reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), obj);
}

/**
 * The release id of a plan (the migration Job's `rollout/release-id` label): resources named after the
 * release under way (`release-snapshot-<id>`, `migration-<id>`) are the same resource in both stacks.
 */
function releaseIdOf(p: CapturedPlan): string | undefined {
  for (const r of p.resources) {
    const id = (r.inputs as { metadata?: { labels?: Record<string, string> } }).metadata?.labels?.[TAG.releaseId];
    if (r.type === "kubernetes:batch/v1:Job" && id) return id;
  }
  return undefined;
}

export function comparePlans(a: CapturedPlan, b: CapturedPlan, rules: ParityRule[]): ParityDifference[] {
  const norm = normalizer([a.stack, b.stack]);
  const ids = new Map([a, b].map((p) => [p, releaseIdOf(p)]));
  const nameIn = (p: CapturedPlan, r: CapturedResource) => {
    const id = ids.get(p);
    return id && r.name.endsWith(`-${id}`) ? `${r.name.slice(0, -id.length)}<release-id>` : r.name;
  };
  const key = (r: CapturedResource) => `${r.type}::${r.name}`;
  const mb = new Map(b.resources.map((r) => [key({ ...r, name: nameIn(b, r) }), r]));
  const ma = new Map(a.resources.map((r) => [key({ ...r, name: nameIn(a, r) }), r]));
  const out: ParityDifference[] = [];
  const allowed = (d: ParityDifference) =>
    rules.find(
      (r) =>
        (r.type === "*" || r.type === d.type) &&
        glob(r.name).test(d.name) &&
        (d.kind === "only-in" ? r.path === undefined : r.path !== undefined && glob(r.path).test(d.detail)),
    );
  const push = (d: ParityDifference) => out.push({ ...d, allowedBy: allowed(d)?.reason });
  for (const r of a.resources)
    if (r.type !== "pulumi:pulumi:Stack" && !mb.has(key({ ...r, name: nameIn(a, r) })))
      push({ kind: "only-in", type: r.type, name: r.name, detail: a.stack });
  for (const r of b.resources)
    if (r.type !== "pulumi:pulumi:Stack" && !ma.has(key({ ...r, name: nameIn(b, r) })))
      push({ kind: "only-in", type: r.type, name: r.name, detail: b.stack });
  for (const ra of a.resources) {
    const rb = mb.get(key({ ...ra, name: nameIn(a, ra) }));
    if (!rb || ra.type === "pulumi:pulumi:Stack") continue;
    const paths: string[] = [];
    const withId = (p: CapturedPlan, v: unknown): unknown => {
      const id = ids.get(p);
      return id ? JSON.parse(JSON.stringify(v).split(id).join("<release-id>")) : v;
    };
    diffValues(norm(withId(a, ra.inputs)), norm(withId(b, rb.inputs)), "", paths);
    if (ra.options.protect !== rb.options.protect) paths.push("options.protect");
    for (const p of paths) {
      const values: [unknown, unknown] =
        p === "options.protect" ? [ra.options.protect, rb.options.protect] : [get(ra.inputs, p), get(rb.inputs, p)];
      push({ kind: "input", type: ra.type, name: nameIn(a, ra), detail: p, values });
    }
  }
  return out;
}

export async function checkParity(o: {
  dir: string;
  stacks: [string, string];
  program?: Program;
}): Promise<ParityResult> {
  const rules = loadParityRules(o.dir);
  const plans: CapturedPlan[] = [];
  for (const stack of o.stacks) {
    const r = await planStack({ dir: o.dir, stack, program: o.program });
    if (!r.ok) return { ok: false, stack, problems: r.problems };
    plans.push(r.plan);
  }
  const differences = comparePlans(plans[0], plans[1], rules);
  return { ok: true, stacks: o.stacks, differences, unexpected: differences.filter((d) => !d.allowedBy) };
}
