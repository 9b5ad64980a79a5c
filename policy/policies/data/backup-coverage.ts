import { stackPolicy } from "../../lib/define";
import { ofType, refersTo, T } from "../../lib/props";

export const dataBackupCoverage = stackPolicy({
  name: "data-backup-coverage",
  description: "Every database is selected by an AWS Backup plan (rotated snapshots beside PITR).",
  area: "data",
  readiness: ["backups-rotated"],
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps: "Add the instance ARN to an aws.backup.Selection of a plan (the Backups component does it).",
  validateStack: (args, report) => {
    const selections = ofType(args.resources, T.backupSelection);
    for (const db of ofType(args.resources, T.rdsInstance)) {
      const covered = selections.some((s) => refersTo(s, "resources", db, [() => db.props.arn]));
      if (!covered) report(`database ${db.name} is not in any AWS Backup selection.`, db.urn);
    }
  },
});
