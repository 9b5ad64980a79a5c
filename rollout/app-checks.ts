/**
 * The application's own go/no-go (runbook 001 §4.7 "validate privileged admin signal endpoint", §5 "no
 * critical regression in ops summary counters", §6.4 "re-run post-rollback validation"): the admin ops
 * summary through the production URL — a baseline at preflight, a comparison after each traffic step, the
 * flip and the watch — and readiness plus the summary after a rollback, recorded in the ledger.
 */
import type { AppConfig } from "../config/schema";
import { at, counterRegressions } from "../smoke/checks";
import { Reason } from "./model/status";
import type { AppProbe } from "./ports";
import type { Refusal } from "./preflight";
import type { Run } from "./run";
import type { WatchVerdict } from "./watch";

/** Preflight: the summary answers with the admin token; its counters become the release's baseline. */
export async function opsBaseline(
  app: AppProbe,
  config: AppConfig,
): Promise<{ refusal: Refusal; baseline?: Record<string, unknown> }> {
  if (!config.checks.opsSummary.enabled) return { refusal: undefined };
  let baseline: Record<string, unknown>;
  try {
    baseline = await app.opsSummary();
  } catch (e) {
    return {
      refusal: `the admin ops summary cannot be read (runbook 001 §4.7: validate the privileged endpoint before releasing): ${(e as Error).message}`,
    };
  }
  // A critical counter the summary does not have would only be noticed after traffic moved.
  const missing = config.checks.opsSummary.critical.filter((c) => typeof at(baseline, c.counter) !== "number");
  if (missing.length > 0)
    return {
      refusal: `app:checks.opsSummary.critical names ${missing.map((c) => c.counter).join(", ")}, which the ops summary (${config.checks.opsSummary.path}) does not report as numbers`,
    };
  return { refusal: undefined, baseline };
}

/** After a stage: a critical counter that grew more than allowed since the baseline is a no-go. */
export async function opsRegression(run: Run, config: AppConfig, stage: string): Promise<WatchVerdict> {
  const baseline = run.status.opsBaseline;
  if (!baseline || !config.checks.opsSummary.enabled) return { kind: "pass" };
  let now: Record<string, unknown>;
  try {
    now = await run.d.app.opsSummary();
  } catch (e) {
    // During the traffic steps the alarms still gate and the old color still serves: a warning. Once the
    // new color serves everything (flip, watch) an endpoint it broke is a no-go, not a silent pass.
    const message = `ops summary not read after ${stage}: ${(e as Error).message}`;
    if (stage === "flip" || stage === "watch")
      return { kind: "rollback", reason: Reason.SignalsUnavailable, detail: message };
    run.d.log(`  warning: ${message}`);
    return { kind: "pass" };
  }
  const critical = config.checks.opsSummary.critical;
  // A counter below its baseline was reset (pods restarted, per-process counters): compare from here on.
  const reset = critical.filter((c) => {
    const before = at(baseline, c.counter);
    const after = at(now, c.counter);
    return typeof before === "number" && typeof after === "number" && after < before;
  });
  if (reset.length > 0) {
    run.d.log(`  warning: ${reset.map((c) => c.counter).join(", ")} went down after ${stage} (a reset): new baseline`);
    run.status.opsBaseline = now;
    await run.save();
    return { kind: "pass" };
  }
  const regressions = counterRegressions(baseline, now, critical);
  if (regressions.length === 0) return { kind: "pass" };
  return {
    kind: "rollback",
    reason: Reason.OpsRegression,
    detail: `ops summary after ${stage}: ${regressions.join("; ")} (app:checks.opsSummary.critical)`,
  };
}

export interface ChecksAfterRollback {
  ready: string;
  opsSummary?: Record<string, unknown>;
  opsError?: string;
}

/** After a rollback: readiness and the ops summary of what serves traffic now (for the ledger). */
export async function checksAfterRollback(run: Run, config: AppConfig): Promise<ChecksAfterRollback> {
  const ready = await run.d.app.ready().catch((e: Error) => ({ ok: false, detail: e.message }));
  const out: ChecksAfterRollback = { ready: ready.ok ? "ok" : ready.detail };
  if (config.checks.opsSummary.enabled)
    try {
      out.opsSummary = await run.d.app.opsSummary();
    } catch (e) {
      out.opsError = (e as Error).message;
    }
  run.d.log(
    `  after the rollback: ready ${out.ready}${out.opsError ? `; ops summary not read: ${out.opsError}` : out.opsSummary ? "; ops summary read" : ""}`,
  );
  return out;
}
