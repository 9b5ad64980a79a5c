/**
 * Rollback as its own module with persisted phases. A rollback restores only release keys — never
 * secrets, the release window or data settings — and never changes the release under way (version,
 * commit, the image of the color under test), so it neither re-creates the release's snapshot nor re-runs
 * a migration nor re-runs a smoke test. Phases:
 *   scale-up  the color traffic returns to runs full replicas again (a stack rollback after the old color
 *             was scaled down); the Kubernetes provider waits for its pods to be ready;
 *   traffic   `live` back to that color with weight 0 on the other: only the production listener changes;
 *   restore   the worker image/pause and the idle scale-down as they were.
 * The rollback state is persisted before the first `up`, so a crash resumes the rollback, never the release.
 */
// @readiness rollback-triggers: automatic rollback: traffic first, then a targeted up
import { changedKeys, type ReleaseKeys } from "../config/release-keys";
import { checksAfterRollback } from "./app-checks";
import { checkoutKeys } from "./compose";
import { EXIT, InterruptedError } from "./errors";
import { Preempted } from "./lease";
import { type LedgerEntry, lineage } from "./model/ledger";
import { NotificationKind } from "./model/notification";
import {
  completedStages,
  pendingPhases,
  type ReasonCode,
  type RollbackPhaseId,
  type RollbackState,
  type RolloutStatus,
} from "./model/status";
import { StackError } from "./ports";
import type { Run } from "./run";

type PhaseList = RollbackState["phases"];

function push(out: PhaseList, id: RollbackPhaseId, from: ReleaseKeys, keys: ReleaseKeys): ReleaseKeys {
  if (changedKeys(from, keys).length > 0) out.push({ id, from, keys });
  return keys;
}

/**
 * Automatic rollback (or abort) of a release: back to the keys before it, keeping the release under way.
 * `migrationFailed`: its migration Job failed — the restore phase also removes it (no later up re-awaits or
 * re-runs a migration that fails), the release stays the one under way (its snapshot is not re-created).
 */
export function releaseRollbackPhases(
  from: ReleaseKeys,
  deployed: ReleaseKeys,
  o: { migrationFailed?: boolean } = {},
): PhaseList {
  const out: PhaseList = [];
  const traffic = push(out, "traffic", deployed, { ...structuredClone(deployed), live: from.live, canaryWeight: 0 });
  push(out, "restore", traffic, {
    ...structuredClone(traffic),
    worker: structuredClone(from.worker),
    scaleDownIdle: from.scaleDownIdle,
    ...(o.migrationFailed ? { migrationFailed: true as const } : {}),
  });
  return out;
}

/** Stack rollback to an earlier good release still running on its color. */
export function stackRollbackPhases(target: ReleaseKeys, deployed: ReleaseKeys): PhaseList {
  const out: PhaseList = [];
  let cur = deployed;
  if (deployed.scaleDownIdle && deployed.live !== target.live)
    cur = push(out, "scale-up", cur, { ...structuredClone(cur), scaleDownIdle: false });
  cur = push(out, "traffic", cur, {
    ...structuredClone(cur),
    live: target.live,
    canaryWeight: 0,
    scaleDownIdle: false,
  });
  push(out, "restore", cur, { ...structuredClone(cur), worker: structuredClone(target.worker) });
  return out;
}

export function startRollback(
  status: RolloutStatus,
  reason: ReasonCode,
  detail: string,
  by: string,
  phases: PhaseList,
  now: Date,
): RollbackState {
  const r: RollbackState = { reason, detail, by, startedAt: now.toISOString(), phases, done: [], attempts: 1 };
  status.rollback = r;
  status.paused = undefined;
  return r;
}

function ledgerKind(s: RolloutStatus): LedgerEntry["kind"] {
  if (s.kind === "rollback") return "rollback";
  return s.rollback?.reason === "Aborted" ? "abort" : "release";
}

