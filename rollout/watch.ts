/**
 * A bake (or the post-deploy watch) that requires evidence, not only the absence of an alarm:
 * - every poll reads the gating alarms of the phase (app:rollout.gates, config/signals.ts); one in ALARM
 *   rolls back at once; one that disappeared cannot be watched and rolls back;
 * - at the end of the bake the released color must have served `app:rollout.minRequests` requests
 *   (GetMetricData on its own RequestCount) and no gating alarm may be INSUFFICIENT_DATA — ALB metrics are
 *   not reported when no requests flow, so a quiet canary never alarms (Flagger halts on "no values found",
 *   Argo's analysis goes Inconclusive). Without evidence the bake is extended up to
 *   `app:rollout.noDataExtensionMinutes`, then `app:rollout.onNoData` applies (roll back, or pause);
 * - alarm-API errors are retried; more than `app:rollout.consecutiveErrorLimit` in a row count as a failure
 *   (Argo Rollouts' analysis: "consecutiveErrors (5) > consecutiveErrorLimit (4)", default 4).
 * The lease is renewed at every poll, so an abort or a signal is noticed within one poll interval.
 */
// @readiness rollback-triggers progressive-delivery: evidence-gated bakes after each traffic step and the watch: a gating alarm rolls back
import type { Color } from "../components/blue-green";
import { namePrefix } from "../components/names";
import type { AppConfig } from "../config/schema";
import { evidenceAlarmName, type Signal, signalAlarmNames } from "../config/signals";
import { PermissionError } from "./errors";
import { Reason, type ReasonCode } from "./model/status";
import type { AlarmState } from "./ports";
import type { Run } from "./run";

export interface WatchPlan {
  label: string;
  since: Date;
  minutes: number;
  gates: readonly Signal[];
  /** The color being released (the evidence must come from it) and the other one. */
  released: Color;
  other: Color;
  /** Minutes this process must poll live before the bake may pass (a bake resumed from a dead process). */
  liveFor?: number;
  /** Alarms that do not gate until a time (the worker's backlog while jobs queued during its pause drain). */
  grace?: { names: string[]; until: number };
}

export type WatchVerdict =
  | { kind: "pass" }
  | { kind: "rollback"; reason: ReasonCode; detail: string }
  | { kind: "pause"; detail: string };

/** What one poll saw: a verdict that ends the bake, or the evidence so far. */
type Poll = { verdict: WatchVerdict } | { starved: string[]; requests?: number };

export function gatingAlarms(
  config: AppConfig,
  stack: string,
  gates: readonly Signal[],
  released: Color,
  other: Color,
) {
  const prefix = namePrefix(config.cluster.namespace, stack);
  return gates.flatMap((g) => signalAlarmNames(g, prefix, { released, other }));
}

async function poll(run: Run, config: AppConfig, w: WatchPlan, all: string[], bakeOver: boolean): Promise<Poll> {
  const states: Record<string, AlarmState> = await run.d.alarms.states(all);
  const graced = w.grace && run.now().getTime() < w.grace.until ? new Set(w.grace.names) : new Set<string>();
  const names = all.filter((n) => !graced.has(n) || !(n in states));
  const missing = names.filter((n) => !(n in states));
  if (missing.length > 0)
    return {
      verdict: {
        kind: "rollback",
        reason: Reason.SignalsUnavailable,
        detail: `alarm(s) ${missing.join(", ")} do not exist (DescribeAlarms did not return them) during ${w.label}: the release cannot be watched`,
      },
    };
  const firing = names.filter((n) => states[n] === "ALARM");
  if (firing.length > 0)
    return {
      verdict: {
        kind: "rollback",
        reason: Reason.AlarmFired,
        detail: `alarm ${firing.join(", ")} is in ALARM during ${w.label}`,
      },
    };
  const starved = names.filter((n) => states[n] === "INSUFFICIENT_DATA");
  if (!bakeOver || config.rollout.minRequests === 0) return { starved };
  const prefix = namePrefix(config.cluster.namespace, run.stackName);
  const evidence = evidenceAlarmName(prefix, w.released);
  const requests = await run.d.alarms.requestCount(evidence, w.since, run.now());
  if (requests === undefined)
    return {
      verdict: {
        kind: "rollback",
        reason: Reason.SignalsUnavailable,
        detail: `alarm ${evidence} does not exist: the requests ${w.released} served cannot be counted during ${w.label}`,
      },
    };
  return { starved, requests };
}

