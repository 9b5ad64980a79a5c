/**
 * One driver run holding the stack's lease: its dependencies, the durable status it advances, and the one
 * path every `pulumi up` takes — compose the config (checkout + release keys), run the offline gate on it
 * (the engine runs stack policies only after an update's changes are applied, so they are checked here
 * first), record the up as in flight, run it, record the deployed release keys.
 */
import type { ReleaseKeys } from "../config/release-keys";
import type { CapturedResource } from "../gate/capture";
import { diffPlans } from "../gate/diff";
import {
  type Checkout,
  type ComposedConfig,
  composeConfig,
  composePolicyConfig,
  rollbackPolicyOverrides,
} from "./compose";
import { InterruptedError } from "./errors";
import { type LeaseKeeper, Preempted } from "./lease";
import { formatMessage, type UpPurpose } from "./model/message";
import {
  type NotificationKindCode,
  type ReleaseNotification,
  renderNotification,
  severityOf,
  weightsOf,
} from "./model/notification";
import type { RolloutStatus } from "./model/status";
import {
  type AlarmSource,
  type AppProbe,
  type CertificateSource,
  type Clock,
  type ListenerTopology,
  type Notifier,
  type RolloutStore,
  type SnapshotStore,
  StackError,
  type StackOps,
  type TrafficControl,
  type UpOutcome,
} from "./ports";
import { LeaseLostError } from "./store/port";

export interface GateVerdict {
  decision: "go" | "no-go" | "invalid-config";
  violations: { policy: string; enforcement: string; message: string }[];
}

/** The offline gate on a composed config at a time, with the policy config the `up` will use (`step`: for reports). */
export type GateCheck = (
  config: ComposedConfig,
  at: Date,
  policyConfigFile: string,
  step: string,
) => Promise<GateVerdict>;

export interface DriverDeps {
  stack: StackOps;
  alarms: AlarmSource;
  /** The production listener, driven directly to restore traffic fast on a rollback. */
  traffic: TrafficControl;
  /** Release notifications (alert topic, webhook). */
  notifier: Notifier;
  /** The application's readiness and ops summary through the production URL. */
  app: AppProbe;
  /** Pre-release snapshots (rotation after a release). */
  snapshots: SnapshotStore;
  certificates: CertificateSource;
  clock: Clock;
  store: RolloutStore;
  checkout: Checkout;
  /** Policy pack directory (its config/<stack>.json is the base of every up's policy config). */
  packDir: string;
  gate: GateCheck;
  /** The resources the program declares for a composed config (the offline capture, no engine). */
  plan: (config: ComposedConfig) => Promise<CapturedResource[]>;
  who: string;
  log: (line: string) => void;
  /** Aborted on SIGINT/SIGTERM: the running `up` is cancelled gracefully and the run stops. */
  signal?: AbortSignal;
  /** Run ids of new runs (the twin: deterministic in virtual time). @default time + random */
  runId?: () => string;
  /** Lease heartbeat while an `up` runs. @default 30 s */
  heartbeatMs?: number;
}

/** A stage's config was refused by the gate before its `up` (nothing changed). */
export class GateRefusal extends Error {
  override name = "GateRefusal";
  constructor(
    readonly verdict: GateVerdict,
    readonly windowOnly: boolean,
  ) {
    super(
      `the readiness gate says ${verdict.decision}:\n${verdict.violations
        .filter((v) => v.enforcement === "mandatory" || v.enforcement === "remediate")
        .map((v) => `  ✗ ${v.policy}: ${v.message}`)
        .join("\n")}`,
    );
  }
}

/** An `up` failed after it started changing resources. */
export class UpFailed extends Error {
  override name = "UpFailed";
}

export class Run {
  constructor(
    readonly d: DriverDeps,
    readonly lease: LeaseKeeper,
    public status: RolloutStatus,
  ) {}

  get stackName(): string {
    return this.d.stack.stack;
  }

