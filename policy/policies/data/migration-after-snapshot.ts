import { stackPolicy } from "../../lib/define";
import { dependsOn, ofType, T } from "../../lib/props";

export const dataMigrationAfterSnapshot = stackPolicy({
  name: "data-migration-after-snapshot",
  description: "The release's migration Job exists and runs after the pre-release snapshot (dependsOn).",
  area: "data",
  runbook: "Migrations applied once, before traffic",
  severity: "critical",
  enforcementLevel: "mandatory",
  remediationSteps: "Create the MigrationJob with dependsOn: [releaseSnapshot.snapshot].",
  validateStack: (args, report) => {
    const jobs = ofType(args.resources, T.job).filter(
      (j) => j.props.metadata?.labels?.["app.kubernetes.io/component"] === "migration",
    );
    if (jobs.length === 0) {
      report("no migration Job (label app.kubernetes.io/component=migration) in the stack.");
      return;
    }
    const snapshots = ofType(args.resources, T.rdsSnapshot);
    for (const job of jobs) {
      if (!snapshots.some((s) => dependsOn(job, s)))
        report(
          `migration Job ${job.name} does not depend on a pre-release snapshot: it could migrate before the backup exists.`,
          job.urn,
        );
    }
  },
});
