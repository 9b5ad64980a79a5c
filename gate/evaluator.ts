/**
 * The two halves of an evaluation — the real program under mocks and the real policy pack over the
 * analyzer protocol — kept warm for many configs: the gate runs it once, the rollout driver once per stage,
 * the rehearsal twin once per `up`.
 *
 * - Plans are a pure function of (stack, config): the program is deterministic under mocks, so a plan is
 *   captured once per distinct config (captures run one after another: the Pulumi runtime is global).
 * - Pack processes are pooled per project: this project's pack takes the stack config (and stack name)
 *   of each session with `configure` (tools/pack-stack-config.js) and judges as a fresh process started
 *   with it would (test/policy/pack-stack-config.test.ts), so staging and prod share one process.
 *   Another pack gets a process per config minus the release keys: the pack never reads those
 *   (policy/lib/stack-config.ts), so a process judges every stage of a release as a fresh one would
 *   (test/policy/pack-release-keys.test.ts). The engine starts a pack per `pulumi up`; the verdicts are the
 *   same.
 * - `configure` is global state in a pack process, so a session holds the process exclusively from its
 *   `configure` to its last call.
 * - Resource-policy verdicts are memoized per (request, resource-policy config, stack config the pack
 *   reads): they cannot depend on stack-policy properties such as `release-window.at`.
 */
import { createHash } from "node:crypto";
import * as path from "node:path";
import { rawFromFlatConfig } from "../config/load";
import { withoutReleaseKeys } from "../config/release-keys";
import type { Analysis, Diagnostic, PackInfo, PolicyConfig } from "./analyzer";
import { PolicyPackProcess } from "./analyzer";
import type { CapturedResource } from "./capture";
import { leasePack, type PackLease, type PooledPack } from "./pack-pool";
import { type PlanResult, type Program, planStack } from "./plan";
import { isProjectPack } from "./runtime";
import type { StackFiles } from "./stackfiles";
import { analyzeRequestBytes, analyzeStackRequestBytes } from "./wire";

export interface PackSession {
  readonly info: PackInfo;
  /** `analyze` for each resource (what the engine calls before each resource's step). */
  analyze(resources: CapturedResource[]): Promise<Analysis>;
  /** `analyzeStack` on the resources after the update (what the engine calls once all steps are done). */
  analyzeStack(resources: CapturedResource[]): Promise<Analysis>;
  /** Both: every `analyze`, then `analyzeStack` (its request reuses their encodings), merged. */
  analyzeAll(resources: CapturedResource[]): Promise<Analysis>;
}

/**
 * Resources encoded and sent per event-loop turn. Encoding a request is the gate's work and judging it the
 * pack's: sending in chunks lets the pack judge the first ones while the gate encodes the rest. Sent all
 * in one synchronous loop, the pack idled until the last one was encoded (~0.2 s of the prod gate,
 * docs/gate.md "Profile").
 */
export const SEND_CHUNK = 8;

/** Calls `f` for each resource, yielding to the event loop (so gRPC writes) after every SEND_CHUNK. */
export async function sendEach<T>(
  resources: CapturedResource[],
  f: (r: CapturedResource) => Promise<T>,
): Promise<Promise<T>[]> {
  const sent: Promise<T>[] = [];
  for (const [i, r] of resources.entries()) {
    const p = f(r);
    // Awaited by the caller; until then a rejection must not count as unhandled.
    p.catch(() => undefined);
    sent.push(p);
    if ((i + 1) % SEND_CHUNK === 0 && i + 1 < resources.length) await new Promise((done) => setImmediate(done));
  }
  return sent;
}

function merged(parts: Analysis[]): Analysis {
  return { diagnostics: parts.flatMap((p) => p.diagnostics), notApplicable: parts.flatMap((p) => p.notApplicable) };
}

/** A lease on a pooled pack process, and the stack config a session on it judges with. */
interface Pooled {
  lease: PackLease;
  pack: PooledPack;
  /** Hash of what the pack reads of the stack config: part of every verdict key. */
  configKey: string;
}

const hash = (v: unknown) => createHash("sha1").update(JSON.stringify(v)).digest("hex");
const digest = (bytes: Buffer) => createHash("sha1").update(bytes).digest("base64");

export interface EvaluatorOptions {
  /** Project directory (Pulumi.yaml, the program). */
  dir: string;
  /** Policy pack directory. @default <dir>/policy */
  packDir?: string;
  /** The program. @default the project's index module */
  program?: Program;
  /** Names of the pack's stack policies (their config never affects resource verdicts). @default none: nothing is memoized */
  stackPolicies?: string[];
}

