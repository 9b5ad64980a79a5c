/**
 * Drives the real policy pack over the analyzer gRPC protocol for tests: one pack process per
 * (stack, config) and helpers to mutate captured plans into violating fixtures.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import {
  type Analysis,
  type PackInfo,
  type PolicyConfig,
  PolicyPackProcess,
  resolvePolicyConfig,
} from "../../gate/analyzer";
import type { CapturedPlan, CapturedResource } from "../../gate/capture";
import { loadStackFiles } from "../../gate/stackfiles";
import { ROOT, type StackName } from "./stacks";

export const PACK_DIR = path.join(ROOT, "policy");
/** Times inside the committed stacks' release windows. */
export const INSIDE_WINDOW: Record<StackName, string> = {
  staging: "2026-11-24T10:00:00Z",
  prod: "2026-11-25T10:00:00Z",
};

export interface Pack {
  process: PolicyPackProcess;
  info: PackInfo;
  config: PolicyConfig;
}

export async function startPack(
  stack: StackName,
  overrides: Record<string, unknown> = {},
  at = INSIDE_WINDOW[stack],
): Promise<Pack> {
  const files = loadStackFiles(ROOT, stack, overrides);
  const process = await PolicyPackProcess.start({
    packDir: PACK_DIR,
    project: files.project,
    stack,
    config: files.config,
    secretKeys: files.secretKeys,
  });
  const info = await process.info();
  const file = JSON.parse(readFileSync(path.join(PACK_DIR, "config", `${stack}.json`), "utf8"));
  const config = resolvePolicyConfig(info, file, { "release-window": { at } });
  await process.configure(config);
  return { process, info, config };
}

const shared = new Map<StackName, Promise<Pack>>();

/**
 * The committed stack's pack, started once per mocha process and shared by every spec (a pack start costs
 * ~1 s of CPU); closed by the root hook (test/support/hooks.ts). A spec that reconfigures it restores
 * `pack.config` before it returns; one that needs other stack config starts its own with startPack.
 */
export function sharedPack(stack: StackName): Promise<Pack> {
  let p = shared.get(stack);
  if (!p) {
    p = startPack(stack);
    shared.set(stack, p);
  }
  return p;
}

export async function closeSharedPacks(): Promise<void> {
  const packs = await Promise.allSettled(shared.values());
  shared.clear();
  for (const p of packs) if (p.status === "fulfilled") p.value.process.close();
}

// biome-ignore lint/suspicious/noExplicitAny: fixtures edit arbitrary resource properties
export type Props = Record<string, any>;

/** A deep copy of a plan where `edit` is applied to the inputs and outputs of the named resource. */
export function mutate(
  plan: CapturedPlan,
  type: string,
  name: string,
  edit: (props: Props, r: CapturedResource) => void,
): CapturedPlan {
  const copy = structuredClone(plan);
  const r = copy.resources.find((x) => x.type === type && x.name === name);
  if (!r) throw new Error(`fixture: no ${type} ${name}`);
  edit(r.inputs as Props, r);
  if (r.outputs) edit(r.outputs as Props, r);
  return copy;
}

/** A deep copy of a plan without the resources matching `drop`. */
export function without(plan: CapturedPlan, drop: (r: CapturedResource) => boolean): CapturedPlan {
  const copy = structuredClone(plan);
  const gone = new Set(copy.resources.filter(drop).map((r) => r.urn));
  copy.resources = copy.resources.filter((r) => !gone.has(r.urn));
  for (const r of copy.resources) r.dependencies = r.dependencies.filter((u) => !gone.has(u));
  return copy;
}

/** analyze for the resources that differ from `base` (all when no base) plus analyzeStack, like an update would. */
export async function evaluate(pack: Pack, plan: CapturedPlan, base?: CapturedPlan): Promise<Analysis> {
  const before = new Map((base?.resources ?? []).map((r) => [r.urn, JSON.stringify(r)]));
  const changed = plan.resources.filter((r) => before.get(r.urn) !== JSON.stringify(r));
  const parts = await Promise.all(changed.map((r) => pack.process.analyze(r)));
  parts.push(await pack.process.analyzeStack(plan.resources));
  return { diagnostics: parts.flatMap((p) => p.diagnostics), notApplicable: parts.flatMap((p) => p.notApplicable) };
}
