/**
 * The two halves of an evaluation — the real program under mocks and the real policy pack over the
 * analyzer protocol — kept warm for many configs: the gate runs it once, the rollout driver once per stage,
 * the rehearsal twin once per `up`.
 *
 * - Plans are a pure function of (stack, config): the program is deterministic under mocks, so a plan is
 *   captured once per distinct config (captures run one after another: the Pulumi runtime is global).
 * - Pack processes are pooled per project and stack: this project's pack takes the stack config of each
 *   session with `configure` (tools/pack-stack-config.js) and judges as a fresh process started with it
 *   would (test/policy/pack-stack-config.test.ts). Another pack gets a process per config minus the
 *   release keys: the pack never reads those (policy/lib/stack-config.ts), so a process judges every
 *   stage of a release as a fresh one would (test/policy/pack-release-keys.test.ts). The engine starts a
 *   pack per `pulumi up`; the verdicts are the same.
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
    captures: 0,
    planHits: 0,
    /** Pack processes this evaluator started (the pool may already hold one it can use). */
    packStarts: 0,
    /** Pooled pack processes this evaluator used (one per project and stack for this project's pack). */
    packLeases: 0,
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
   * (tools/pack-stack-config.js), so one process serves every config of a project and stack; another
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
      ? { config: files.config, secretKeys: files.secretKeys }
      : undefined;
    return pooled.lease.exclusive(async (pack) => {
      const token = {};
      pack.configuredBy = token;
      await pack.process.configure(config, stack);
      return f(this.sessionOf(pooled, config));
    });
  }

  private sessionOf({ pack, configKey }: Pooled, config: PolicyConfig): PackSession {
    const stackOnly = new Set(this.o.stackPolicies ?? []);
    const memoizable = this.o.stackPolicies !== undefined;
    // Verdicts depend on the policy config and on the stack config the pack reads (e.g. edge-health-check
    // reads api.healthPaths): both are in every key.
    const resourceConfig = `${configKey}:${hash(Object.entries(config).filter(([name]) => !stackOnly.has(name)))}`;
    return {
      info: pack.info,
      analyze: async (resources) => {
        const parts = await Promise.all(
          resources.map(async (r) => {
            this.stats.analyzeCalls++;
            const key = `${resourceConfig}:${this.resourceHash(r)}`;
            const hit = memoizable ? this.verdicts.get(key) : undefined;
            if (hit) {
              this.stats.analyzeHits++;
              return hit;
            }
            const a = await pack.process.analyze(r);
            if (memoizable) this.verdicts.set(key, a);
            return a;
          }),
        );
        return {
          diagnostics: parts.flatMap((p) => p.diagnostics),
          notApplicable: parts.flatMap((p) => p.notApplicable),
        };
      },
      analyzeStack: async (resources) => {
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
      },
    };
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
 * stack config. This project's pack switches its stack config per session, so its key is (pack, project,
 * stack); another pack's includes that config.
 */
export function packPoolKey(packDir: string, files: StackFiles): { key: string; configKey: string } {
  const human = withoutReleaseKeys(rawFromFlatConfig(files.config));
  const others = Object.fromEntries(Object.entries(files.config).filter(([k]) => !k.startsWith("app:")));
  const configKey = hash([human, others, files.secretKeys]);
  const switches = isProjectPack(packDir);
  return {
    key: hash([path.resolve(packDir), files.project, files.stack, switches ? "any config" : configKey]),
    configKey,
  };
}

/** Diagnostics of an analysis that block an update (mandatory or remediate). */
export function blocking(a: Analysis): Diagnostic[] {
  return a.diagnostics.filter((d) => d.enforcementLevel === "mandatory" || d.enforcementLevel === "remediate");
}
