/**
 * The twin's `pulumi up`: runs the real program under mocks on the update's config, diffs the plan against
 * the stack's state and applies the steps to the twin cloud, with the real policy pack, as the engine does
 * (Pulumi CLI v3.248; citations in docs/twin.md):
 * - the stack lock is taken for the whole update; a config that cannot be decrypted, or a locked stack,
 *   fails before anything starts;
 * - resources are stepped in the order the program registers them; each one is first analyzed by the
 *   resource policies — a mandatory violation fails the update there, after the steps before it ran;
 * - create / update / replace (create-before-delete, or delete-before-replace) / delete per resource, with
 *   replacement decided by the providers' rules (rollout/twin/resource-rules.ts); protected resources
 *   refuse replacement and deletion; retainOnDelete leaves the physical resource in the account;
 * - a resource whose creation failed initializing (a failed Job) is kept with its init errors; the next
 *   update touches it again;
 * - `--target` steps only the targeted resources and leaves every other one as it is in the state;
 * - stack policies run once every step is done, on the state after the update: a mandatory violation
 *   fails the update with its changes applied;
 * - the first failing step stops the update (later steps are not run).
 */
import { type Analysis, type PolicyConfig, resolvePolicyConfig } from "../../gate/analyzer";
import { type CapturedResource, SECRET_PLACEHOLDER } from "../../gate/capture";
import { diffValues } from "../../gate/diff";
import { blocking, type Evaluator } from "../../gate/evaluator";
import { readPolicyConfigFile } from "../../gate/run";
import { loadStackFiles, type StackFiles } from "../../gate/stackfiles";
import { StackError, type StepOp, type UpOutcome, type UpRequest } from "../ports";
import {
  LOCKED_ERROR,
  type StackState,
  type StateResource,
  type TwinBackend,
  type TwinStep,
  type UpdateRecord,
} from "./backend";
import type { TwinClock, TwinProcess } from "./clock";
import { CloudError, type Physical, type TwinCloud } from "./cloud";
import * as rules from "./resource-rules";
import { readSecureValues } from "./stackfile";

/** Virtual time the CLI takes before the first step: plugins, the program, the policy pack. */
export const STARTUP_MS = 20_000;

export interface EngineHooks {
  /** Called when an update takes the lock. */
  onUpdate?(ctx: { message: string; at: number; version: number }): void;
  /** Called after each step of an update; may kill the process (a crash inside `up`). */
  afterStep?(ctx: { message: string; step: TwinStep; index: number }): void;
  /** An error the provider returns for the next changing step of the update with this message (fault injection). */
  providerError?(message: string): string | undefined;
}

export interface EngineDeps {
  dir: string;
  backend: TwinBackend;
  cloud: TwinCloud;
  clock: TwinClock;
  evaluator: Evaluator;
  hooks: EngineHooks;
}

const NEVER = new Promise<never>(() => undefined);

/** SIGINT to the CLI: the engine finishes the step under way, stops, saves the state and releases the lock. */
class Cancelled extends Error {
  constructor(readonly changesStarted: boolean) {
    super("error: update canceled (SIGINT): the steps under way finished, no further step was started");
  }
}

class UpdateFailure extends Error {
  constructor(
    message: string,
    readonly changesStarted: boolean,
  ) {
    super(message);
  }
}

type Decision =
  | { op: "same" }
  | { op: "create" }
  | { op: "update"; paths: string[] }
  | { op: "replace"; paths: string[]; deleteFirst: boolean };

function annotations(r: CapturedResource): Record<string, string> {
  return ((r.inputs.metadata as { annotations?: Record<string, string> } | undefined)?.annotations ?? {}) as Record<
    string,
    string
  >;
}

/**
 * The `ignoreChanges` resource option: each listed top-level input keeps the value of the state (Pulumi
 * docs, "ignoreChanges": "the old value is used"), so it neither updates nor replaces the resource.
 */
function withIgnoredChanges(old: StateResource, r: CapturedResource): CapturedResource {
  if (r.options.ignoreChanges.length === 0) return r;
  const inputs = { ...r.inputs };
  for (const k of r.options.ignoreChanges) {
    if (k in old.inputs) inputs[k] = old.inputs[k];
    else delete inputs[k];
  }
  return { ...r, inputs };
}

