/**
 * The progressive rollout driver's commands (runbooks 001 §4–§7, 002 §3–§7, 004 deployment and rollback
 * triggers). Every command that changes the stack holds the stack's lease in the durable release store;
 * the rollout's status, the deployed release keys and the ledger live there too — never on the runner —
 * so any machine can `status`, `resume`, `abort` or `rollback`. See docs/release.md and
 * docs/release-state.md.
 */

import { parseImmutableImage } from "@app-rollout/shared";
import { COLORS } from "../components/blue-green";
import { namePrefix, rollbackAlarmName } from "../components/names";
import { changedKeys, describeKeys, type ReleaseKeys } from "../config/release-keys";
import type { AppConfig } from "../config/schema";
import { evidenceAlarmName } from "../config/signals";
import { opsBaseline } from "./app-checks";
import { checkoutKeys, composeConfig, composePolicyConfig } from "./compose";
import { type CommandResult, RefusedError } from "./errors";
import {
  acquire,
  acquireOrPreempt,
  describeLease,
  type LeaseKeeper,
  newHolder,
  Preempted,
  STALE_AFTER_MS,
} from "./lease";
import { type LedgerEntry, rollbackTarget } from "./model/ledger";
import { parseMessage } from "./model/message";
import { NotificationKind } from "./model/notification";
import { keysAfter, newColor, type ReleaseRequest, type Stage, stagesFor } from "./model/stages";
import { completedStages, isUnderWay, newStatus, phaseOf, Reason, type RolloutStatus } from "./model/status";
import { postDeployCheck } from "./post-deploy";
import * as preflight from "./preflight";
import { deployedKeys, runRelease } from "./release";
import { ledgerEntry, releaseRollbackPhases, runRollback, stackRollbackPhases, startRollback } from "./rollback";
import { type DriverDeps, GateRefusal, Run, UpFailed } from "./run";
import type { Lease } from "./store/port";
import { gatingAlarms } from "./watch";

export interface StartRequest {
  image: string;
  /** @default the checkout's app:release.version */
  version?: string;
  /** @default the commit of a `sha-<commit>` image tag (required for digest images) */
  commit?: string;
  workerImage?: string;
}

export interface StatusView {
  phase: ReturnType<typeof phaseOf>;
  deployed?: ReleaseKeys;
  lease?: Lease;
  status?: RolloutStatus;
  alarms: Record<string, string>;
}

function refuseIf(refusal: preflight.Refusal): void {
  if (refusal) throw new RefusedError(refusal);
}

export class RolloutDriver {
  constructor(private readonly d: DriverDeps) {}

  private holder(command: string) {
    return newHolder(command, this.d.who, this.d.runId?.());
  }

  private get stack(): string {
    return this.d.stack.stack;
  }

  /** Runs `body` holding the lease; gives it back at the end (unless it was lost). */
  private async holding(lease: LeaseKeeper, body: () => Promise<CommandResult>): Promise<CommandResult> {
    try {
      return await body();
    } finally {
      await lease.release().catch(() => undefined);
    }
  }

  /** A release or rollback run that stops when preempted, recording who interrupted it. */
  private async advance(run: Run, config: AppConfig): Promise<CommandResult> {
    try {
      const s = run.status;
      if (s.rollback) return await runRollback(run, () => deployedKeys(run));
      if (s.interrupt)
        return await this.rollBackFor(
          run,
          Reason.Aborted,
          `interrupted by ${s.interrupt.command} (${s.interrupt.reason})`,
          s.interrupt.by,
        );
      return await runRelease(run, config);
    } catch (e) {
      if (!(e instanceof Preempted)) throw e;
      run.status.interrupt = {
        by: e.request.who,
        command: e.request.command,
        reason: e.request.reason,
        at: run.now().toISOString(),
      };
      await run.save();
      this.d.log(`⏸ ${e.message}`);
      return "interrupted";
    }
  }

  private async rollBackFor(
    run: Run,
    reason: typeof Reason.Aborted | typeof Reason.StackRollback,
    detail: string,
    by: string,
  ) {
    startRollback(
      run.status,
      reason,
      detail,
      by,
      releaseRollbackPhases(run.status.from, await deployedKeys(run)),
      run.now(),
    );
    await run.save();
    return runRollback(run, () => deployedKeys(run));
  }

