import { threshold } from "@app-rollout/shared";
import { resourcePolicy } from "../../lib/define";
import { isType, T } from "../../lib/props";

export const dataPitrRetention = resourcePolicy({
  name: "data-pitr-retention",
  description:
    "RDS instances keep automated backups (point-in-time recovery) for at least the configured days, set explicitly.",
  area: "data",
  readiness: ["pitr-retention"],
  severity: "critical",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Set app:database.pitrRetentionDays (Database component arg pitrRetentionDays) to at least the required days.",
  configSchema: {
    properties: {
      minimumDays: {
        type: "integer",
        minimum: 1,
        maximum: 35,
        default: threshold("pitr-retention", "minimumDays", "prod"),
      },
    },
  },
  validateResource: (args, report) => {
    if (!isType(args, T.rdsInstance)) return;
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
