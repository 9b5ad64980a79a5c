import type { PolicyResource } from "@pulumi/policy";
import { stackPolicy } from "../../lib/define";
import { ofType, type Props, T } from "../../lib/props";

/** Metric names (and p95 for latency) an alarm watches for a target group dimension. */
function watched(alarm: PolicyResource, suffix: string): string[] {
  const out: string[] = [];
  const p = alarm.props;
  if (p.dimensions?.TargetGroup === suffix)
    out.push(
      p.metricName === "TargetResponseTime" ? `TargetResponseTime:${p.extendedStatistic ?? p.statistic}` : p.metricName,
    );
  for (const q of (p.metricQueries as Props[] | undefined) ?? [])
    if (q.metric?.dimensions?.TargetGroup === suffix) out.push(q.metric.metricName);
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
  runbook: "Alarms for error rate, p95, unhealthy hosts, DB, backlog, each with an action",
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps: "Create ColorAlarms for each color's target group.",
  validateStack: (args, report) => {
    const alarms = ofType(args.resources, T.metricAlarm);
    for (const tg of ofType(args.resources, T.targetGroup)) {
      const suffix = tg.props.arnSuffix;
      const seen = new Set(alarms.flatMap((a) => watched(a, suffix)));
      const missing = REQUIRED.filter(([m]) => !seen.has(m)).map(([, what]) => what);
      if (missing.length > 0) report(`target group ${tg.name} has no ${missing.join(", ")} alarm.`, tg.urn);
    }
  },
});
