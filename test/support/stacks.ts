/**
 * Test helpers over the real stack files and the real program. Plans are cached per (stack, overrides)
 * so the suite captures each distinct configuration once.
 */
import * as path from "node:path";
import { withDefaults } from "../../config/defaults";
import { parseConfig, rawFromFlatConfig } from "../../config/load";
import type { AppConfig } from "../../config/schema";
import type { CapturedPlan, CapturedResource } from "../../gate/capture";
import { planStack } from "../../gate/plan";
import { loadStackFiles } from "../../gate/stackfiles";

export const ROOT = path.join(__dirname, "..", "..");
export const STACKS = ["staging", "prod"] as const;
export type StackName = (typeof STACKS)[number];

/** Raw (pre-defaults) config of a committed stack, as the program would receive it. */
export function rawConfig(stack: StackName): Record<string, unknown> {
  return rawFromFlatConfig(loadStackFiles(ROOT, stack).config);
}

/** Raw config with defaults applied, a deep copy tests can mutate. */
export function resolvedRaw(stack: StackName): Record<string, unknown> {
  return structuredClone(withDefaults(rawConfig(stack)));
}

export function validConfig(stack: StackName): AppConfig {
  const r = parseConfig(rawConfig(stack), stack);
  if (!r.ok) throw new Error(`committed stack ${stack} is invalid: ${JSON.stringify(r.problems)}`);
  return r.config;
}

const cache = new Map<string, Promise<CapturedPlan>>();

/** Captured plan of a committed stack with optional config overrides (merged deeply). */
export function plan(stack: StackName, overrides: Record<string, unknown> = {}): Promise<CapturedPlan> {
  const key = `${stack}:${JSON.stringify(overrides)}`;
  let p = cache.get(key);
  if (!p) {
    // Captures share the Pulumi runtime: chain them so they run one after another.
    const previous = [...cache.values()].at(-1) ?? Promise.resolve();
    p = previous
      .catch(() => undefined)
      .then(async () => {
        const r = await planStack({ dir: ROOT, stack, overrides });
        if (!r.ok) throw new Error(`config problems: ${JSON.stringify(r.problems)}`);
        // Shared by every spec of the process, and fixtures copy only what they edit (./policy.ts `mutate`):
        // captured plans are frozen (gate/freeze.ts), so an edit in place throws instead of changing the plan
        // under the next spec.
        return r.plan;
      });
    cache.set(key, p);
  }
  return p;
}

export function ofType(p: CapturedPlan, type: string): CapturedResource[] {
  return p.resources.filter((r) => r.type === type);
}

export function one(p: CapturedPlan, type: string, name: string): CapturedResource {
  const r = p.resources.find((x) => x.type === type && x.name === name);
  if (!r)
    throw new Error(
      `no ${type} named ${name}; have: ${
        ofType(p, type)
          .map((x) => x.name)
          .join(", ") || "none of that type"
      }`,
    );
  return r;
}

export function byUrn(p: CapturedPlan, urn: string): CapturedResource {
  const r = p.resources.find((x) => x.urn === urn);
  if (!r) throw new Error(`no resource ${urn}`);
  return r;
}

/** True when `from` depends on `to`, directly or through other resources. */
export function dependsTransitively(p: CapturedPlan, from: CapturedResource, to: CapturedResource): boolean {
  const seen = new Set<string>();
  const stack = [...from.dependencies];
  while (stack.length) {
    const urn = stack.pop()!;
    if (urn === to.urn) return true;
    if (seen.has(urn)) continue;
    seen.add(urn);
    const r = p.resources.find((x) => x.urn === urn);
    if (r) stack.push(...r.dependencies);
  }
  return false;
}
