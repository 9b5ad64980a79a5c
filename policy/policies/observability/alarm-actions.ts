import { resourcePolicy } from "../../lib/define";
import { isType, T } from "../../lib/props";

export const observabilityAlarmActions = resourcePolicy({
  name: "observability-alarm-actions",
  description: "Every alarm notifies someone: enabled actions with at least one alarm action.",
  area: "observability",
  readiness: ["alerting"],
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps: "Set alarmActions (and okActions) to the alert topic ARN.",
  validateResource: (args, report) => {
    if (!isType(args, T.metricAlarm) && !isType(args, T.compositeAlarm)) return;
    if (args.props.actionsEnabled === false) report("actionsEnabled is false: the alarm notifies nobody.");
    if (!((args.props.alarmActions as string[] | undefined)?.length ?? 0))
      report("no alarmActions: the alarm notifies nobody.");
  },
});
