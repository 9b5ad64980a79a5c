/**
 * The forward path of a release: every pending stage in order — its `up` (gated), then its bake or watch
 * polling the gating alarms — persisting progress after each step. Any trigger (an alarm, a failed up, a
 * gate refusal, the window closing) persists a rollback and hands over to rollout/rollback.ts.
 */
import { namePrefix, rollbackAlarmName } from "../components/names";
import type { ReleaseKeys } from "../config/release-keys";
import type { AppConfig } from "../config/schema";
import { keysAfter, newColor, type Stage } from "./model/stages";
import { Reason, type ReasonCode } from "./model/status";
import { StackError } from "./ports";
import { ledgerEntry, releaseRollbackPhases, runRollback, startRollback } from "./rollback";
import { GateRefusal, type Run, UpFailed } from "./run";

/** The deployed release keys as the store has them. */
export async function deployedKeys(run: Run): Promise<ReleaseKeys> {
  const rec = await run.d.store.read(run.stackName);
  return rec.release?.keys ?? run.status.from;
}

async function rollBack(run: Run, reason: ReasonCode, detail: string) {
  run.d.log(`✗ ${detail}`);
  startRollback(
    run.status,
    reason,
    detail,
    "rollout (automatic)",
    releaseRollbackPhases(run.status.from, await deployedKeys(run)),
    run.now(),
  );
  await run.save();
  return runRollback(run, () => deployedKeys(run));
}

/**
 * Polls the gating alarms every `pollSeconds` until `minutes` after `since`; returns why to roll back, or
 * nothing. Renews the lease at every poll (so an abort is noticed within one poll interval).
 */
async function watch(
  run: Run,
  config: AppConfig,
  since: Date,
  minutes: number,
  label: string,
): Promise<string | undefined> {
  const alarm = rollbackAlarmName(namePrefix(config.cluster.namespace, run.stackName), newColor(run.status.from));
  const end = since.getTime() + minutes * 60_000;
  const pollMs = config.rollout.pollSeconds * 1000;
  let errors = 0;
  for (;;) {
    await run.checkIn();
    const left = end - run.now().getTime();
    try {
      const state = (await run.d.alarms.states([alarm]))[alarm];
      errors = 0;
      if (state === undefined)
        return `alarm ${alarm} does not exist (DescribeAlarms did not return it) during ${label}: the new color cannot be watched`;
      if (state === "ALARM") return `alarm ${alarm} is in ALARM during ${label}`;
      run.d.log(`  ${label}: ${Math.max(0, Math.ceil(left / 1000))}s left, ${alarm} ${state}`);
    } catch (e) {
      errors++;
      run.d.log(`  ${label}: alarm poll failed (${errors} in a row): ${(e as Error).message}`);
      if (errors >= 3)
        return `the alarm API failed ${errors} polls in a row during ${label}: the release cannot be watched`;
    }
    if (left <= 0) return undefined;
    // A cancelled job (SIGINT/SIGTERM) wakes the bake at once: the next check-in stops the run cleanly.
    await run.d.clock.sleep(Math.min(pollMs, left), run.d.signal);
  }
}

async function runStage(run: Run, config: AppConfig, stage: Stage, index: number): Promise<string | undefined> {
  const s = run.status;
  const request = s.request!;
  s.progress[stage.id] ??= {};
  const progress = s.progress[stage.id];
  if (stage.kind !== "watch" && !progress.upEndedAt) {
    progress.upStartedAt = run.now().toISOString();
    await run.up(stage.id, keysAfter(s.stages, index, s.from, request), {
      command: "release",
      runId: s.runId,
      version: request.version,
      step: stage.id,
    });
    progress.upEndedAt = run.now().toISOString();
    await run.save();
  }
  const minutes = stage.kind === "traffic" ? stage.bakeMinutes : stage.kind === "watch" ? stage.minutes : 0;
  if (minutes > 0) {
    progress.bakeStartedAt ??= run.now().toISOString();
    await run.save();
    const label = stage.kind === "traffic" ? `bake at ${stage.weight}%` : "post-deploy watch";
    const fired = await watch(run, config, new Date(progress.bakeStartedAt), minutes, label);
    if (fired) return fired;
  }
  progress.completedAt = run.now().toISOString();
  await run.save();
  return undefined;
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
): Promise<"released" | "rolled-back" | "aborted" | "rollback-failed"> {
  const s = run.status;
  for (const [index, stage] of s.stages.entries()) {
    if (s.progress[stage.id]?.completedAt) continue;
    await run.checkIn();
    run.d.log(`▶ ${stage.id}`);
    try {
      const fired = await runStage(run, config, stage, index);
      if (fired) return rollBack(run, Reason.AlarmFired, fired);
    } catch (e) {
      if (e instanceof GateRefusal)
        return rollBack(run, e.windowOnly ? Reason.WindowClosed : Reason.GateNoGo, `${stage.id}: ${e.message}`);
      if (e instanceof UpFailed) return rollBack(run, Reason.UpFailed, e.message);
      // The stack cannot be used (locked, credentials) while the new color already takes traffic: nobody
      // would watch that canary. Persist a rollback (its first up may fail the same way: exit 3, and
      // resume/abort retry the rollback, never the release).
      if (e instanceof StackError && trafficMoved(run))
        return rollBack(run, Reason.UpFailed, `${stage.id}: ${e.message}`);
      throw e;
    }
  }
  const final = keysAfter(s.stages, s.stages.length - 1, s.from, s.request!);
  await run.d.store.appendLedger(s.stack, { ...ledgerEntry(s, "released", final, run.now()) });
  s.outcome = "released";
  s.endedAt = run.now().toISOString();
  await run.save();
  run.d.log(`✓ released ${s.request!.version}: ${s.request!.image} is live on ${final.live}`);
  return "released";
}