export class Evaluator {
  private readonly plans = new Map<string, Promise<PlanResult>>();
  private captureChain: Promise<unknown> = Promise.resolve();
  /** Leases on the process-wide pack pool (gate/pack-pool.ts), by pool key. */
  private readonly leases = new Map<string, PackLease>();
  private readonly verdicts = new Map<string, Analysis>();
  private readonly resourceHashes = new WeakMap<CapturedResource, string>();
  private closed = false;
  /** Counters for reports and the benchmark. */
  readonly stats = {
    /** Plans asked of planStack: a capture, or its process-wide memo's answer (gate/plan.ts). */
    captures: 0,
    planHits: 0,
    /** Pack processes this evaluator started (the pool may already hold one it can use). */
    packStarts: 0,
    /** Pooled pack processes this evaluator used (one per project for this project's pack). */
    packLeases: 0,
    /** `configure` calls sent (a session whose config the process already has sends none). */
    configures: 0,
    analyzeCalls: 0,
    analyzeHits: 0,
    stackCalls: 0,
    stackHits: 0,
  };

  constructor(private readonly o: EvaluatorOptions) {}

  /** The pack's stack policies, when known (their config never affects resource verdicts). */
  get stackPolicies(): readonly string[] | undefined {
    return this.o.stackPolicies;
  }

  get packDir(): string {
    return this.o.packDir ?? path.join(this.o.dir, "policy");
  }

  /** The plan of the stack files (captured once per distinct config). */
  plan(files: StackFiles, stackFile?: string, preview = false): Promise<PlanResult> {
    const key = hash([files.stack, files.config, files.secretKeys, stackFile ?? "", preview]);
    const hit = this.plans.get(key);
    if (hit) {
      this.stats.planHits++;
      return hit;
    }
    const run = this.captureChain.then(() => {
      this.stats.captures++;
      return planStack({ dir: this.o.dir, stack: files.stack, files, program: this.o.program, preview });
    });
    this.captureChain = run.catch(() => undefined);
    this.plans.set(key, run);
    run.catch(() => this.plans.delete(key));
    return run;
  }

  /** Starts (or reuses) the pack for these stack files; call early to overlap the pack start with a capture. */
  warm(files: StackFiles): Promise<PackInfo> {
    return this.pooled(files).then((p) => p.pack.info);
  }

  /**
   * The pack process for these stack files, from the process-wide pool (gate/pack-pool.ts: evaluators of
   * one process share it). This project's pack switches its stack config per session
   * (tools/pack-stack-config.js), so one process serves every config of a project, any stack; another
   * pack gets a process per config it reads (everything but the release keys, which it never reads).
   */
  private async pooled(files: StackFiles): Promise<Pooled> {
    if (this.closed) throw new Error("evaluator closed");
    const { key, configKey } = packPoolKey(this.packDir, files);
    let lease = this.leases.get(key);
    if (!lease) {
      lease = leasePack(key, () => {
        this.stats.packStarts++;
        return PolicyPackProcess.start({
          packDir: this.packDir,
          project: files.project,
          stack: files.stack,
          config: files.config,
          secretKeys: files.secretKeys,
        });
      });
      this.leases.set(key, lease);
      this.stats.packLeases++;
      const mine = lease;
      // A process that failed to start or ended (killed, crashed) is not asked again: the next session
      // leases a fresh one.
      const forget = () => {
        if (this.leases.get(key) === mine) this.leases.delete(key);
        mine.release();
      };
      lease.pack.then((p) => p.process.onExit(forget), forget);
    }
    return { lease, pack: await lease.pack, configKey };
  }

  /** Runs `f` with exclusive use of a pack configured with `config` (and these stack files' config). */
  async session<T>(files: StackFiles, config: PolicyConfig, f: (s: PackSession) => Promise<T>): Promise<T> {
    const pooled = await this.pooled(files);
    const stack = pooled.pack.process.acceptsStackConfig
      ? { config: files.config, secretKeys: files.secretKeys, stack: files.stack }
      : undefined;
    return pooled.lease.exclusive(async (pack) => {
      // The process keeps the config of the last `configure`: when that was this evaluator's, with the same
      // config, it is skipped (a rehearsal's up judges its steps and its stack in two sessions of one config).
      const wanted = hash([config, stack ?? null]);
      if (pack.configuredBy !== this || pack.configuredWith !== wanted) {
        pack.configuredBy = this;
        pack.configuredWith = undefined;
        this.stats.configures++;
        await pack.process.configure(config, stack);
        pack.configuredWith = wanted;
      }
      return f(this.sessionOf(pooled, config));
    });
  }

