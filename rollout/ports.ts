/**
 * The driver's view of the outside world: small interfaces with real implementations (Pulumi Automation
 * API, CloudWatch, ACM, SSM) and fakes in tests. The driver never talks to a cloud API directly.
 */

import type { StructuredConfig } from "./config-state";

/** Flat stack config as the Automation API returns it: `"app:blueGreen"` → JSON text for structured values. */
export type FlatConfig = Record<string, { value: string; secret?: boolean }>;

export interface UpdateRecord {
  version: number;
  result: "succeeded" | "failed" | "in-progress" | "not-started";
  startTime: Date;
  config: StructuredConfig;
  kind: string;
  /** The update message (the driver's are `rollout <release>: <stage>`). */
  message: string;
}

export interface UpResult {
  /** Resources changed by the update (Pulumi's resourceChanges), when known. */
  changes?: Record<string, number>;
}

/** Stack operations (real: `@pulumi/pulumi/automation`, see rollout/pulumi-stack.ts). */
export interface StackOps {
  readonly stack: string;
  getConfig(): Promise<StructuredConfig>;
  /** Sets whole top-level values (typed: objects stay objects, strings stay strings). */
  setConfig(values: StructuredConfig): Promise<void>;
  /** Removes top-level keys. */
  removeConfig(keys: string[]): Promise<void>;
  /** `pulumi up` with the policy pack and the stack's policy config; throws `StackError` on failure. */
  up(message: string, onOutput: (line: string) => void): Promise<UpResult>;
  history(): Promise<UpdateRecord[]>;
}

export type AlarmState = "OK" | "ALARM" | "INSUFFICIENT_DATA";

/** CloudWatch DescribeAlarms for composite alarms (real: rollout/aws.ts). */
export interface AlarmSource {
  states(names: string[]): Promise<Record<string, AlarmState>>;
}

/** ACM DescribeCertificate (real: rollout/aws.ts). */
export interface CertificateSource {
  /** The certificate's NotAfter. */
  notAfter(arn: string): Promise<Date>;
}

/** Where ledger entries are mirrored so history survives the machine (real: SSM parameters). */
export interface LedgerMirror {
  put(stack: string, entry: LedgerEntry): Promise<void>;
}

export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

export interface LedgerEntry {
  kind: "release" | "rollback" | "abort";
  outcome: "released" | "rolled-back" | "failed" | "aborted";
  stack: string;
  who: string;
  startedAt: string;
  endedAt: string;
  release?: string;
  from: { color: string; image: string };
  to: { color: string; image: string };
  stagesReached: string[];
  reason?: string;
}

/** Why a stack operation failed, classified for a clear message and exit code. */
export type StackErrorKind = "locked" | "credentials" | "unknown-stack" | "decrypt" | "cli-missing" | "update-failed";

export class StackError extends Error {
  constructor(
    readonly kind: StackErrorKind,
    message: string,
  ) {
    super(message);
    this.name = "StackError";
  }
}
