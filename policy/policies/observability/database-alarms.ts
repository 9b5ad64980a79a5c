import { stackPolicy } from "../../lib/define";
import { isPrimaryDatabase, ofType, T } from "../../lib/props";

const REQUIRED = ["CPUUtilization", "FreeStorageSpace"];

export const observabilityDatabaseAlarms = stackPolicy({
  name: "observability-database-alarms",
  description: "Every database has at least CPU and free-storage alarms.",
  area: "observability",
  readiness: ["alerting"],
  severity: "medium",
  enforcementLevel: "mandatory",
  remediationSteps: "Create PlatformAlarms for the database identifier.",
  validateStack: (args, report) => {
    const alarms = ofType(args.resources, T.metricAlarm);
    for (const db of ofType(args.resources, T.rdsInstance).filter(isPrimaryDatabase)) {
      const id = db.props.identifier;
      const have = new Set(
        alarms.filter((a) => a.props.dimensions?.DBInstanceIdentifier === id).map((a) => a.props.metricName),
      );
      const missing = REQUIRED.filter((m) => !have.has(m));
      if (missing.length > 0) report(`database ${id} has no ${missing.join(", ")} alarm.`, db.urn);
    }
  },
});
