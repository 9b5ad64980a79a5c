import { threshold } from "@app-rollout/shared";
import { resourcePolicy } from "../../lib/define";
import { isType, T } from "../../lib/props";

/**
 * Runbook 004 "Rollback triggers": error rate > 1 % for 5 minutes, p95 latency > 1 s (for 5 minutes, the
 * same window). The per-color alarms (components/color-alarms.ts, named `<prefix>-<color>-error-rate` and
 * `-p95-latency`) are the rollback signal of the driver: one laxer than the trigger lets a bad release stay.
 */
const TRIGGERS = {
  errorRate: (l: Limits) =>
    `runbook 004 rollback trigger: error rate > ${l.maxErrorRatePercent} % for ${l.maxWindowMinutes} min`,
  p95: (l: Limits) => `runbook 004 rollback trigger: p95 latency > ${l.maxP95Seconds} s`,
};

/** The prod triggers (the defaults; a stack's policy config may carry its own). */
const PROD = {
  maxErrorRatePercent: threshold("rollback-triggers", "maxErrorRatePercent", "prod"),
  maxP95Seconds: threshold("rollback-triggers", "maxP95Seconds", "prod"),
  maxWindowMinutes: threshold("rollback-triggers", "maxWindowMinutes", "prod"),
};

/** Comparisons that fire on a rise (the last one: above an anomaly-detection band). */
const GREATER = ["GreaterThanThreshold", "GreaterThanOrEqualToThreshold", "GreaterThanUpperThreshold"];

interface Limits {
  maxErrorRatePercent: number;
  maxP95Seconds: number;
  maxWindowMinutes: number;
}

/** Minutes the alarm needs above its threshold before it fires (datapoints × period). */
function windowMinutes(props: Record<string, unknown>): number {
  const period = Number(props.period ?? 60);
  const points = Number(props.datapointsToAlarm ?? props.evaluationPeriods ?? 1);
  const queries = (Array.isArray(props.metricQueries) ? props.metricQueries : []) as { metric?: { period?: number } }[];
  const qPeriod = Math.max(0, ...queries.map((q) => Number(q?.metric?.period ?? 0)));
  return ((qPeriod || period) * points) / 60;
}

export const observabilityRollbackTriggers = resourcePolicy({
  name: "observability-rollback-triggers",
  description: `The per-color rollback alarms fire above a threshold (a greater-than comparison) at least as strict as the runbook's rollback triggers (error rate > ${PROD.maxErrorRatePercent} % for ${PROD.maxWindowMinutes} min, p95 > ${PROD.maxP95Seconds} s).`,
  area: "observability",
  readiness: ["rollback-triggers"],
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps: `Keep app:alarms.errorRatePercent ≤ ${PROD.maxErrorRatePercent}, app:alarms.p95LatencySeconds ≤ ${PROD.maxP95Seconds} and their minutes ≤ ${PROD.maxWindowMinutes} (pulumi config rm --path 'alarms.errorRatePercent' restores the default).`,
  configSchema: {
    properties: {
      maxErrorRatePercent: { type: "number", default: PROD.maxErrorRatePercent },
      maxP95Seconds: { type: "number", default: PROD.maxP95Seconds },
      maxWindowMinutes: { type: "number", default: PROD.maxWindowMinutes },
    },
  },
  validateResource: (args, report) => {
    if (!isType(args, T.metricAlarm)) return;
    const name = String(args.props.name ?? "");
    const kind = name.endsWith("-error-rate") ? "errorRate" : name.endsWith("-p95-latency") ? "p95" : undefined;
    if (!kind) return;
    const l = args.getConfig<Limits>();
    const threshold = Number(args.props.threshold);
    const max = kind === "errorRate" ? l.maxErrorRatePercent : l.maxP95Seconds;
    const unit = kind === "errorRate" ? " %" : " s";
    if (!(threshold <= max))
      report(`${name} fires above ${threshold}${unit}, laxer than the ${TRIGGERS[kind](l)}: a bad release would stay.`);
    const op = args.props.comparisonOperator;
    if (op !== undefined && !GREATER.includes(op))
      report(`${name} compares with ${op}: a rollback trigger fires when the value rises above its threshold.`);
    const minutes = windowMinutes(args.props);
    if (minutes > l.maxWindowMinutes)
      report(
        `${name} needs ${minutes} min above its threshold, longer than the ${l.maxWindowMinutes} min of the ${TRIGGERS[kind](l)}.`,
      );
  },
});
