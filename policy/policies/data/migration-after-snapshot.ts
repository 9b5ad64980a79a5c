import { COMPONENT, LABEL, TAG } from "@app-rollout/shared";
import { stackPolicy } from "../../lib/define";
import { dependsOn, ofType, T } from "../../lib/props";

export const dataMigrationAfterSnapshot = stackPolicy({
  name: "data-migration-after-snapshot",
  description:
    "The release's migration Job exists and runs after the pre-release snapshot (dependsOn), unless the release's migration failed and it was rolled back (snapshot tag rollout/migration=failed).",
  area: "data",
  readiness: ["migrations-before-traffic"],
  severity: "critical",
  enforcementLevel: "mandatory",
  remediationSteps: "Create the MigrationJob with dependsOn: [releaseSnapshot.snapshot].",
  validateStack: (args, report) => {
    const jobs = ofType(args.resources, T.job).filter(
      (j) => j.props.metadata?.labels?.[LABEL.component] === COMPONENT.migration,
    );
    const snapshots = ofType(args.resources, T.rdsSnapshot);
    if (jobs.length === 0) {
      // The release's migration failed and the release was rolled back: its Job was removed on purpose
      // (no up may re-run it); the next release brings a new one.
      const failed = snapshots.some((s) => s.props.tags?.[TAG.migration] === "failed");
      if (!failed) report("no migration Job (label app.kubernetes.io/component=migration) in the stack.");
      return;
    }
    for (const job of jobs) {
      if (!snapshots.some((s) => dependsOn(job, s)))
        report(
          `migration Job ${job.name} does not depend on a pre-release snapshot: it could migrate before the backup exists.`,
          job.urn,
        );
    }
  },
});