  private sessionOf({ pack, configKey }: Pooled, config: PolicyConfig): PackSession {
    const stackOnly = new Set(this.o.stackPolicies ?? []);
    const memoizable = this.o.stackPolicies !== undefined;
    // Verdicts depend on the policy config and on the stack config the pack reads (e.g. edge-health-check
    // reads api.healthPaths): both are in every key.
    const resourceConfig = `${configKey}:${hash(Object.entries(config).filter(([name]) => !stackOnly.has(name)))}`;
    const one = (r: CapturedResource) => this.analyzeOne(pack, r, memoizable ? resourceConfig : undefined);
    const stack = (resources: CapturedResource[]) => this.analyzeStack(pack, configKey, config, memoizable, resources);
    return {
      info: pack.info,
      analyze: async (resources) => merged(await Promise.all(await sendEach(resources, one))),
      analyzeStack: stack,
      analyzeAll: async (resources) => {
        const sent = await sendEach(resources, one);
        return merged(await Promise.all([...sent, stack(resources)]));
      },
    };
  }

  /** One resource's verdict: memoized by `memoKey` (the resource-policy config) when given. */
  private async analyzeOne(pack: PooledPack, r: CapturedResource, memoKey: string | undefined): Promise<Analysis> {
    this.stats.analyzeCalls++;
    const key = memoKey === undefined ? undefined : `${memoKey}:${this.resourceHash(r)}`;
    const hit = key === undefined ? undefined : this.verdicts.get(key);
    if (hit) {
      this.stats.analyzeHits++;
      return hit;
    }
    const a = await pack.process.analyze(r);
    if (key !== undefined) this.verdicts.set(key, a);
    return a;
  }

  private async analyzeStack(
    pack: PooledPack,
    configKey: string,
    config: PolicyConfig,
    memoizable: boolean,
    resources: CapturedResource[],
  ): Promise<Analysis> {
    this.stats.stackCalls++;
    // Stack verdicts are a pure function of (pack config, resources) once the window policy is given its
    // time (policy/policies/release/window.ts reads the clock only without `at`): the same stage of the
    // same rehearsal at the same virtual time asks the same question.
    const timed = config["release-window"]?.properties?.at !== undefined;
    const key =
      memoizable && timed
        ? `stack:${configKey}:${hash(config)}:${digest(analyzeStackRequestBytes(resources))}`
        : undefined;
    const hit = key ? this.verdicts.get(key) : undefined;
    if (hit) {
      this.stats.stackHits++;
      return hit;
    }
    const a = await pack.process.analyzeStack(resources);
    if (key) this.verdicts.set(key, a);
    return a;
  }

  /**
   * A resource's verdict key: the digest of the request the pack gets for it (gate/wire.ts encodes it once
   * per object and content), so equal keys are equal questions. Plans are cached, so the same resource
   * object comes back for every stage; hashing each resource's JSON here besides its encoding was 2.5 s of
   * a profiled `npm test` (docs/gate.md).
   */
  private resourceHash(r: CapturedResource): string {
    let h = this.resourceHashes.get(r);
    if (h === undefined) {
      h = digest(analyzeRequestBytes(r));
      this.resourceHashes.set(r, h);
    }
    return h;
  }

  close(): void {
    this.closed = true;
    for (const lease of this.leases.values()) lease.release();
    this.leases.clear();
  }
}

/**
 * The pool key of the pack process for these stack files, and the hash of what the pack reads of their
 * stack config. This project's pack switches its stack config (and stack) per session, so its key is
 * (pack, project); another pack's includes the stack and that config.
 */
export function packPoolKey(packDir: string, files: StackFiles): { key: string; configKey: string } {
  // Asked at every session (a rehearsal stage opens several on the same files): kept per StackFiles
  // object, which nothing edits once loaded (gate/stackfiles.ts builds a new one per read).
  const held = poolKeys.get(files);
  if (held?.packDir === packDir) return held.result;
  const result = computePoolKey(packDir, files);
  poolKeys.set(files, { packDir, result });
  return result;
}

const poolKeys = new WeakMap<StackFiles, { packDir: string; result: { key: string; configKey: string } }>();

function computePoolKey(packDir: string, files: StackFiles): { key: string; configKey: string } {
  const human = withoutReleaseKeys(rawFromFlatConfig(files.config));
  const others = Object.fromEntries(Object.entries(files.config).filter(([k]) => !k.startsWith("app:")));
  // The stack too: a session on one process may judge staging, then prod.
  const configKey = hash([files.stack, human, others, files.secretKeys]);
  const switches = isProjectPack(packDir);
  return {
    key: hash([path.resolve(packDir), files.project, switches ? "any stack and config" : [files.stack, configKey]]),
    configKey,
  };
}

/** Diagnostics of an analysis that block an update (mandatory or remediate). */
export function blocking(a: Analysis): Diagnostic[] {
  return a.diagnostics.filter((d) => d.enforcementLevel === "mandatory" || d.enforcementLevel === "remediate");
}