function decide(old: StateResource | undefined, r: CapturedResource): Decision {
  if (!old) return { op: "create" };
  const paths: string[] = [];
  diffValues(old.inputs, r.inputs, "", paths);
  const replaceUnready = annotations(r)["pulumi.com/replaceUnready"] === "true";
  if (old.initErrors?.length && replaceUnready) return { op: "replace", paths, deleteFirst: true };
  const cause = [
    ...rules.replacementCause(r.type, paths),
    ...paths.filter((p) => r.options.replaceOnChanges.some((x) => p === x || p.startsWith(`${x}.`))),
  ];
  if (cause.length > 0)
    return {
      op: "replace",
      paths,
      deleteFirst: r.options.deleteBeforeReplace || rules.deleteBeforeReplace(r.type, old.inputs, r.inputs),
    };
  if (paths.length > 0 || old.initErrors?.length) return { op: "update", paths };
  return { op: "same" };
}

/** One resource's changing step under way: the stack, the resource, its update and the step's identity. */
interface StepUnderWay {
  s: StackState;
  r: CapturedResource;
  record: UpdateRecord;
  message: string;
  base: Pick<TwinStep, "urn" | "type" | "name" | "at">;
}

/** The history entry of an update as it starts: in progress, with its config (secure values as stored). */
function startRecord(
  version: number,
  req: UpRequest,
  files: StackFiles,
  secure: Record<string, string>,
  now: number,
): UpdateRecord {
  return {
    version,
    kind: "update",
    message: req.message,
    result: "in-progress",
    startTime: now,
    config: Object.fromEntries(
      Object.entries(files.config).map(([k, v]) => [
        k,
        k in secure ? { value: secure[k], secret: true } : { value: v, secret: false },
      ]),
    ),
    steps: [],
    policyFailures: [],
  };
}

/** A mandatory resource-policy violation of `r` fails the update before its step (recorded in the history). */
function checkResourcePolicies(before: Analysis, r: CapturedResource, record: UpdateRecord): void {
  const violations = blocking({
    diagnostics: before.diagnostics.filter((x) => x.urn === r.urn),
    notApplicable: [],
  });
  if (violations.length > 0) {
    for (const v of violations)
      record.policyFailures.push({ policy: v.policyName, message: v.message, when: "before-changes" });
    throw new UpdateFailure(
      `mandatory policy violations for ${r.type} ${r.name} (before its step):\n${violations.map((v) => `  ${v.policyName}: ${v.message}`).join("\n")}`,
      record.steps.some((x) => x.op !== "same"),
    );
  }
}

export class TwinEngine {
  constructor(private readonly d: EngineDeps) {}

  /** `pulumi up` of `stack` on behalf of `proc`. */
  async up(stack: string, req: UpRequest, proc: TwinProcess): Promise<UpOutcome> {
    const s = this.d.backend.stack(stack);
    if (s.lock) throw new StackError("locked", LOCKED_ERROR);
    const secure = readSecureValues(req.configFile);
    const undecryptable = Object.keys(secure).find((k) => s.secrets.decrypt(secure[k]) === undefined);
    const files = loadStackFiles(this.d.dir, stack, {}, req.configFile);
    const now = this.d.clock.nowMs();
    const record = startRecord(s.updates.length + 1, req, files, secure, now);
    s.updates.push(record);
    s.lock = { version: record.version, since: now };
    this.d.hooks.onUpdate?.({ message: req.message, at: now, version: record.version });
    if (undecryptable !== undefined) {
      // The engine decrypts the config after the update started (Pulumi CLI v3.248 pkg/engine/deployment.go:
      // 225-229): the history shows a failed update; nothing changed.
      const error = `error: getting stack configuration: failed to decrypt configuration key '${undecryptable}': incorrect passphrase or secrets provider`;
      Object.assign(record, { result: "failed", error, endTime: now });
      s.lock = undefined;
      throw new StackError("decrypt", error);
    }
    const out = (line: string) => req.onOutput?.(line);
    out(`Updating (${stack}): ${req.message}`);
    try {
      await this.d.clock.spend(STARTUP_MS);
      const outputs = await this.apply(s, files, record, req, proc);
      // A CLI killed at any point never records its end: the update stays in progress, the stack locked.
      if (!proc.isAlive) return NEVER;
      record.result = "succeeded";
      out(`Update ${record.version} succeeded: ${summary(record.steps)}`);
      return { version: record.version, changes: countOps(record.steps), outputs };
    } catch (e) {
      if (!proc.isAlive) return NEVER;
      if (e instanceof Cancelled) {
        record.result = "failed";
        record.error = e.message;
        throw new StackError("cancelled", e.message, e.changesStarted);
      }
      record.result = "failed";
      record.error = (e as Error).message;
      out(`error: update failed\n${record.error}`);
      const started = e instanceof UpdateFailure ? e.changesStarted : record.steps.some((x) => x.op !== "same");
      throw new StackError("update-failed", `error: update failed\n${record.error}`, started);
    } finally {
      if (proc.isAlive) {
        record.endTime = this.d.clock.nowMs();
        s.lock = undefined;
      }
    }
  }