  async start(req: StartRequest): Promise<CommandResult> {
    const holder = this.holder("start");
    const lease = await acquire(this.d.store, this.stack, holder, this.d.clock);
    return this.holding(lease, async () => {
      const rec = await this.d.store.read(this.stack);
      refuseIf(preflight.noRolloutUnderWay(phaseOf(rec.status), this.stack));
      const checkout = checkoutKeys(this.d.checkout, this.stack);
      const from = rec.release?.keys ?? checkout.keys;
      refuseIf(preflight.imageIsImmutable(req.image));
      refuseIf(preflight.notAlreadyLive(from, req.image));
      const request: ReleaseRequest = {
        image: req.image,
        version: req.version ?? checkout.config.release.version,
        commit: (req.commit ?? parseImmutableImage(req.image)?.commit ?? "").toLowerCase(),
        workerImage: req.workerImage,
        // Each start is a new attempt: its snapshot never collides with one an earlier attempt left in AWS.
        attempt: holder.runId.replace(/[^a-z0-9]/g, "").slice(-12),
      };
      refuseIf(preflight.requestValid(request));
      const stages = stagesFor(checkout.config, request);
      const now = this.d.clock.now();
      const config = await this.preflightRelease(
        from,
        keysAfter(
          stages,
          stages.findIndex((s) => s.kind === "deploy"),
          from,
          request,
        ),
        stages,
        now,
      );
      const ops = await opsBaseline(this.d.app, config);
      refuseIf(ops.refusal);
      const status = newStatus(
        {
          runId: holder.runId,
          stack: this.stack,
          kind: "release",
          who: this.d.who,
          request,
          from,
          stages,
          ...(ops.baseline ? { opsBaseline: ops.baseline } : {}),
        },
        now,
      );
      const run = new Run(this.d, lease, status);
      this.d.log(
        `Preflight passed. Releasing ${request.version} (${request.image}) on ${this.stack}: ${describeKeys(from)}`,
      );
      await run.save(rec.release ? undefined : from);
      await run.notify(NotificationKind.ReleaseStarted, { keys: from, reason: `${request.image} by ${this.d.who}` });
      return this.advance(run, config);
    });
  }

  /** The checks on the config the release deploys (runbook 001 §1): window, plan length, certificate, stack, alarms. */
  private async preflightRelease(from: ReleaseKeys, keys: ReleaseKeys, stages: Stage[], now: Date): Promise<AppConfig> {
    const target = composeConfig(this.d.checkout, this.stack, keys);
    try {
      refuseIf(preflight.windowOpen(target.config, now));
      refuseIf(preflight.planFitsWindow(target.config, stages, now));
      refuseIf(await preflight.certificateValid(this.d.certificates, target.config, now));
      refuseIf(await preflight.stackNotBusy(this.d.stack));
      const released = newColor(from);
      const gating = gatingAlarms(
        target.config,
        this.stack,
        target.config.rollout.gates.preflight,
        released,
        from.live,
      );
      refuseIf(await preflight.gatingAlarmsHealthy(this.d.alarms, gating));
      const prefix = namePrefix(target.config.cluster.namespace, this.stack);
      refuseIf(await preflight.evidenceReadable(this.d.alarms, evidenceAlarmName(prefix, released), now));
      // The readiness gate on what the deploy stage will run: a no-go is refused here (exit 2), before the
      // worker is paused — not discovered at deploy and rolled back (exit 1).
      const policy = composePolicyConfig(this.d.packDir, this.stack);
      try {
        refuseIf(preflight.gateGo(await this.d.gate(target, now, policy.file, "preflight")));
      } finally {
        policy.dispose();
      }
      return target.config;
    } finally {
      target.dispose();
    }
  }

