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
  type StackConfig,
} from "../../gate/analyzer";
import type { CapturedPlan, CapturedResource } from "../../gate/capture";
import { packPoolKey } from "../../gate/evaluator";
import { leasePack, type PackLease, type PooledPack } from "../../gate/pack-pool";
import { loadStackFiles } from "../../gate/stackfiles";
import { ROOT, type StackName } from "./stacks";

export const PACK_DIR = path.join(ROOT, "policy");
/** Times inside the committed stacks' release windows. */
export const INSIDE_WINDOW: Record<StackName, string> = {
  staging: "2026-11-24T10:00:00Z",
  prod: "2026-11-25T10:00:00Z",
};

/** What the specs call on a pack: a process of its own (startPack) or a handle on a pooled one (sharedPack). */
export type PackCalls = Pick<PolicyPackProcess, "configure" | "analyze" | "analyzeStack" | "analyzeAll" | "close">;

export interface Pack {
  process: PackCalls;
  info: PackInfo;
  config: PolicyConfig;
}

/** The committed stack's policy config file resolved against the pack, with the release window's time. */
export function committedPolicyConfig(stack: StackName, info: PackInfo, at: string): PolicyConfig {
  const file = JSON.parse(readFileSync(path.join(PACK_DIR, "config", `${stack}.json`), "utf8"));
  return resolvePolicyConfig(info, file, { "release-window": { at } });
}

/** A pack process of its own, started with this stack config (what a fresh `pulumi up` starts). */
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
  const config = committedPolicyConfig(stack, info, at);
  await process.configure(config);
  return { process, info, config };
}

/**
 * A handle on the process-wide pooled pack process (gate/pack-pool.ts) that the evaluators of this mocha
 * process use too. Its calls hold the process exclusively while any of them is in flight (its own calls
 * run concurrently, as they would on a process of its own), and it configures the process again, with its
 * last policy config and the committed stack config, whenever another holder configured it in between.
 */
class SharedPackProcess implements PackCalls {
  private slot?: Promise<PooledPack>;
  private endSlot?: () => void;
  private active = 0;
  private configuring: Promise<void> = Promise.resolve();
  private lease: PackLease;
  private closed = false;

  /** The last policy config sent with success (none before the first configure). */
  private config?: PolicyConfig;

  constructor(
    private readonly relet: () => PackLease,
    private stack: StackConfig,
  ) {
    this.lease = this.watch(relet());
  }

  /** The pooled process this handle uses now. */
  get pack(): Promise<PooledPack> {
    return this.lease.pack;
  }

  /** A pack process that ended (killed, crashed) is replaced by a fresh lease before the next call. */
  private watch(lease: PackLease): PackLease {
    lease.pack.then(
      (p) =>
        p.process.onExit(() => {
          if (this.lease !== lease || this.closed) return;
          lease.release();
          this.lease = this.watch(this.relet());
        }),
      () => undefined,
    );
    return lease;
  }

  /**
   * Like a process of its own: a configure that fails leaves the last good config in effect, and only this
   * call rejects. (A switching pack may have taken the new stack config before @pulumi/policy refused the
   * policy config: `configuredBy` stays cleared, so the next call sends the last good pair again.)
   */
  async configure(config: PolicyConfig, stack?: StackConfig): Promise<void> {
    await this.run(async (pack) => {
      pack.configuredBy = undefined;
      await pack.process.configure(config, stack ?? this.stack);
      this.config = config;
      if (stack) this.stack = stack;
      pack.configuredBy = this;
    });
  }

  analyze(r: CapturedResource): Promise<Analysis> {
    return this.run((p) => p.process.analyze(r));
  }

  analyzeStack(resources: CapturedResource[]): Promise<Analysis> {
    return this.run((p) => p.process.analyzeStack(resources));
  }

  analyzeAll(resources: CapturedResource[]): Promise<Analysis> {
    return this.run((p) => p.process.analyzeAll(resources));
  }

  close(): void {
    this.closed = true;
    this.lease.release();
  }

  private async run<T>(f: (p: PooledPack) => Promise<T>): Promise<T> {
    this.slot ??= new Promise<PooledPack>((granted, refused) => {
      this.lease
        .exclusive(
          (pack) =>
            new Promise<void>((done) => {
              this.endSlot = done;
              granted(pack);
            }),
        )
        .catch(refused);
    });
    const slot = this.slot;
    this.active++;
    try {
      const pack = await slot;
      await this.configured(pack);
      return await f(pack);
    } finally {
      if (--this.active === 0) {
        this.slot = undefined;
        this.endSlot?.();
      }
    }
  }