  /** Steps the update; returns the stack outputs (redacted secrets left out, as the driver's adapter does). */
  private async apply(
    s: StackState,
    files: StackFiles,
    record: UpdateRecord,
    req: UpRequest,
    proc: TwinProcess,
  ): Promise<Record<string, unknown>> {
    const planned = await this.d.clock.busy(this.d.evaluator.plan(files));
    if (!planned.ok)
      throw new UpdateFailure(
        `error: the program failed: ${planned.problems.map((p) => `${p.key}: ${p.expected}`).join("; ")}`,
        false,
      );
    const info = await this.d.clock.busy(this.d.evaluator.warm(files));
    const policyConfig = resolvePolicyConfig(info, readPolicyConfigFile(req.policyPackConfigFile), {
      "release-window": { at: this.d.clock.now().toISOString() },
    });
    const desired = [...planned.plan.resources].sort((a, b) => a.seq - b.seq);
    // An empty --target list targets everything (the CLI adds no --target flag: automation/stack.js).
    const targets = req.target && req.target.length > 0 ? new Set(req.target) : undefined;
    // Untargeted resources are analyzed too, with the inputs they keep (their state): Pulumi CLI v3.248
    // pkg/resource/deploy/step_generator.go:1181-1206 then :1284 — a violation there fails a targeted up.
    const judged = desired.map((r) => (targets && !targets.has(r.urn) ? (s.resources.get(r.urn) ?? r) : r));
    const before = await this.d.clock.busy(this.d.evaluator.session(files, policyConfig, (p) => p.analyze(judged)));
    const replaced: Physical[] = [];
    for (const r of desired) {
      if (!proc.isAlive) return NEVER;
      if (req.signal?.aborted) throw new Cancelled(record.steps.some((x) => x.op !== "same"));
      checkResourcePolicies(before, r, record);
      if (targets && !targets.has(r.urn)) continue;
      if (targets) this.checkTargetDependencies(s, r, targets);
      await this.step(s, r, record, replaced, req.message);
    }
    await this.deletions(s, desired, targets, record, req.message, proc);
    for (const p of replaced) this.d.cloud.delete(p);
    await this.checkStackPolicies(s, files, policyConfig, record);
    return Object.fromEntries(
      Object.entries(planned.plan.outputs).filter(([, v]) => !JSON.stringify(v ?? null).includes(SECRET_PLACEHOLDER)),
    );
  }

