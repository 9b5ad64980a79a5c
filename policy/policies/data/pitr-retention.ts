import { resourcePolicy } from "../../lib/define";
import { T } from "../../lib/props";

export const dataPitrRetention = resourcePolicy({
  name: "data-pitr-retention",
  description:
    "RDS instances keep automated backups (point-in-time recovery) for at least the configured days, set explicitly.",
  area: "data",
  runbook: "PITR on, retention >= N days",
  severity: "critical",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Set app:database.pitrRetentionDays (Database component arg pitrRetentionDays) to at least the required days.",
  configSchema: { properties: { minimumDays: { type: "integer", minimum: 1, maximum: 35, default: 7 } } },
  validateResource: (args, report) => {
    if (args.type !== T.rdsInstance) return;
    const { minimumDays } = args.getConfig<{ minimumDays: number }>();
    const days = args.props.backupRetentionPeriod;
    if (days === undefined || days === null)
      report(
        "backupRetentionPeriod is not set: point-in-time recovery would depend on a provider default. Set it explicitly.",
      );
    else if (days < minimumDays)
      report(`backupRetentionPeriod is ${days} day(s); point-in-time recovery needs at least ${minimumDays}.`);
  },
});