/** The ledger entry for a finished (or failed) rollout. */
export function ledgerEntry(
  s: RolloutStatus,
  outcome: LedgerEntry["outcome"],
  to: ReleaseKeys,
  now: Date,
): LedgerEntry {
  const r = s.rollback;
  const restored = r?.trafficRestoredAt
    ? Math.round((Date.parse(r.trafficRestoredAt) - Date.parse(r.startedAt)) / 1000)
    : undefined;
  return {
    id: `${s.runId}:${ledgerKind(s)}:${outcome}:${r?.attempts ?? 0}`,
    runId: s.runId,
    kind: ledgerKind(s),
    outcome,
    stack: s.stack,
    who: s.who,
    startedAt: s.startedAt,
    endedAt: now.toISOString(),
    release: s.request?.version ?? s.from.version,
    from: s.from,
    to,
    stagesReached: completedStages(s),
    reason: r ? { code: r.reason, detail: r.lastError ? `${r.detail}; ${r.lastError}` : r.detail } : undefined,
    undoes: s.undoes,
    trafficRestoredAfterSeconds: restored,
    ...(r?.checksAfter ? { checksAfter: r.checksAfter } : {}),
    ...(s.smoke ? { smoke: s.smoke } : {}),
  };
}

/**
 * Traffic first: one ELBv2 ModifyListener to 100 % on the color traffic returns to (verified with
 * DescribeListeners), before the traffic phase's `up` — which then writes the same weights through Pulumi
 * (its state still has the old ones: the drift lasts until that `up` ends, and the `up` only converges it).
 * Used only when traffic is the first pending phase (the color is serving: no scale-up pending). Any failure
 * falls back to the `up`, which restores traffic as before.
 */
async function fastRestore(run: Run, r: RollbackState, keys: ReleaseKeys): Promise<void> {
  if (run.adoptedInFlight) {
    // A dead process's `up` may still be running (its CLI can outlive it) and would overwrite the listener
    // after this call: the phase's `up` (which waits for the stack lock) restores traffic instead.
    r.fastRestoreError = `an update of run ${run.adoptedInFlight} may still be running`;
    return;
  }
  const topology = await run.listenerTopology();
  if (!topology) {
    r.fastRestoreError = "no listener topology recorded (no update of this driver has returned the stack outputs yet)";
    return;
  }
  try {
    const weights = await run.d.traffic.forwardAll(topology, keys.live);
    if (weights[keys.live] !== 100)
      throw new Error(`DescribeListeners shows ${JSON.stringify(weights)} after ModifyListener`);
    r.trafficRestoredAt = run.now().toISOString();
    r.restoredBy = "listener";
    await run.save();
    run.d.log(`  traffic is 100% on ${keys.live} (ModifyListener); reconciling the stack`);
  } catch (e) {
    r.fastRestoreError = (e as Error).message;
    run.d.log(`  direct listener call failed (${r.fastRestoreError}): the traffic phase's up restores traffic`);
  }
}

/** Runs the pending rollback phases; returns the command result. The status is persisted after each. */
export async function runRollback(
  run: Run,
  deployed: () => Promise<ReleaseKeys>,
): Promise<"rolled-back" | "aborted" | "rollback-failed"> {
  const s = run.status;
  const r = s.rollback;
  if (!r) throw new Error("runRollback without a rollback state");
  const version = s.request?.version ?? s.from.version;
  run.d.log(
    `↩ rolling back (${r.reason}: ${r.detail}); phases: ${
      pendingPhases(r)
        .map((p) => p.id)
        .join(", ") || "none left"
    }`,
  );
  try {
    for (const phase of pendingPhases(r)) await runPhase(run, s, r, phase, version);
  } catch (e) {
    return await rollbackFailed(run, s, r, e, deployed);
  }
  return finishRollback(run, s, r, deployed);
}