  /** The stack policies on the state after the update's changes: a mandatory violation fails the update. */
  private async checkStackPolicies(
    s: StackState,
    files: StackFiles,
    policyConfig: PolicyConfig,
    record: UpdateRecord,
  ): Promise<void> {
    // The stack policies can only fail the update when one of them blocks; when every one is advisory or
    // disabled (a rollback's up) the CLI runs them for its warnings only, which the twin does not record.
    const names = this.d.evaluator.stackPolicies;
    const canBlock =
      names === undefined ||
      names.some((n) => ["mandatory", "remediate"].includes(String(policyConfig[n]?.enforcementLevel)));
    const after = canBlock
      ? await this.d.clock.busy(
          this.d.evaluator.session(files, policyConfig, (p) => p.analyzeStack([...s.resources.values()])),
        )
      : { diagnostics: [], notApplicable: [] };
    const failed = blocking(after);
    if (failed.length > 0) {
      for (const v of failed)
        record.policyFailures.push({ policy: v.policyName, message: v.message, when: "after-changes" });
      throw new UpdateFailure(
        `mandatory stack policy violations (after the update's changes were applied):\n${failed.map((v) => `  ${v.policyName}: ${v.message.split("\n").at(-1)}`).join("\n")}`,
        record.steps.some((x) => x.op !== "same"),
      );
    }
  }

  /**
   * A targeted resource may only depend on resources that exist or are targeted too: Pulumi CLI v3.248
   * pkg/resource/deploy/step_generator.go:1659-1663 (diag 2013, sdk/go/common/diag/errors.go:75-76).
   */
  private checkTargetDependencies(s: StackState, r: CapturedResource, targets: Set<string>): void {
    const missing = r.dependencies.find((d) => !targets.has(d) && !s.resources.has(d));
    if (missing)
      throw new UpdateFailure(
        `error: Resource '${r.urn}' depends on '${missing}' which was was not specified in --target list.`,
        false,
      );
  }

  private record(record: UpdateRecord, step: TwinStep, message: string): void {
    record.steps.push(step);
    this.d.hooks.afterStep?.({ message, step, index: record.steps.length - 1 });
  }

  private async step(
    s: StackState,
    desired: CapturedResource,
    record: UpdateRecord,
    replaced: Physical[],
    message: string,
  ) {
    const old = s.resources.get(desired.urn);
    const r = old ? withIgnoredChanges(old, desired) : desired;
    const d = decide(old, r);
    const base = { urn: r.urn, type: r.type, name: r.name, at: this.d.clock.nowMs() };
    if (d.op === "same") {
      s.resources.set(r.urn, { ...r, physicalId: old?.physicalId, initErrors: old?.initErrors });
      record.steps.push({ ...base, op: "same" });
      return;
    }
    if (d.op === "replace" && old?.options.protect) {
      this.record(record, { ...base, op: "refused", error: "protected" }, message);
      throw new UpdateFailure(
        `error: unable to replace resource "${r.urn}" as it is currently marked for protection. To unprotect the resource, remove the \`protect\` flag from the resource in your Pulumi program and run \`pulumi up\` (changed: ${d.paths.join(", ")})`,
        true,
      );
    }
    try {
      if (!r.custom) {
        s.resources.set(r.urn, { ...r });
        this.record(
          record,
          { ...base, op: d.op === "replace" ? "update" : d.op, detail: "paths" in d ? d.paths : undefined },
          message,
        );
        return;
      }
      const injected = this.d.hooks.providerError?.(message);
      if (injected) throw new CloudError(injected);
      const oldPhysical = old?.physicalId ? this.d.cloud.physicals.get(old.physicalId) : undefined;
      const underWay: StepUnderWay = { s, r, record, message, base };
      if (d.op === "update" && oldPhysical) await this.updateInPlace(underWay, d, oldPhysical);
      else await this.createOrReplace(underWay, d, oldPhysical, replaced);
    } catch (e) {
      if (!(e instanceof CloudError)) throw e;
      if (!record.steps.some((x) => x.urn === r.urn && x.at === base.at))
        this.record(record, { ...base, op: d.op === "update" ? "update" : d.op, error: e.message }, message);
      throw new UpdateFailure(`  ${r.type} (${r.name}):\n    error: ${e.message}`, true);
    }
  }

  /** An update of the physical resource in place; an init error (a failed Job) fails the step. */
  private async updateInPlace(
    { s, r, record, message, base }: StepUnderWay,
    d: Extract<Decision, { op: "update" }>,
    oldPhysical: Physical,
  ): Promise<void> {
    const u = await this.d.cloud.update(oldPhysical, r);
    await this.d.clock.spend(u.ms);
    s.resources.set(r.urn, {
      ...r,
      physicalId: oldPhysical.id,
      initErrors: u.initError ? [u.initError] : undefined,
    });
    this.record(record, { ...base, op: "update", detail: d.paths, error: u.initError }, message);
    if (u.initError) throw new CloudError(u.initError);
  }

