/** Outcomes and errors of driver commands, and the exit code each one maps to (one table). */

/** The driver refused to act; nothing was changed. */
export class RefusedError extends Error {
  override name = "RefusedError";
}

/** This run stopped because another command took over (abort/rollback preempted it) or it was signalled. */
export class InterruptedError extends Error {
  override name = "InterruptedError";
}

/** A service the driver needs (AWS API, release store) could not be used; nothing more was changed. */
export class UnavailableError extends Error {
  override name = "UnavailableError";
}

/** An AWS API refused the call for lack of permission: a configuration error, never retried. */
export class PermissionError extends UnavailableError {
  override name = "PermissionError";
}

export type CommandResult =
  | "released"
  | "rolled-back"
  | "aborted"
  | "applied"
  | "unlocked"
  | "rollback-failed"
  | "interrupted"
  | "paused"
  | "unhealthy"
  | "refused"
  | "unavailable"
  | "done"
  | "failed";

/**
 * Exit codes: 0 done (released, applied, unlocked, status); 1 rolled back or aborted (traffic is on the
 * previous color); 2 refused (bad arguments, invalid config, preflight failed, lease held) — nothing
 * changed; 3 the stack or the release store could not be used (locked, credentials, lease lost) — nothing
 * more changed; 4 a rollback failed — a human must act (`rollout resume` retries it); 5 interrupted —
 * another command (abort, rollback) took over, or the job was cancelled (SIGINT/SIGTERM): `rollout status`;
 * 6 failed — an `apply` whose update failed after changing resources, or an unexpected error: the stack may be
 * partly changed, no release or rollback is under way (`rollout status`, then fix and `apply` again);
 * 7 paused — a bake ended without evidence (app:rollout.onNoData: pause): traffic stays where it is until a
 * person runs `rollout resume` (bakes that stage again) or `rollout abort`; 8 unhealthy — `rollout check`
 * found a problem after a release (readiness, ops summary, an alarm) and paged the alert topic.
 */
export const EXIT: Record<CommandResult, number> = {
  released: 0,
  applied: 0,
  unlocked: 0,
  done: 0,
  "rolled-back": 1,
  aborted: 1,
  refused: 2,
  unavailable: 3,
  "rollback-failed": 4,
  interrupted: 5,
  failed: 6,
  paused: 7,
  unhealthy: 8,
};