function evidenceMissing(
  config: AppConfig,
  w: WatchPlan,
  p: { starved: string[]; requests?: number },
): string | undefined {
  const why: string[] = [];
  const min = config.rollout.minRequests;
  if (min > 0 && (p.requests ?? 0) < min)
    why.push(`${p.requests ?? 0} requests on ${w.released} (app:rollout.minRequests: ${min})`);
  if (p.starved.length > 0) why.push(`no data: ${p.starved.join(", ")} INSUFFICIENT_DATA`);
  return why.length > 0 ? why.join("; ") : undefined;
}

function noEvidenceVerdict(config: AppConfig, w: WatchPlan, why: string): WatchVerdict {
  const detail = `no evidence after ${w.minutes + config.rollout.noDataExtensionMinutes} min of ${w.label}: ${why}`;
  return config.rollout.onNoData === "pause"
    ? { kind: "pause", detail }
    : { kind: "rollback", reason: Reason.NoEvidence, detail };
}

/**
 * Before a forward `up` that moves traffic: nothing polls while an `up` runs, so an alarm that fired during
 * the previous one (e.g. the old color during the deploy's migration) must stop the release before more
 * traffic moves, not after the next bake starts.
 */
export async function alarmsBeforeUp(
  run: Run,
  config: AppConfig,
  w: Omit<WatchPlan, "since" | "minutes">,
): Promise<WatchVerdict> {
  const names = gatingAlarms(config, run.stackName, w.gates, w.released, w.other);
  try {
    const states = await run.d.alarms.states(names);
    const firing = names.filter((n) => states[n] === "ALARM");
    if (firing.length > 0)
      return {
        kind: "rollback",
        reason: Reason.AlarmFired,
        detail: `alarm ${firing.join(", ")} is in ALARM ${w.label}`,
      };
  } catch (e) {
    // The bake that follows polls again (with its retry budget); a failed read here blocks nothing.
    run.d.log(`  ${w.label}: signal read failed: ${(e as Error).message}`);
  }
  return { kind: "pass" };
}

/** Polls until the bake has evidence and no alarm, or until a verdict. */
export async function watch(run: Run, config: AppConfig, w: WatchPlan): Promise<WatchVerdict> {
  const names = gatingAlarms(config, run.stackName, w.gates, w.released, w.other);
  const end = Math.max(w.since.getTime() + w.minutes * 60_000, run.now().getTime() + (w.liveFor ?? 0) * 60_000);
  const limit = end + config.rollout.noDataExtensionMinutes * 60_000;
  const pollMs = config.rollout.pollSeconds * 1000;
  let errors = 0;
  for (;;) {
    await run.checkIn();
    const now = run.now().getTime();
    try {
      const p = await poll(run, config, w, names, now >= end);
      errors = 0;
      if ("verdict" in p) return p.verdict;
      const missing = now >= end ? evidenceMissing(config, w, p) : undefined;
      if (now >= end && !missing) return { kind: "pass" };
      if (missing && now >= limit) return noEvidenceVerdict(config, w, missing);
      run.d.log(
        missing
          ? `  ${w.label}: extended (${Math.ceil((limit - now) / 1000)}s left): ${missing}`
          : `  ${w.label}: ${Math.ceil((end - now) / 1000)}s left, ${names.length} gating alarms without ALARM${p.starved.length ? ` (${p.starved.length} without data)` : ""}`,
      );
    } catch (e) {
      // Denied is configuration, not weather: retrying cannot help, and an unwatched canary must not stay.
      if (e instanceof PermissionError)
        return { kind: "rollback", reason: Reason.SignalsUnavailable, detail: `${w.label}: ${e.message}` };
      errors++;
      run.d.log(`  ${w.label}: signal read failed (${errors} in a row): ${(e as Error).message}`);
      if (errors > config.rollout.consecutiveErrorLimit)
        return {
          kind: "rollback",
          reason: Reason.SignalsUnavailable,
          detail: `the alarm API failed ${errors} polls in a row during ${w.label} (app:rollout.consecutiveErrorLimit: ${config.rollout.consecutiveErrorLimit}): the release cannot be watched`,
        };
    }
    const next = now < end ? end : limit;
    // A cancelled job (SIGINT/SIGTERM) wakes the bake at once: the next check-in stops the run cleanly.
    await run.d.clock.sleep(next > now ? Math.min(pollMs, next - now) : pollMs, run.d.signal);
  }
}
