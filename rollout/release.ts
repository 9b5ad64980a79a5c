/**
 * The forward path of a release: every pending stage in order — its `up` (gated), then its bake or watch
 * polling the gating alarms — persisting progress after each step. Any trigger (an alarm, a failed up, a
 * gate refusal, the window closing) persists a rollback and hands over to rollout/rollback.ts.
 */
// @readiness progressive-delivery: stages 10/50/100 %, each `up` gated by the offline gate first
import {
  databaseIdentifiers,
  migrationJobName,
  namePrefix,
  platformAlarmName,
  releaseId,
  smokeJobName,
} from "../components/names";
import type { ReleaseKeys } from "../config/release-keys";
import type { AppConfig } from "../config/schema";
import { gatingWindowMinutes } from "../config/signals";
import { opsRegression } from "./app-checks";
import { NotificationKind } from "./model/notification";
import { keysAfter, newColor, type Stage } from "./model/stages";
import { Reason, type ReasonCode } from "./model/status";
import { StackError } from "./ports";
import { ledgerEntry, releaseRollbackPhases, runRollback, startRollback } from "./rollback";
import { GateRefusal, type Run, UpFailed } from "./run";
import { rotateReleaseSnapshots } from "./snapshot-rotation";
import { alarmsBeforeUp, type WatchPlan, type WatchVerdict, watch } from "./watch";

/** The deployed release keys as the store has them. */
export async function deployedKeys(run: Run): Promise<ReleaseKeys> {
  const rec = await run.d.store.read(run.stackName);
  return rec.release?.keys ?? run.status.from;
}

async function rollBack(run: Run, reason: ReasonCode, detail: string, o: { migrationFailed?: boolean } = {}) {
  run.d.log(`✗ ${detail}`);
  startRollback(
    run.status,
    reason,
    detail,
    "rollout (automatic)",
    releaseRollbackPhases(run.status.from, await deployedKeys(run), o),
    run.now(),
  );
  await run.save();
  return runRollback(run, () => deployedKeys(run));
}

async function runStage(run: Run, config: AppConfig, stage: Stage, index: number): Promise<WatchVerdict> {
  const s = run.status;
  const request = s.request!;
  s.progress[stage.id] ??= {};
  const progress = s.progress[stage.id];
  if ((stage.kind === "traffic" || stage.kind === "flip") && !progress.upStartedAt) {
    const before = await alarmsBeforeUp(run, config, {
      label: `before the ${stage.id} update`,
      gates: config.rollout.gates.traffic,
      released: newColor(s.from),
      other: s.from.live,
    });
    if (before.kind !== "pass") return before;
  }
  if (stage.kind !== "watch" && !progress.upEndedAt) {
    progress.upStartedAt = run.now().toISOString();
    await run.up(stage.id, keysAfter(s.stages, index, s.from, request), {
      command: "release",
      runId: s.runId,
      version: request.version,
      step: stage.id,
    });
    progress.upEndedAt = run.now().toISOString();
    if (stage.kind === "deploy")
      recordSmoke(run, true, "passed before any traffic moved (the deploy's up waited for it)");
    await run.save();
  }
  const minutes = stage.kind === "traffic" ? stage.bakeMinutes : stage.kind === "watch" ? stage.minutes : 0;
  if (minutes > 0) {
    // A bake an earlier process started (it died, or was cancelled) is watched live again for one full
    // evaluation window: an alarm that fired and cleared while nobody polled must not pass unseen.
    const resumed = progress.bakeStartedAt !== undefined && progress.bakeRunId !== run.lease.holder.runId;
    progress.bakeStartedAt ??= run.now().toISOString();
    progress.bakeRunId = run.lease.holder.runId;
    await run.save();
    const gates = stage.kind === "traffic" ? config.rollout.gates.traffic : config.rollout.gates.watch;
    const verdict = await watch(run, config, {
      liveFor: resumed ? gatingWindowMinutes(gates, config.alarms) : undefined,
      label: stage.kind === "traffic" ? `bake at ${stage.weight}%` : "post-deploy watch",
      since: new Date(progress.bakeStartedAt),
      minutes,
      gates,
      released: newColor(s.from),
      other: s.from.live,
      grace: workerDrain(run, config),
    });
    if (verdict.kind !== "pass") return verdict;
  }
  if (stage.kind === "traffic" || stage.kind === "flip" || stage.kind === "watch") {
    const ops = await opsRegression(run, config, stage.id);
    if (ops.kind !== "pass") return ops;
  }
  progress.completedAt = run.now().toISOString();
  await run.save();
  await run.notify(NotificationKind.StageCompleted, {
    stage: stage.id,
    keys: keysAfter(s.stages, index, s.from, request),
  });
  return { kind: "pass" };
}