  async resume(): Promise<CommandResult> {
    const lease = await acquire(this.d.store, this.stack, this.holder("resume"), this.d.clock);
    return this.holding(lease, async () => {
      const rec = await this.d.store.read(this.stack);
      const phase = phaseOf(rec.status);
      if (!rec.status || !isUnderWay(phase))
        throw new RefusedError(`no rollout to resume on ${this.stack} (phase ${phase})`);
      const checkoutConfig = checkoutKeys(this.d.checkout, this.stack).config;
      // A paused release bakes again and moves traffic on: only inside the window (abort rolls back any time).
      if (phase === "Paused") refuseIf(preflight.windowOpen(checkoutConfig, this.d.clock.now()));
      const run = await this.continueRun(lease, rec.status);
      this.d.log(
        `Resuming ${rec.status.kind} ${rec.status.request?.version ?? ""} (phase ${phase}; done: ${completedStages(rec.status).join(", ") || "nothing"})`,
      );
      return this.advance(run, checkoutKeys(this.d.checkout, this.stack).config);
    });
  }

  /**
   * Takes over a rollout under way: a failed rollback becomes retryable, and an update a dead process left
   * in flight counts as applied — its keys are the deployed ones from now on (it may have changed anything
   * up to them), so a rollback, an abort or the next up never start from keys older than the cloud.
   */
  private async continueRun(lease: LeaseKeeper, status: RolloutStatus): Promise<Run> {
    const run = new Run(this.d, lease, status);
    this.retryFailedRollback(run);
    const f = status.inFlight;
    if (f) {
      this.d.log(`The ${f.step} update of run ${f.runId} may not have finished: its keys count as deployed.`);
      status.inFlight = undefined;
      run.adoptedInFlight = f.runId;
      await run.save(f.keys);
    }
    return run;
  }

  private retryFailedRollback(run: Run): void {
    const s = run.status;
    if (s.outcome !== "rollback-failed" || !s.rollback) return;
    s.outcome = undefined;
    s.endedAt = undefined;
    s.rollback.lastError = undefined;
    s.rollback.attempts++;
  }

  async abort(reason = "aborted by operator", waitMinutes = 60): Promise<CommandResult> {
    const holder = this.holder("abort");
    const lease = await this.preempting(holder, reason, waitMinutes);
    return this.holding(lease, async () => {
      const rec = await this.d.store.read(this.stack);
      const phase = phaseOf(rec.status);
      if (!rec.status || !isUnderWay(phase))
        throw new RefusedError(`no rollout in progress on ${this.stack} to abort (phase ${phase})`);
      const run = await this.continueRun(lease, rec.status);
      if (run.status.rollback) return runRollback(run, () => deployedKeys(run));
      return this.rollBackFor(run, Reason.Aborted, reason, this.d.who);
    });
  }

  private async preempting(holder: ReturnType<typeof newHolder>, reason: string, waitMinutes: number) {
    const config = checkoutKeys(this.d.checkout, this.stack).config;
    return acquireOrPreempt(this.d.store, this.stack, holder, this.d.clock, {
      reason,
      waitMs: waitMinutes * 60_000,
      pollMs: config.rollout.pollSeconds * 1000,
      log: this.d.log,
    });
  }

  /** Stack rollback: back to the previous good release (durable ledger), or the rollback of a release under way. */
  async rollback(waitMinutes = 60, reason = "rollout rollback"): Promise<CommandResult> {
    const holder = this.holder("rollback");
    const before = await this.d.store.read(this.stack);
    // The run this rollback means to stop, if one is under way while it waits for the lease.
    const meant = before.status && isUnderWay(phaseOf(before.status)) ? before.status.runId : undefined;
    const lease = await this.preempting(holder, reason, waitMinutes);
    return this.holding(lease, async () => {
      const rec = await this.d.store.read(this.stack);
      const phase = phaseOf(rec.status);
      if (rec.status && isUnderWay(phase)) {
        const run = await this.continueRun(lease, rec.status);
        if (run.status.rollback) return runRollback(run, () => deployedKeys(run));
        return this.rollBackFor(run, Reason.StackRollback, `${reason} during the release`, this.d.who);
      }
      // The release it was meant to stop rolled itself back (or was aborted) while this waited: a stack
      // rollback now would go one release further back than anyone asked.
      if (meant && rec.status?.runId === meant && (phase === "RolledBack" || phase === "Aborted"))
        throw new RefusedError(
          `release run ${meant} on ${this.stack} ended ${phase} while this rollback waited: traffic is already on ${rec.release?.keys.live ?? "the previous color"}; nothing more was done`,
        );
      if (!rec.release)
        throw new RefusedError(`nothing was deployed on ${this.stack} by the driver yet: nothing to roll back`);
      const entries = (await this.d.store.readLedger(this.stack)) as unknown as LedgerEntry[];
      const t = rollbackTarget(entries, rec.release.keys);
      if (!t.ok) throw new RefusedError(t.why);
      const now = this.d.clock.now();
      const status = newStatus(
        {
          runId: holder.runId,
          stack: this.stack,
          kind: "rollback",
          who: this.d.who,
          from: rec.release.keys,
          undoes: t.undoes,
        },
        now,
      );
      const run = new Run(this.d, lease, status);
      startRollback(
        status,
        Reason.StackRollback,
        `back to ${t.target.keys.version} on ${t.target.keys.live} (${t.target.keys.images[t.target.keys.live]}), released ${t.target.at}`,
        this.d.who,
        stackRollbackPhases(t.target.keys, rec.release.keys),
        now,
      );
      await run.save();
      return runRollback(run, () => deployedKeys(run));
    });
  }

