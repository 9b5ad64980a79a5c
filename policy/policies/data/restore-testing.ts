import { stackPolicy } from "../../lib/define";
import { isPrimaryDatabase, ofType, refersTo, T } from "../../lib/props";

export const dataRestoreTesting = stackPolicy({
  name: "data-restore-testing",
  description: "Backups of every database are restore-tested on a schedule (runbook 004: verify backup integrity).",
  area: "data",
  readiness: ["backups-rotated"],
  severity: "medium",
  enforcementLevel: "mandatory",
  remediationSteps: "Keep app:backups.restoreTesting: true (a RestoreTestingPlan with an RDS selection).",
  validateStack: (args, report) => {
    const plans = ofType(args.resources, T.restoreTestingPlan);
    const selections = ofType(args.resources, T.restoreTestingSelection).filter(
      (s) => s.props.protectedResourceType === "RDS",
    );
    for (const db of ofType(args.resources, T.rdsInstance).filter(isPrimaryDatabase)) {
      const tested =
        plans.length > 0 && selections.some((s) => refersTo(s, "protectedResourceArns", db, [() => db.props.arn]));
      if (!tested) report(`database ${db.name} has no restore-testing plan and selection.`, db.urn);
    }
  },
});