  /**
   * A new physical resource (a create, or a replacement: the old one is deleted first, or after the update
   * when it is in `replaced`); an init error (a failed Job) fails the step.
   */
  private async createOrReplace(
    { s, r, record, message, base }: StepUnderWay,
    d: Exclude<Decision, { op: "same" }>,
    oldPhysical: Physical | undefined,
    replaced: Physical[],
  ): Promise<void> {
    // A replaced resource retained on delete stays in the cloud (Pulumi pkg/resource/deploy/step.go DeleteStep:
    // `RetainOnDelete` skips the provider's Delete, replacements included), keeping its physical name.
    const retain = s.resources.get(r.urn)?.options.retainOnDelete === true;
    if (d.op === "replace" && oldPhysical && d.deleteFirst) {
      if (retain) this.d.cloud.retain(oldPhysical);
      else await this.d.clock.spend(this.d.cloud.delete(oldPhysical));
    }
    const c = await this.d.cloud.create(r);
    await this.d.clock.spend(c.ms);
    s.resources.set(r.urn, { ...r, physicalId: c.physical.id, initErrors: c.initError ? [c.initError] : undefined });
    if (d.op === "replace" && oldPhysical && !d.deleteFirst) {
      if (retain) this.d.cloud.retain(oldPhysical);
      else replaced.push(oldPhysical);
    }
    this.record(
      record,
      {
        ...base,
        op: d.op === "replace" ? "replace" : "create",
        detail: "paths" in d ? d.paths : undefined,
        error: c.initError,
      },
      message,
    );
    if (c.initError) throw new CloudError(c.initError);
  }

  private async deletions(
    s: StackState,
    desired: CapturedResource[],
    targets: Set<string> | undefined,
    record: UpdateRecord,
    message: string,
    proc: TwinProcess,
  ) {
    const want = new Set(desired.map((r) => r.urn));
    const gone = [...s.resources.values()].filter((r) => !want.has(r.urn)).sort((a, b) => b.seq - a.seq);
    for (const old of gone) {
      if (!proc.isAlive) return NEVER;
      if (targets && !targets.has(old.urn)) continue;
      const base = { urn: old.urn, type: old.type, name: old.name, at: this.d.clock.nowMs() };
      if (old.options.protect) {
        this.record(record, { ...base, op: "refused", error: "protected" }, message);
        throw new UpdateFailure(
          `error: unable to delete resource "${old.urn}" as it is currently marked for protection. To unprotect the resource, remove the \`protect\` flag from the resource in your Pulumi program and run \`pulumi up\``,
          true,
        );
      }
      const physical = old.physicalId ? this.d.cloud.physicals.get(old.physicalId) : undefined;
      try {
        if (physical && old.options.retainOnDelete) this.d.cloud.retain(physical);
        else if (physical) await this.d.clock.spend(this.d.cloud.delete(physical));
      } catch (e) {
        if (!(e instanceof CloudError)) throw e;
        this.record(record, { ...base, op: "delete", error: e.message }, message);
        throw new UpdateFailure(`  ${old.type} (${old.name}):\n    error: deleting failed: ${e.message}`, true);
      }
      s.resources.delete(old.urn);
      this.record(
        record,
        { ...base, op: "delete", detail: old.options.retainOnDelete ? ["retained"] : undefined },
        message,
      );
    }
  }
}

function countOps(steps: TwinStep[]): Partial<Record<StepOp, number>> {
  const out: Partial<Record<StepOp, number>> = {};
  for (const s of steps)
    if (s.op !== "refused" && s.op !== "create-replacement" && s.op !== "delete-replaced")
      out[s.op] = (out[s.op] ?? 0) + 1;
  return out;
}

function summary(steps: TwinStep[]): string {
  const c = countOps(steps);
  return (
    Object.entries(c)
      .filter(([op]) => op !== "same")
      .map(([op, n]) => `${n} ${op}`)
      .join(", ") || "no changes"
  );
}
