/**
 * What the driver tells people (runbook 004 "Communication": notify stakeholders, status page; 002 §7:
 * announce, publish the completion notice): one event per transition, one message format.
 */
import { describeKeys, type ReleaseKeys } from "../../config/release-keys";

export const NotificationKind = {
  ReleaseStarted: "release-started",
  StageCompleted: "stage-completed",
  Released: "released",
  Paused: "paused",
  RollbackStarted: "rollback-started",
  RolledBack: "rolled-back",
  Aborted: "aborted",
  RollbackFailed: "rollback-failed",
  /** A post-deploy check (rollout check) found a problem within 24 h of a release. */
  CheckFailed: "post-deploy-check-failed",
} as const;
export type NotificationKindCode = (typeof NotificationKind)[keyof typeof NotificationKind];

/** info: routine (the releases topic, email); warning/critical: the alert topic, which pages. */
export type NotificationSeverity = "info" | "warning" | "critical";

export function severityOf(kind: NotificationKindCode): NotificationSeverity {
  switch (kind) {
    case "release-started":
    case "stage-completed":
    case "released":
      return "info";
    case "rollback-failed":
    case "post-deploy-check-failed":
      return "critical";
    default:
      return "warning";
  }
}

export interface ReleaseNotification {
  kind: NotificationKindCode;
  stack: string;
  release: string;
  runId: string;
  who: string;
  at: string;
  /** The stage just completed, or where the release stopped. */
  stage?: string;
  /** Production weights after the transition. */
  weights: { blue: number; green: number };
  /** Why (a rollback's reason code and detail, a pause's detail). */
  reason?: string;
}

/** Production weights of a set of release keys (the listener's weights: components/blue-green.ts). */
export function weightsOf(keys: ReleaseKeys): { blue: number; green: number } {
  const other = keys.live === "blue" ? "green" : "blue";
  const w = { blue: 0, green: 0 };
  w[keys.live] = 100 - keys.canaryWeight;
  w[other] = keys.canaryWeight;
  return w;
}

/** The one-line subject and the body every channel sends. */
export function renderNotification(n: ReleaseNotification, keys?: ReleaseKeys): { subject: string; body: string } {
  const what: Record<NotificationKindCode, string> = {
    "release-started": "release started",
    "stage-completed": `stage ${n.stage} done`,
    released: "released",
    paused: `paused at ${n.stage}: a person decides (resume or abort)`,
    "rollback-started": "rolling back",
    "rolled-back": "rolled back",
    aborted: "aborted",
    "rollback-failed": "ROLLBACK FAILED: page the rollback owner",
    "post-deploy-check-failed": "post-deploy check FAILED: look now (roll back?)",
  };
  const subject = `[${n.stack}] ${n.release}: ${what[n.kind]} (blue ${n.weights.blue}% / green ${n.weights.green}%)`;
  const body = [
    subject,
    `stack: ${n.stack}`,
    `release: ${n.release} (run ${n.runId}, by ${n.who})`,
    n.stage ? `stage: ${n.stage}` : undefined,
    `weights: blue ${n.weights.blue}%, green ${n.weights.green}%`,
    keys ? `deployed: ${describeKeys(keys)}` : undefined,
    n.reason ? `why: ${n.reason}` : undefined,
    `at: ${n.at}`,
  ]
    .filter(Boolean)
    .join("\n");
  return { subject: subject.slice(0, 99), body };
}