  /** An ordinary `up` (infrastructure change from git) that keeps the deployed release keys. */
  async apply(o: { scaleDownIdle?: boolean } = {}): Promise<CommandResult> {
    const holder = this.holder(o.scaleDownIdle ? "scale-down" : "apply");
    const lease = await acquire(this.d.store, this.stack, holder, this.d.clock);
    return this.holding(lease, async () => {
      const rec = await this.d.store.read(this.stack);
      refuseIf(preflight.noRolloutUnderWay(phaseOf(rec.status), this.stack));
      const checkout = checkoutKeys(this.d.checkout, this.stack);
      const deployed = rec.release?.keys ?? checkout.keys;
      if (o.scaleDownIdle && deployed.scaleDownIdle)
        throw new RefusedError(`the idle color of ${this.stack} is already scaled down: nothing to do`);
      // scale-down: the idle color runs api.idleReplicas (after a release has been watched; a stack rollback
      // scales it up again before moving traffic).
      const keys = o.scaleDownIdle ? { ...deployed, scaleDownIdle: true } : deployed;
      if (rec.release) {
        const differ = changedKeys(checkout.keys, deployed);
        if (differ.length > 0)
          this.d.log(
            `Note: the checkout's release keys differ from the deployed ones (${differ.join(", ")}): the deployed keys are kept (release keys belong to the rollout driver).`,
          );
      } else
        this.d.log(
          `No deployed release keys in ${this.d.store.location} yet: bootstrapping from Pulumi.${this.stack}.yaml.`,
        );
      const now = this.d.clock.now();
      const status = newStatus(
        {
          runId: holder.runId,
          stack: this.stack,
          kind: "release",
          who: this.d.who,
          from: deployed,
          outcome: "applied",
        },
        now,
      );
      // The last rollout's status stays what `status` shows; a first apply records one of its own.
      const run = new Run(this.d, lease, rec.status ?? status);
      try {
        await run.up("apply", keys, { command: "apply", runId: holder.runId });
      } catch (e) {
        // An ordinary up refused by the gate changed nothing (exit 2); one that failed mid-way is a failure
        // of the infrastructure change, not of a release or a rollback (exit 6).
        if (e instanceof GateRefusal) throw new RefusedError(`apply refused before any change: ${e.message}`);
        if (e instanceof UpFailed) return this.failedApply(status, keys, e.message);
        throw e;
      }
      const entry: LedgerEntry = {
        ...ledgerEntry(status, "applied", keys, this.d.clock.now()),
        id: `${holder.runId}:apply`,
        kind: "apply",
      };
      await this.d.store.appendLedger(this.stack, { ...entry });
      this.d.log(`✓ applied ${describeKeys(keys)}`);
      return "applied";
    });
  }

  private async failedApply(status: RolloutStatus, keys: ReleaseKeys, why: string): Promise<CommandResult> {
    const entry = { ...ledgerEntry(status, "failed", keys, this.d.clock.now()), id: `${status.runId}:apply:failed` };
    await this.d.store.appendLedger(this.stack, { ...entry, kind: "apply", reason: { code: "UpFailed", detail: why } });
    this.d.log(`✗ apply failed: ${why}`);
    return "failed";
  }