  /** Sends this handle's config when another holder (or nobody yet) configured the process last. */
  private configured(pack: PooledPack): Promise<void> {
    if (this.config && pack.configuredBy !== this) {
      pack.configuredBy = this;
      const sent = pack.process.configure(this.config, this.stack);
      this.configuring = sent;
      sent.catch(() => {
        if (pack.configuredBy === this) pack.configuredBy = undefined;
      });
    }
    return this.configuring;
  }
}

const shared = new Map<StackName, Promise<Pack>>();
const sharedHandles: SharedPackProcess[] = [];

async function openShared(stack: StackName): Promise<Pack> {
  const files = loadStackFiles(ROOT, stack, {});
  const start = () =>
    PolicyPackProcess.start({
      packDir: PACK_DIR,
      project: files.project,
      stack,
      config: files.config,
      secretKeys: files.secretKeys,
    });
  const key = packPoolKey(PACK_DIR, files).key;
  const process = new SharedPackProcess(() => leasePack(key, start), {
    config: files.config,
    secretKeys: files.secretKeys,
    stack,
  });
  sharedHandles.push(process);
  const { info } = await process.pack;
  const config = committedPolicyConfig(stack, info, INSIDE_WINDOW[stack]);
  await process.configure(config);
  return { process, info, config };
}

/**
 * The committed stack's pack, shared by every spec and by the evaluators of this mocha process (one pooled
 * process for both stacks: a pack start costs ~0.45 s of CPU and a cold first analysis; each handle sends
 * its stack config and stack name again whenever another holder configured the process); closed by the
 * root hook (test/support/hooks.ts). A spec that reconfigures it restores `pack.config` before it returns;
 * one that needs a process of its own, or other stack config, starts one with startPack.
 */
export function sharedPack(stack: StackName): Promise<Pack> {
  let p = shared.get(stack);
  if (!p) {
    p = openShared(stack);
    shared.set(stack, p);
  }
  return p;
}

/** The process id of the pooled process the committed stack's shared pack uses now. */
export async function sharedPackPid(stack: StackName): Promise<number | undefined> {
  const handle = (await sharedPack(stack)).process as SharedPackProcess;
  return (await handle.pack).process.pid;
}

export async function closeSharedPacks(): Promise<void> {
  await Promise.allSettled(shared.values());
  shared.clear();
  for (const handle of sharedHandles.splice(0)) handle.close();
}

// biome-ignore lint/suspicious/noExplicitAny: fixtures edit arbitrary resource properties
export type Props = Record<string, any>;

/**
 * A copy of a plan where `edit` is applied to the inputs and outputs of the named resource. Only that
 * resource is copied (deeply); the others are the plan's own objects, which no fixture edits: a deep copy
 * of the whole plan per fixture, and comparing every resource's JSON in `evaluate`, were ~1.6 s of
 * `npm test`'s CPU.
 */
export function mutate(
  plan: CapturedPlan,
  type: string,
  name: string,
  edit: (props: Props, r: CapturedResource) => void,
): CapturedPlan {
  const target = plan.resources.find((x) => x.type === type && x.name === name);
  if (!target) throw new Error(`fixture: no ${type} ${name}`);
  const r = structuredClone(target);
  edit(r.inputs as Props, r);
  if (r.outputs) edit(r.outputs as Props, r);
  return { ...plan, resources: plan.resources.map((x) => (x === target ? r : x)) };
}

/** A copy of a plan without the resources matching `drop` (a resource whose dependencies change is copied). */
export function without(plan: CapturedPlan, drop: (r: CapturedResource) => boolean): CapturedPlan {
  const gone = new Set(plan.resources.filter(drop).map((r) => r.urn));
  const resources = plan.resources
    .filter((r) => !gone.has(r.urn))
    .map((r) =>
      r.dependencies.some((u) => gone.has(u))
        ? { ...structuredClone(r), dependencies: r.dependencies.filter((u) => !gone.has(u)) }
        : r,
    );
  return { ...plan, resources };
}

/** analyze for the resources that differ from `base` (all when no base) plus analyzeStack, like an update would. */
export async function evaluate(pack: Pack, plan: CapturedPlan, base?: CapturedPlan): Promise<Analysis> {
  const before = new Map((base?.resources ?? []).map((r) => [r.urn, r]));
  const changed = plan.resources.filter((r) => {
    const b = before.get(r.urn);
    return b === undefined || (b !== r && JSON.stringify(b) !== JSON.stringify(r));
  });
  const parts = await Promise.all(changed.map((r) => pack.process.analyze(r)));
  parts.push(await pack.process.analyzeStack(plan.resources));
  return { diagnostics: parts.flatMap((p) => p.diagnostics), notApplicable: parts.flatMap((p) => p.notApplicable) };
}