/** One rollback phase: its targeted `up` (traffic first through the listener when possible), then the save. */
async function runPhase(
  run: Run,
  s: RolloutStatus,
  r: RollbackState,
  phase: PhaseList[number],
  version: string,
): Promise<void> {
  try {
    await run.checkIn();
  } catch (e) {
    // A rollback is not preempted by another abort/rollback: it is what they would do anyway.
    if (!(e instanceof Preempted)) throw e;
  }
  if (phase.id === "traffic" && !r.trafficRestoredAt && pendingPhases(r)[0]?.id === "traffic")
    await fastRestore(run, r, phase.keys);
  // Announced once traffic is safe where possible; when it is not yet (no direct listener call), the
  // announcement is not awaited: nothing delays the up that restores traffic.
  if (!r.announcedAt) {
    r.announcedAt = run.now().toISOString();
    const told = run.notify(NotificationKind.RollbackStarted, {
      stage: completedStages(s).at(-1),
      keys: r.trafficRestoredAt ? phase.keys : undefined,
      reason: `${r.reason}: ${r.detail}`,
    });
    if (r.trafficRestoredAt) await told;
  }
  // Targeted at what the phase changes (the production listener for traffic): a failed Job of the
  // release is neither re-awaited nor replaced, nothing else is re-created (pulumi up --target).
  const target = await run.changedUrns(phase.from, phase.keys);
  // No resource differs: record the keys only (an empty --target list would mean the whole stack).
  if (target.length > 0)
    await run.up(
      `rollback-${phase.id}`,
      phase.keys,
      { command: "rollback", runId: s.runId, version, step: phase.id, reason: r.reason },
      { rollback: true, target },
    );
  r.done.push(phase.id);
  if (phase.id === "traffic" && !r.trafficRestoredAt) {
    r.trafficRestoredAt = run.now().toISOString();
    r.restoredBy = "up";
    run.d.log(`  traffic is 100% on ${phase.keys.live}`);
  }
  await run.save(target.length > 0 ? undefined : phase.keys);
}

/**
 * A phase failed: a stack that could not be used at all leaves the rollback pending (rethrown), as does an
 * interruption; any other failure fails the rollback (ledger, status, notification).
 */
async function rollbackFailed(
  run: Run,
  s: RolloutStatus,
  r: RollbackState,
  e: unknown,
  deployed: () => Promise<ReleaseKeys>,
): Promise<"rollback-failed"> {
  if (e instanceof StackError && !e.changesStarted && e.kind !== "update-failed") {
    // The stack could not be used at all (locked, credentials): the rollback stays pending, retryable.
    r.lastError = e.message;
    await run.save();
    // Traffic may still be split: whoever owns the rollback must hear it now, not at the next resume.
    if (!r.trafficRestoredAt)
      await run.notify(NotificationKind.RollbackFailed, { reason: `rollback stalled (${e.kind}): ${e.message}` });
    throw e;
  }
  if (e instanceof InterruptedError) throw e;
  r.lastError = (e as Error).message;
  s.outcome = "rollback-failed";
  s.endedAt = run.now().toISOString();
  const keys = (await deployed()) ?? s.from;
  await run.d.store.appendLedger(s.stack, { ...ledgerEntry(s, "rollback-failed", keys, run.now()) });
  await run.save();
  await run.notify(NotificationKind.RollbackFailed, { keys, reason: `${r.reason}: ${r.lastError}` });
  run.d.log(
    `✗✗ the rollback failed: ${r.lastError}\n   Traffic may not be on the previous color. 'rollout status', then 'rollout resume' retries the rollback; page the rollback owner.`,
  );
  return "rollback-failed";
}

/** Every phase done: the checks after the rollback, the ledger entry, the status and the notification. */
async function finishRollback(
  run: Run,
  s: RolloutStatus,
  r: RollbackState,
  deployed: () => Promise<ReleaseKeys>,
): Promise<"rolled-back" | "aborted"> {
  const outcome = r.reason === "Aborted" ? "aborted" : "rolled-back";
  const final = r.phases.at(-1)?.keys ?? (await deployed());
  r.checksAfter ??= await checksAfterRollback(run, checkoutKeys(run.d.checkout, s.stack).config);
  await run.d.store.appendLedger(s.stack, { ...ledgerEntry(s, outcome, final, run.now()) });
  s.outcome = outcome;
  s.endedAt = run.now().toISOString();
  r.lastError = undefined;
  await run.save();
  await run.notify(outcome === "aborted" ? NotificationKind.Aborted : NotificationKind.RolledBack, {
    keys: final,
    reason: `${r.reason}: ${r.detail}`,
  });
  run.d.log(`✓ ${outcome}: traffic is on ${final.live} (${final.images[final.live]}); exit ${EXIT[outcome]}`);
  return outcome;
}

/** The run id of the release a stack rollback undoes (for `status`, `history`). */
export function currentRelease(entries: LedgerEntry[]): string | undefined {
  return lineage(entries).at(-1)?.runId;
}