  now(): Date {
    return this.d.clock.now();
  }

  /** Set when this run took over an update a dead process left in flight (its CLI may still be running). */
  adoptedInFlight?: string;

  /** The production listener and target groups (from the last update's outputs, else the store). */
  private topology?: ListenerTopology;

  async listenerTopology(): Promise<ListenerTopology | undefined> {
    this.topology ??= (await this.d.store.read(this.stackName)).release?.topology;
    return this.topology;
  }

  /** Persists the status (and the deployed release keys), as the lease holder. */
  async save(deployed?: ReleaseKeys): Promise<void> {
    const topology = deployed && (await this.listenerTopology());
    await this.d.store.save(this.stackName, this.lease.epoch, {
      status: this.status,
      release: deployed && {
        keys: deployed,
        updatedAt: this.now().toISOString(),
        runId: this.lease.holder.runId,
        ...(topology ? { topology } : {}),
      },
    });
  }

  /**
   * Tells people about a transition (runbook 004 "Communication"). A failed notification is a warning in
   * the log: it never fails, delays past 10 s or rolls back a release.
   */
  async notify(kind: NotificationKindCode, o: { stage?: string; keys?: ReleaseKeys; reason?: string } = {}) {
    const s = this.status;
    let subject = `${kind} ${s.stack}`;
    // Everything the notification needs (the store reads too) is inside the 10 s bound.
    const send = async () => {
      const keys = o.keys ?? (await this.d.store.read(this.stackName)).release?.keys ?? s.from;
      const n: ReleaseNotification = {
        kind,
        stack: s.stack,
        release: s.request?.version ?? s.from.version,
        runId: s.runId,
        who: s.who,
        at: this.now().toISOString(),
        stage: o.stage,
        weights: weightsOf(keys),
        reason: o.reason,
      };
      const text = renderNotification(n, keys);
      subject = text.subject;
      const severity = severityOf(kind);
      const topology = await this.listenerTopology();
      const topicArn = severity === "info" ? topology?.releaseTopicArn : topology?.alertTopicArn;
      await this.d.notifier.notify(n, { topicArn, severity, ...text });
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        send(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error("timed out after 10 s")), 10_000);
        }),
      ]);
    } catch (e) {
      this.d.log(`  warning: notification "${subject}" not sent: ${(e as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Heartbeat: throws when the lease was lost or another command asked this run to stop. */
  async checkIn(): Promise<void> {
    if (this.d.signal?.aborted) throw new InterruptedError("cancelled by a signal (SIGINT/SIGTERM)");
    await this.lease.heartbeat();
  }

  /**
   * Runs one `up` deploying `keys`. Forward steps are refused before the up when the gate says no-go
   * (`GateRefusal`); rollback steps are never blocked by the gate (its verdict is logged) and run with the
   * release window advisory. Throws `StackError` when the up could not start (nothing changed) and
   * `UpFailed` when it failed after changing resources.
   */
  async up(
    step: string,
    keys: ReleaseKeys,
    purpose: UpPurpose,
    o: { rollback?: boolean; target?: string[] } = {},
  ): Promise<UpOutcome> {
    const composed = composeConfig(this.d.checkout, this.stackName, keys);
    const policy = composePolicyConfig(this.d.packDir, this.stackName, o.rollback ? rollbackPolicyOverrides() : {});
    try {
      const verdict = await this.d.gate(composed, this.now(), policy.file, step);
      const blocking = verdict.violations.filter((v) => v.enforcement === "mandatory" || v.enforcement === "remediate");
      if (verdict.decision !== "go") {
        if (!o.rollback)
          throw new GateRefusal(verdict, blocking.length > 0 && blocking.every((v) => v.policy === "release-window"));
        this.d.log(
          `  gate: ${verdict.decision} on the rollback config (not blocking a rollback): ${blocking.map((v) => v.policy).join(", ")}`,
        );
      } else this.d.log(`  gate: go (${step})`);
      this.status.inFlight = { step, keys, runId: this.lease.holder.runId, startedAt: this.now().toISOString() };
      await this.save();
      const message = formatMessage(purpose);
      this.d.log(`  pulumi up: ${message}`);
      const out = await this.withHeartbeat(() =>
        this.d.stack.up({
          message,
          configFile: composed.file,
          policyPackConfigFile: policy.file,
          target: o.target,
          signal: this.d.signal,
          onOutput: (line) => this.d.log(`    | ${line.trimEnd()}`),
        }),
      );
      this.status.inFlight = undefined;
      this.topology = topologyOf(out.outputs) ?? this.topology;
      await this.save(keys);
      return out;
    } catch (e) {
      if (e instanceof GateRefusal || !(e instanceof StackError)) throw e;
      this.status.inFlight = undefined;
      // Half-applied changes count as deployed: whatever follows (a rollback) starts from these keys.
      await this.save(e.changesStarted ? keys : undefined);
      if (e.kind === "cancelled") throw new InterruptedError(`the ${step} update was cancelled: ${e.message}`);
      if (!e.changesStarted) throw e;
      throw new UpFailed(`${step} failed: ${e.message}`);
    } finally {
      composed.dispose();
      policy.dispose();
    }
  }

  /**
   * The URNs whose desired state differs between two sets of release keys (added, removed or changed):
   * what a targeted `up` must touch to go from one to the other, and nothing else — so a rollback never
   * re-awaits or replaces the release's Jobs, nor re-creates a snapshot (docs/release.md "Rollback").
   */
  async changedUrns(from: ReleaseKeys, to: ReleaseKeys): Promise<string[]> {
    const a = composeConfig(this.d.checkout, this.stackName, from);
    const b = composeConfig(this.d.checkout, this.stackName, to);
    try {
      const [before, after] = await Promise.all([this.d.plan(a), this.d.plan(b)]);
      const d = diffPlans({ resources: before }, { resources: after });
      return [...d.added, ...d.removed, ...d.changed].map((r) => r.urn);
    } finally {
      a.dispose();
      b.dispose();
    }
  }

  /** Renews the lease while `f` runs; a preempt request is remembered and honoured after `f`. */
  private async withHeartbeat<T>(f: () => Promise<T>): Promise<T> {
    const stop = new AbortController();
    let preempted: Preempted | undefined;
    const beat = (async () => {
      while (!stop.signal.aborted) {
        await this.d.clock.sleep(this.d.heartbeatMs ?? 30_000, stop.signal);
        if (stop.signal.aborted) return;
        try {
          await this.lease.heartbeat();
        } catch (e) {
          if (e instanceof Preempted) preempted = e;
          else if (e instanceof LeaseLostError) return;
          // A throttled or unreachable store: keep beating (a lease silent for 3 min looks dead to others).
          else this.d.log(`  lease heartbeat failed, retrying: ${(e as Error).message}`);
        }
      }
    })();
    try {
      return await f();
    } finally {
      stop.abort();
      await beat;
      if (preempted) this.d.log(`  (${preempted.message} — after this update)`);
    }
  }
}

/** The listener topology from the stack outputs (`productionListenerArn`, `targetGroupArns`), if complete. */
export function topologyOf(outputs: Record<string, unknown> | undefined): ListenerTopology | undefined {
  const listenerArn = outputs?.productionListenerArn;
  const tg = outputs?.targetGroupArns as Record<string, unknown> | undefined;
  if (typeof listenerArn !== "string" || typeof tg?.blue !== "string" || typeof tg?.green !== "string")
    return undefined;
  const str = (k: string) => (typeof outputs?.[k] === "string" ? { [k]: outputs[k] as string } : {});
  return {
    listenerArn,
    targetGroupArns: { blue: tg.blue, green: tg.green },
    ...str("alertTopicArn"),
    ...str("releaseTopicArn"),
  };
}
