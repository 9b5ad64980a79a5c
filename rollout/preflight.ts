/**
 * Preflight of `rollout start` (runbook 001 §1, 004 "pre-deployment"): named checks, each returning the
 * refusal a person can act on, or nothing. They only read; a refused start changes nothing.
 */
// @readiness release-approval immutable-release tls-everywhere: preflight: the release window and owners, an immutable image, the certificate validity, every gating alarm OK
import { parseImmutableImage } from "@app-rollout/shared";
import type { ReleaseKeys } from "../config/release-keys";
import type { AppConfig } from "../config/schema";
import { plannedMinutes, type ReleaseRequest, type Stage } from "./model/stages";
import { isSettled, type Phase } from "./model/status";
import type { AlarmSource, CertificateSource, StackOps } from "./ports";
import type { GateVerdict } from "./run";

export type Refusal = string | undefined;

export function imageIsImmutable(image: string): Refusal {
  return parseImmutableImage(image)
    ? undefined
    : `--image ${image} is not an immutable reference (<repository>:sha-<commit> or @sha256:<digest>)`;
}

export function notAlreadyLive(deployed: ReleaseKeys, image: string): Refusal {
  return deployed.images[deployed.live] === image
    ? `${image} is already live on ${deployed.live}: nothing to release`
    : undefined;
}

export function noRolloutUnderWay(phase: Phase, stack: string): Refusal {
  if (isSettled(phase)) return undefined;
  if (phase === "RollbackFailed")
    return `the last rollback on ${stack} failed and traffic may not be where it should: 'rollout resume --stack ${stack}' (or abort) retries it; a new release waits until it succeeds`;
  return `a rollout is ${phase === "RollingBack" ? "rolling back" : "in progress"} on ${stack}: 'rollout resume' or 'rollout abort' it first`;
}

export function windowOpen(config: AppConfig, now: Date): Refusal {
  const w = config.release.window;
  return now < new Date(w.start) || now > new Date(w.end)
    ? `${now.toISOString()} is outside the approved release window ${w.start} – ${w.end} (app:release.window)`
    : undefined;
}

/** The bakes and the watch must end inside the window: a release never flips or watches after it closed. */
export function planFitsWindow(config: AppConfig, stages: Stage[], now: Date): Refusal {
  const minutes = plannedMinutes(stages);
  const end = new Date(now.getTime() + minutes * 60_000);
  return end > new Date(config.release.window.end)
    ? `the release needs ${minutes} min of bakes and watch (app:rollout.steps, bakeMinutes, watchMinutes): started now it ends ${end.toISOString()}, after the window closes at ${config.release.window.end}`
    : undefined;
}

export async function certificateValid(
  certificates: CertificateSource,
  config: AppConfig,
  now: Date,
): Promise<Refusal> {
  const notAfter = await certificates.notAfter(config.tls.certificateArn);
  const days = (notAfter.getTime() - now.getTime()) / 86_400_000;
  return days < config.rollout.certificateMinDays
    ? `certificate ${config.tls.certificateArn} expires ${notAfter.toISOString()} (${Math.max(0, Math.floor(days))} days): at least ${config.rollout.certificateMinDays} needed`
    : undefined;
}

/** No Pulumi update is in progress (a killed `up` leaves one until `pulumi cancel`). */
export async function stackNotBusy(stack: StackOps): Promise<Refusal> {
  const [latest] = await stack.history(1, 1);
  return latest?.result === "in-progress"
    ? `stack ${stack.stack} has update ${latest.version} in progress since ${latest.startTime.toISOString()} ("${latest.message}"). If its process is gone: 'rollout unlock' (it cancels an update of its own run) or 'pulumi cancel'.`
    : undefined;
}

/**
 * Go/no-go on the signals (runbook 001 §1): every gating alarm exists and is OK. A missing alarm cannot be
 * watched (DescribeAlarms omits names it does not know); ALARM is a live problem; INSUFFICIENT_DATA means
 * nobody publishes the metric (e.g. the worker without cloudwatch:PutMetricData) — not healthy either.
 */
export async function gatingAlarmsHealthy(alarms: AlarmSource, names: string[]): Promise<Refusal> {
  const states = await alarms.states(names);
  const missing = names.filter((n) => !(n in states));
  if (missing.length > 0)
    return `gating alarm(s) ${missing.join(", ")} do not exist in CloudWatch: a release cannot be watched without them. Run 'rollout apply' to create them.`;
  const bad = names.filter((n) => states[n] !== "OK");
  return bad.length > 0
    ? `gating alarm(s) not OK before the release (app:rollout.gates.preflight): ${bad.map((n) => `${n} ${states[n]}`).join(", ")}. ALARM: fix the problem first; INSUFFICIENT_DATA: nothing publishes its metric (docs/signals.md)`
    : undefined;
}

/**
 * The evidence of a bake can be read: the released color's `-error-rate` alarm exists and GetMetricData is
 * allowed (a role without `cloudwatch:GetMetricData` would otherwise roll back every first bake).
 */
export async function evidenceReadable(alarms: AlarmSource, alarmName: string, now: Date): Promise<Refusal> {
  try {
    const n = await alarms.requestCount(alarmName, new Date(now.getTime() - 600_000), now);
    return n === undefined
      ? `alarm ${alarmName} does not exist: the requests of the released color cannot be counted. Run 'rollout apply' to create it.`
      : undefined;
  } catch (e) {
    return `the evidence of a bake cannot be read (GetMetricData on ${alarmName}): ${(e as Error).message}`;
  }
}

export function gateGo(verdict: GateVerdict): Refusal {
  if (verdict.decision === "go") return undefined;
  const blocking = verdict.violations.filter((v) => v.enforcement === "mandatory" || v.enforcement === "remediate");
  return `the readiness gate says ${verdict.decision} on the release config:\n${blocking.map((v) => `  ✗ ${v.policy}: ${v.message}`).join("\n")}`;
}

export function requestValid(request: ReleaseRequest): Refusal {
  return request.commit
    ? undefined
    : `--image ${request.image} names no commit: pass --commit <sha> (the release commit)`;
}