/** The worker's backlog alarm waits app:rollout.workerDrainMinutes after the worker resumed. */
function workerDrain(run: Run, config: AppConfig): WatchPlan["grace"] {
  const resumed = run.status.progress["resume-worker"]?.completedAt;
  if (!resumed) return undefined;
  const prefix = namePrefix(config.cluster.namespace, run.stackName);
  return {
    names: [platformAlarmName(prefix, "worker-backlog")],
    until: Date.parse(resumed) + config.rollout.workerDrainMinutes * 60_000,
  };
}

/** A bake without evidence and app:rollout.onNoData `pause`: traffic stays, a person decides. */
async function pause(run: Run, stage: Stage, detail: string): Promise<"paused"> {
  const s = run.status;
  s.paused = { stage: stage.id, detail, at: run.now().toISOString() };
  // `resume` bakes this stage again from the start.
  delete s.progress[stage.id]?.bakeStartedAt;
  await run.save();
  await run.notify(NotificationKind.Paused, { stage: stage.id, reason: detail });
  run.d.log(
    `⏸ paused at ${stage.id}: ${detail}\n   Traffic stays as it is. 'rollout resume --stack ${s.stack}' bakes ${stage.id} again; 'rollout abort' rolls back.`,
  );
  return "paused";
}

/** The smoke test's result for the ledger (002 §5: append the output, success or failure). */
function recordSmoke(run: Run, ok: boolean, detail: string): void {
  const s = run.status;
  const r = s.request!;
  const job = smokeJobName(releaseId(r.version, r.commit), newColor(s.from));
  s.smoke = { job, ok, detail: detail.slice(0, 2000), at: run.now().toISOString() };
}

/** Whether a completed stage sent production traffic to the new color (a traffic step or the flip). */
function trafficMoved(run: Run): boolean {
  const s = run.status;
  return s.stages.some((st) => (st.kind === "traffic" || st.kind === "flip") && s.progress[st.id]?.upEndedAt);
}

/** Runs the pending stages of the release; returns the command result. */
export async function runRelease(
  run: Run,
  config: AppConfig,
): Promise<"released" | "rolled-back" | "aborted" | "rollback-failed" | "paused"> {
  const s = run.status;
  s.paused = undefined;
  for (const [index, stage] of s.stages.entries()) {
    if (s.progress[stage.id]?.completedAt) continue;
    await run.checkIn();
    run.d.log(`▶ ${stage.id}`);
    try {
      const verdict = await runStage(run, config, stage, index);
      if (verdict.kind === "pause") return pause(run, stage, verdict.detail);
      if (verdict.kind === "rollback") return rollBack(run, verdict.reason, `${stage.id}: ${verdict.detail}`);
    } catch (e) {
      if (e instanceof GateRefusal)
        return rollBack(run, e.windowOnly ? Reason.WindowClosed : Reason.GateNoGo, `${stage.id}: ${e.message}`);
      if (e instanceof UpFailed) {
        const r = s.request!;
        const job = smokeJobName(releaseId(r.version, r.commit), newColor(s.from));
        if (stage.kind === "deploy" && e.message.includes(job)) recordSmoke(run, false, e.message);
        const migration = migrationJobName(releaseId(r.version, r.commit));
        return rollBack(run, Reason.UpFailed, e.message, {
          migrationFailed: stage.kind === "deploy" && e.message.includes(migration),
        });
      }
      // The stack cannot be used (locked, credentials) while the new color already takes traffic: nobody
      // would watch that canary. Persist a rollback (its first up may fail the same way: exit 3, and
      // resume/abort retry the rollback, never the release).
      if (e instanceof StackError && trafficMoved(run))
        return rollBack(run, Reason.UpFailed, `${stage.id}: ${e.message}`);
      throw e;
    }
  }
  const final = keysAfter(s.stages, s.stages.length - 1, s.from, s.request!);
  const prefix = namePrefix(config.cluster.namespace, run.stackName);
  // Every instance's pre-release snapshots: after a restore cutover the original's (also once the stack forgot
  // it: they stay in AWS and count against the quota) and the new primary's.
  const restored = databaseIdentifiers(prefix, config.database.restore).restored;
  const rotated = await rotateReleaseSnapshots(run, config, restored ? [prefix, restored] : [prefix]);
  await run.d.store.appendLedger(s.stack, {
    ...ledgerEntry(s, "released", final, run.now()),
    ...(rotated.length > 0 ? { snapshotsRotated: rotated } : {}),
  });
  s.outcome = "released";
  s.endedAt = run.now().toISOString();
  await run.save();
  await run.notify(NotificationKind.Released, { keys: final });
  run.d.log(`✓ released ${s.request!.version}: ${s.request!.image} is live on ${final.live}`);
  return "released";
}
