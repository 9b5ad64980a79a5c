/**
 * The durable status of a rollout (kept in the release store, not on the runner) and the phase derived
 * from it by a pure function, as Argo Rollouts' `CalculateRolloutPhase` does: a process that dies at any
 * point leaves a status from which the next one re-derives what to do.
 */
import type { ReleaseKeys } from "../../config/release-keys";
import type { ListenerTopology } from "../ports";
import type { ReleaseRequest, Stage } from "./stages";

/** Why a rollback started (named constants, as in the ledger and logs). */
export const Reason = {
  /** A gating alarm went to ALARM. */
  AlarmFired: "AlarmFired",
  /** A critical counter of the admin ops summary grew more than allowed since the preflight baseline. */
  OpsRegression: "OpsRegression",
  /** A bake (or the watch) ended without evidence: too few requests, or a gating alarm without data. */
  NoEvidence: "NoEvidence",
  /** The signals could not be read: a gating alarm disappeared, or the alarm API failed too often in a row. */
  SignalsUnavailable: "SignalsUnavailable",
  /** A stage's `up` failed after it started changing resources (smoke test, migration, provider error). */
  UpFailed: "UpFailed",
  /** The offline gate said no-go on a stage's config before its `up`. */
  GateNoGo: "GateNoGo",
  /** The release window closed before the release was done. */
  WindowClosed: "WindowClosed",
  /** An operator ran `rollout abort`. */
  Aborted: "Aborted",
  /** An operator ran `rollout rollback` to return to the previous release. */
  StackRollback: "StackRollback",
} as const;
export type ReasonCode = (typeof Reason)[keyof typeof Reason];

export type RollbackPhaseId = "scale-up" | "traffic" | "restore";

export interface RollbackState {
  reason: ReasonCode;
  detail: string;
  /** Who asked (the driver itself for an automatic rollback). */
  by: string;
  startedAt: string;
  /**
   * The keys each phase goes from and to, computed once when the rollback starts: a retry of a phase whose
   * update failed half-way targets the same resources again, whatever the failed update recorded.
   */
  phases: { id: RollbackPhaseId; from: ReleaseKeys; keys: ReleaseKeys }[];
  done: RollbackPhaseId[];
  attempts: number;
  /** Set when an attempt failed: the rollback must be retried (resume, abort or rollback). */
  lastError?: string;
  /** When traffic was back on the previous color (the direct listener call, or the traffic phase's up). */
  trafficRestoredAt?: string;
  /** How: one ELBv2 ModifyListener call before the `up` (`listener`), or the traffic phase's `up` itself. */
  restoredBy?: "listener" | "up";
  /** Readiness and the ops summary after the rollback (runbook 001 §6.4), for the ledger. */
  checksAfter?: { ready: string; opsSummary?: Record<string, unknown>; opsError?: string };
  /** When people were told the rollback started. */
  announcedAt?: string;
  /** Why the direct listener call was not used or failed (then the `up` restored traffic). */
  fastRestoreError?: string;
}

export interface StageProgress {
  upStartedAt?: string;
  upEndedAt?: string;
  bakeStartedAt?: string;
  /** The driver process (lease holder run id) that last polled this bake. */
  bakeRunId?: string;
  completedAt?: string;
}

/** An `up` that was started and may not have finished (the process may have died inside it). */
export interface InFlight {
  step: string;
  keys: ReleaseKeys;
  runId: string;
  startedAt: string;
}

export type Outcome = "released" | "rolled-back" | "aborted" | "rollback-failed" | "applied";

export interface RolloutStatus {
  /** Id of the run that started this rollout (ledger entry id, update messages). */
  runId: string;
  stack: string;
  kind: "release" | "rollback";
  who: string;
  startedAt: string;
  /** Release: what is being released. */
  request?: ReleaseRequest;
  /** The keys before (what an automatic rollback returns to). */
  from: ReleaseKeys;
  /** Stack rollback: the release run being undone. */
  undoes?: string;
  stages: Stage[];
  progress: Record<string, StageProgress>;
  inFlight?: InFlight;
  /** The in-cluster smoke test of the release (runbook 002 §5: its result goes into the ledger). */
  smoke?: { job: string; ok: boolean; detail: string; at: string };
  /** The admin ops summary at preflight: critical counters are compared against it after each stage. */
  opsBaseline?: Record<string, unknown>;
  /** The release waits for a person: a bake ended without evidence and app:rollout.onNoData is `pause`. */
  paused?: { stage: string; detail: string; at: string };
  /** An abort or rollback asked this release to stop. */
  interrupt?: { by: string; command: string; reason: string; at: string };
  rollback?: RollbackState;
  outcome?: Outcome;
  endedAt?: string;
}

/** The deployed release keys (store item `release`): what every `up` of the stack deploys. */
export interface ReleaseState {
  keys: ReleaseKeys;
  updatedAt: string;
  runId: string;
  /** The production listener and target groups, from the last update's outputs (fast traffic restore). */
  topology?: ListenerTopology;
}

export type Phase =
  | "Idle"
  | "Progressing"
  | "Paused"
  | "RollingBack"
  | "RollbackFailed"
  | "Released"
  | "RolledBack"
  | "Aborted"
  | "Applied";

export function phaseOf(s: RolloutStatus | undefined): Phase {
  if (!s) return "Idle";
  switch (s.outcome) {
    case "released":
      return "Released";
    case "rolled-back":
      return "RolledBack";
    case "aborted":
      return "Aborted";
    case "rollback-failed":
      return "RollbackFailed";
    case "applied":
      return "Applied";
  }
  if (s.rollback) return "RollingBack";
  return s.paused ? "Paused" : "Progressing";
}

/** A rollout is under way (or its rollback must be retried): resume, abort and rollback continue it. */
export function isUnderWay(p: Phase): boolean {
  return p === "Progressing" || p === "Paused" || p === "RollingBack" || p === "RollbackFailed";
}

/** The status of a new run of `kind` from the keys `from`. */
export function newStatus(
  o: Pick<RolloutStatus, "runId" | "stack" | "kind" | "who" | "from"> & Partial<RolloutStatus>,
  at: Date,
): RolloutStatus {
  return { stages: [], progress: {}, ...o, startedAt: at.toISOString() };
}

/** A new rollout may start only from these phases. */
export function isSettled(p: Phase): boolean {
  return p === "Idle" || p === "Released" || p === "RolledBack" || p === "Aborted" || p === "Applied";
}

/** The stages of a release not completed yet, in order. */
export function pendingStages(s: RolloutStatus): Stage[] {
  return s.stages.filter((st) => !s.progress[st.id]?.completedAt);
}

export function completedStages(s: RolloutStatus): string[] {
  return s.stages.filter((st) => s.progress[st.id]?.completedAt).map((st) => st.id);
}

/** The rollback phases still to run. */
export function pendingPhases(r: RollbackState): RollbackState["phases"] {
  return r.phases.filter((p) => !r.done.includes(p.id));
}