  /** Breaks a stale lease deliberately (the run id must match) and cancels a stuck update that run owned. */
  async unlock(runId: string): Promise<CommandResult> {
    const rec = await this.d.store.read(this.stack);
    if (!rec.lease) throw new RefusedError(`no driver holds ${this.stack}: nothing to unlock`);
    if (rec.lease.holder.runId !== runId)
      throw new RefusedError(
        `the lease of ${this.stack} is held by ${describeLease(rec.lease, this.d.clock.now())}, not by run ${runId}: nothing was changed`,
      );
    // A live holder heartbeats at least every poll: breaking its lease would cancel an update it is running.
    if (this.d.clock.now().getTime() - Date.parse(rec.lease.heartbeatAt) <= STALE_AFTER_MS)
      throw new RefusedError(
        `run ${runId} is alive (${describeLease(rec.lease, this.d.clock.now())}): 'rollout abort' stops it; unlock breaks only a lease whose heartbeat is older than ${STALE_AFTER_MS / 60_000} min`,
      );
    if (!(await this.d.store.breakLease(this.stack, rec.lease.epoch)))
      throw new RefusedError(`the lease of ${this.stack} changed while unlocking: run 'rollout status' and try again`);
    this.d.log(`Broke the lease of ${describeLease(rec.lease, this.d.clock.now())}.`);
    const [latest] = await this.d.stack.history(1, 1);
    if (latest?.result === "in-progress") {
      const owner = parseMessage(latest.message);
      if (owner?.runId === runId) {
        await this.d.stack.cancel();
        this.d.log(`Cancelled update ${latest.version} ("${latest.message}") of that run: the stack is unlocked.`);
      } else
        this.d.log(
          `Update ${latest.version} in progress ("${latest.message}") is not run ${runId}'s: left alone (pulumi cancel if it is dead).`,
        );
    }
    return "unlocked";
  }

  private rollbackAlarms(config: AppConfig): string[] {
    return COLORS.map((c) => rollbackAlarmName(namePrefix(config.cluster.namespace, this.stack), c));
  }

  async status(): Promise<StatusView> {
    const rec = await this.d.store.read(this.stack);
    const names = this.rollbackAlarms(checkoutKeys(this.d.checkout, this.stack).config);
    const alarms = await this.d.alarms
      .states(names)
      .catch((e: Error) => ({ error: e.message }) as Record<string, string>);
    const view: StatusView = {
      phase: phaseOf(rec.status),
      deployed: rec.release?.keys,
      lease: rec.lease,
      status: rec.status,
      alarms,
    };
    const now = this.d.clock.now();
    this.d.log(`stack ${this.stack} (${this.d.store.location}): ${view.phase}`);
    this.d.log(
      `  deployed: ${view.deployed ? describeKeys(view.deployed) : "nothing recorded yet (the stack file's keys are the bootstrap)"}`,
    );
    if (rec.lease) this.d.log(`  lease: ${describeLease(rec.lease, now)}`);
    if (rec.status)
      this.d.log(
        `  last rollout: ${rec.status.kind} ${rec.status.request?.version ?? ""} run ${rec.status.runId} by ${rec.status.who}; done: ${completedStages(rec.status).join(", ") || "-"}${rec.status.rollback ? `; rollback (${rec.status.rollback.reason}): ${rec.status.rollback.done.join(", ") || "-"}${rec.status.rollback.lastError ? `; last error: ${rec.status.rollback.lastError}` : ""}` : ""}${rec.status.inFlight ? `; update in flight: ${rec.status.inFlight.step}` : ""}`,
      );
    if (rec.status?.paused)
      this.d.log(
        `  paused at ${rec.status.paused.stage} since ${rec.status.paused.at}: ${rec.status.paused.detail} — 'rollout resume' bakes it again, 'rollout abort' rolls back`,
      );
    for (const [name, state] of Object.entries(alarms)) this.d.log(`  alarm ${name}: ${state}`);
    return view;
  }

  /** `rollout check`: the post-deploy checks (rollout/post-deploy.ts). */
  check(): Promise<CommandResult> {
    return postDeployCheck(this.d, this.stack);
  }

  async history(): Promise<LedgerEntry[]> {
    return (await this.d.store.readLedger(this.stack)) as unknown as LedgerEntry[];
  }
}
