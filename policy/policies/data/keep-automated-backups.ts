import { resourcePolicy } from "../../lib/define";
import { isType, T } from "../../lib/props";

export const dataKeepAutomatedBackups = resourcePolicy({
  name: "data-keep-automated-backups",
  description: "Automated backups are kept when the instance is deleted (the provider default deletes them).",
  area: "data",
  readiness: ["pitr-retention"],
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps: "Set deleteAutomatedBackups: false explicitly.",
  validateResource: (args, report) => {
    if (!isType(args, T.rdsInstance)) return;
    if (args.props.deleteAutomatedBackups !== false)
      report("deleteAutomatedBackups is not false: deleting the instance would delete its point-in-time backups too.");
  },
});
