import type { PolicyResource } from "@pulumi/policy";
import { stackPolicy } from "../../lib/define";
import { ofType, type Props, str, T, UNKNOWN } from "../../lib/props";

/**
 * Whether a TargetGroup dimension is the target group's: the same suffix when both are known, else (a
 * preview: the suffix is computed) the alarm's property depends on the target group by URN.
 */
function isDimensionOf(
  value: string | typeof UNKNOWN | undefined,
  suffix: string | typeof UNKNOWN | undefined,
  alarm: PolicyResource,
  prop: string,
  tg: PolicyResource,
): boolean {
  if (value === undefined) return false;
  if (value !== UNKNOWN && suffix !== UNKNOWN) return value === suffix;
  return (alarm.propertyDependencies[prop] ?? []).some((d) => d.urn === tg.urn);
}

/** Metric names (and p95 for latency) an alarm watches for a target group dimension. */
function watched(alarm: PolicyResource, tg: PolicyResource): string[] {
  const out: string[] = [];
  const p = alarm.props;
  const suffix = str(() => tg.props.arnSuffix);
  if (
    isDimensionOf(
      str(() => p.dimensions?.TargetGroup),
      suffix,
      alarm,
      "dimensions",
      tg,
    )
  )
    out.push(
      p.metricName === "TargetResponseTime" ? `TargetResponseTime:${p.extendedStatistic ?? p.statistic}` : p.metricName,
    );
  const queries = (Array.isArray(p.metricQueries) ? p.metricQueries : []) as Props[];
  // Expression-only queries (metric math) have no metric: skipped, never a TypeError.
  for (const q of queries)
    if (
      q?.metric &&
      isDimensionOf(
        str(() => q.metric.dimensions?.TargetGroup),
        suffix,
        alarm,
        "metricQueries",
        tg,
      )
    )
      out.push(q.metric.metricName);
  return out;
}

export const REQUIRED = [
  ["HTTPCode_Target_5XX_Count", "error rate (5xx)"],
  ["TargetResponseTime:p95", "p95 latency"],
  ["UnHealthyHostCount", "unhealthy hosts"],
];

export const observabilityTargetGroupAlarms = stackPolicy({
  name: "observability-target-group-alarms",
  description: "Every target group has error-rate, p95 latency and unhealthy-host alarms on its own dimensions.",
  area: "observability",
  readiness: ["alerting"],
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps: "Create ColorAlarms for each color's target group.",
  validateStack: (args, report) => {
    const alarms = ofType(args.resources, T.metricAlarm);
    for (const tg of ofType(args.resources, T.targetGroup)) {
      const seen = new Set(alarms.flatMap((a) => watched(a, tg)));
      const missing = REQUIRED.filter(([m]) => !seen.has(m)).map(([, what]) => what);
      if (missing.length > 0) report(`target group ${tg.name} has no ${missing.join(", ")} alarm.`, tg.urn);
    }
  },
});
