/**
 * The driver's view of the outside world: small interfaces with real implementations (Pulumi Automation
 * API, CloudWatch, ACM, DynamoDB) and twin implementations (rollout/twin/) that model the same constraints.
 * The driver never talks to a cloud API or the CLI directly.
 */

import type { NotificationSeverity, ReleaseNotification } from "./model/notification";
import type { ReleaseState, RolloutStatus } from "./model/status";
import type { ReleaseStore } from "./store/port";

/** What a step of an update did (Pulumi's resource operations, simplified). */
export type StepOp = "create" | "update" | "replace" | "delete" | "same";

export interface UpRequest {
  /** Update message (rollout/model/message.ts). */
  message: string;
  /** The composed stack config (`pulumi up --config-file`): secrets stay ciphertext, never on argv. */
  configFile: string;
  /** `--policy-pack-config` for the policy pack (policy/). */
  policyPackConfigFile: string;
  /** `--target`: only these resources (URNs). */
  target?: string[];
  /** Cancels the update (SIGINT to the CLI: a graceful cancel that releases the stack lock). */
  signal?: AbortSignal;
  onOutput?: (line: string) => void;
}

export interface UpOutcome {
  /** Update version in the stack history. */
  version?: number;
  /** Resource operations by kind. */
  changes: Partial<Record<StepOp, number>>;
  /** The stack outputs the driver uses (an allow-list, never a secret one) after the update. */
  outputs?: Record<string, unknown>;
}

export interface UpdateSummary {
  version: number;
  kind: string;
  result: "succeeded" | "failed" | "in-progress" | "not-started";
  message: string;
  startTime: Date;
  endTime?: Date;
}

/** Stack operations (real: rollout/pulumi-stack.ts; twin: rollout/twin/stack.ts). */
export interface StackOps {
  readonly stack: string;
  /** `pulumi up` with the policy pack; throws `StackError`. */
  up(req: UpRequest): Promise<UpOutcome>;
  /** One page of `pulumi stack history` (newest first, page 1 is the newest), without secrets. */
  history(page: number, pageSize: number): Promise<UpdateSummary[]>;
  /** `pulumi cancel`: stops the update in progress and releases the stack lock. */
  cancel(): Promise<void>;
}

export type AlarmState = "OK" | "ALARM" | "INSUFFICIENT_DATA";

/** CloudWatch: alarm states and the evidence behind them. */
export interface AlarmSource {
  /** DescribeAlarms: the states of the named alarms that exist (missing names are absent). */
  states(names: string[]): Promise<Record<string, AlarmState>>;
  /**
   * The requests counted by the `RequestCount` metric that alarm `alarmName` evaluates (its own dimensions,
   * as created), summed over [from, to): GetMetricData. 0 when no datapoint was published (the ALB reports
   * no RequestCount for a minute without requests); undefined when the alarm does not exist.
   */
  requestCount(alarmName: string, from: Date, to: Date): Promise<number | undefined>;
}

/** Where production traffic is routed: the production listener and the target group of each color (stack outputs). */
export interface ListenerTopology {
  listenerArn: string;
  targetGroupArns: Record<"blue" | "green", string>;
  /** The stack's alert topic (output `alertTopicArn`): warnings and critical release events (they page). */
  alertTopicArn?: string;
  /** The routine release events topic (output `releaseTopicArn`: email only). */
  releaseTopicArn?: string;
}

/**
 * The production listener, driven directly (ELBv2) — only to restore traffic fast on a rollback, before
 * the stack is reconciled with an `up` to the same weights (docs/release.md "Fast traffic restore").
 */
export interface TrafficControl {
  /**
   * ModifyListener: forward 100 % to `color`'s target group (weight 0 on the other), then DescribeListeners
   * to verify. Returns the weights read back, by color. Throws when either call fails.
   */
  forwardAll(topology: ListenerTopology, color: "blue" | "green"): Promise<Record<"blue" | "green", number>>;
}

/**
 * Where people hear about a release: the stack's alert topic (SNS Publish) and an optional webhook (a status
 * page). Failures are the caller's warnings, never a failed release.
 */
export interface Notifier {
  notify(
    n: ReleaseNotification,
    o: { topicArn?: string; subject: string; body: string; severity: NotificationSeverity },
  ): Promise<void>;
}

/**
 * The application as its users reach it (the production URL), with the admin token read from Secrets
 * Manager at run time and kept in memory only: readiness and the admin ops summary (runbook 001 §4.7, §6.4).
 */
export interface AppProbe {
  /** GET the readiness path: ok, or what it answered. */
  ready(): Promise<{ ok: boolean; detail: string }>;
  /** The admin ops summary (JSON); throws with the reason when it cannot be read. */
  opsSummary(): Promise<Record<string, unknown>>;
  /** What `/version` reports (service and version); throws when it cannot be read. */
  version(): Promise<{ service?: string; version?: string }>;
}

/** A manual RDS snapshot (DescribeDBSnapshots). */
export interface DbSnapshot {
  id: string;
  createdAt: Date;
  tags: Record<string, string>;
}

/** The pre-release snapshots the program retains in AWS when a release replaces them (rotation). */
export interface SnapshotStore {
  /** Manual snapshots of the instance (all pages). */
  list(dbInstanceIdentifier: string): Promise<DbSnapshot[]>;
  /** DeleteDBSnapshot. */
  delete(id: string): Promise<void>;
}

/** ACM DescribeCertificate. */
export interface CertificateSource {
  notAfter(arn: string): Promise<Date>;
}

export interface Clock {
  now(): Date;
  /** Resolves after `ms`, or as soon as `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const onAbort = () => {
        clearTimeout(t);
        resolve();
      };
      const t = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};

/** The store the driver keeps its lease, status, deployed release keys and ledger in. */
export type RolloutStore = ReleaseStore<RolloutStatus, ReleaseState>;

/** Why a stack operation failed, classified for a clear message and exit code. */
export type StackErrorKind =
  | "locked"
  | "credentials"
  | "unknown-stack"
  | "decrypt"
  | "cli-missing"
  | "cancelled"
  | "update-failed";

export class StackError extends Error {
  constructor(
    readonly kind: StackErrorKind,
    message: string,
    /** Whether the update started changing resources before it failed (then the stack may be half-changed). */
    readonly changesStarted = false,
  ) {
    super(message);
    this.name = "StackError";
  }
}
