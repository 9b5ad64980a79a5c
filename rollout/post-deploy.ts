/**
 * `rollout check`: the post-deploy checks of runbook 001 §7 ("first 24 hours: hourly checks of readiness +
 * ops summary"; mandatory: readiness transitions, backlog growth, failed job and policy timeout spikes),
 * run by the scheduled `post-deploy-checks` workflow. Read-only: no lease, no `up`. Within 24 h of the
 * last release (and unless a rollout is under way or that release was rolled back since) it reads
 * readiness, `/version` (the release and the service name) and the admin ops summary through the
 * production URL, and the alarms of `app:rollout.gates.watch`; any failure is published to the alert topic
 * (it pages) and exits 8. The smoke flow is not repeated: it writes data.
 */
// @readiness post-deploy-monitoring: `rollout check`: hourly readiness + ops summary within 24 h of a release
import type { Color } from "../components/blue-green";
import { checkoutKeys } from "./compose";
import type { CommandResult } from "./errors";
import type { LedgerEntry } from "./model/ledger";
import { NotificationKind, type ReleaseNotification, renderNotification, weightsOf } from "./model/notification";
import { isSettled, phaseOf } from "./model/status";
import type { DriverDeps } from "./run";
import { gatingAlarms } from "./watch";

export const CHECK_WINDOW_HOURS = 24;

async function findings(d: DriverDeps, stack: string, release: string, live: Color, other: Color): Promise<string[]> {
  const config = checkoutKeys(d.checkout, stack).config;
  const out: string[] = [];
  const ready = await d.app.ready().catch((e: Error) => ({ ok: false, detail: e.message }));
  if (!ready.ok) out.push(`readiness: ${ready.detail}`);
  try {
    const v = await d.app.version();
    if (v.service !== config.checks.service)
      out.push(
        `/version names service ${JSON.stringify(v.service)}, expected ${JSON.stringify(config.checks.service)}`,
      );
    if (v.version !== release) out.push(`/version reports ${JSON.stringify(v.version)}, expected ${release}`);
  } catch (e) {
    out.push(`version: ${(e as Error).message}`);
  }
  if (config.checks.opsSummary.enabled)
    await d.app.opsSummary().catch((e: Error) => out.push(`ops summary: ${e.message}`));
  const names = gatingAlarms(config, stack, config.rollout.gates.watch, live, other);
  try {
    const states = await d.alarms.states(names);
    for (const n of names)
      if (states[n] === undefined) out.push(`alarm ${n} does not exist`);
      else if (states[n] === "ALARM") out.push(`alarm ${n} is in ALARM`);
  } catch (e) {
    out.push(`alarms cannot be read: ${(e as Error).message}`);
  }
  return out;
}

export async function postDeployCheck(d: DriverDeps, stack: string): Promise<CommandResult> {
  const rec = await d.store.read(stack);
  const status = rec.status;
  // A release or rollback under way is the driver's to watch (it polls, rolls back and notifies itself).
  if (status && !isSettled(phaseOf(status))) {
    d.log(`A rollout is under way on ${stack} (${phaseOf(status)}): the driver watches it; nothing checked.`);
    return "done";
  }
  const entries = (await d.store.readLedger(stack)) as unknown as LedgerEntry[];
  const last = [...entries].reverse().find((e) => e.kind === "release" && e.outcome === "released");
  const now = d.clock.now();
  const age = last ? (now.getTime() - Date.parse(last.endedAt)) / 3600_000 : Number.POSITIVE_INFINITY;
  if (age > CHECK_WINDOW_HOURS) {
    d.log(`No release on ${stack} in the last ${CHECK_WINDOW_HOURS} h: nothing to check.`);
    return "done";
  }
  // The last release was undone since: traffic is on an older one, whose checks ran back then.
  if (entries.at(-1)?.runId !== last!.runId && entries.at(-1)?.kind !== "apply") {
    d.log(`The last release of ${stack} (${last!.release}) was rolled back since: nothing to check.`);
    return "done";
  }
  const keys = rec.release?.keys ?? last!.to;
  const other: Color = keys.live === "blue" ? "green" : "blue";
  const found = await findings(d, stack, last!.release ?? keys.version, keys.live, other);
  if (found.length === 0) {
    d.log(
      `✓ ${stack}: ${last!.release} healthy ${age.toFixed(1)} h after its release (readiness, ops summary, alarms)`,
    );
    return "done";
  }
  d.log(`✗ ${stack}: ${found.join("; ")}`);
  const n: ReleaseNotification = {
    kind: NotificationKind.CheckFailed,
    stack,
    release: last!.release ?? keys.version,
    runId: last!.runId,
    who: "post-deploy-checks",
    at: now.toISOString(),
    weights: weightsOf(keys),
    reason: found.join("; "),
  };
  const text = renderNotification(n, keys);
  const topicArn = rec.release?.topology?.alertTopicArn;
  await d.notifier
    .notify(n, { topicArn, severity: "critical", ...text })
    .catch((e: Error) => d.log(`  warning: notification "${text.subject}" not sent: ${e.message}`));
  return "unhealthy";
}
