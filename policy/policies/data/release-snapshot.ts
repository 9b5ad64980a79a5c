import { TAG } from "@app-rollout/shared";
import { stackPolicy } from "../../lib/define";
import { migrationJobs, ofType, T } from "../../lib/props";

export const dataReleaseSnapshot = stackPolicy({
  name: "data-release-snapshot",
  description:
    "Every release's migration Job has a pre-release snapshot of that release (tag rollout/release-id), so no release migrates without a fresh backup.",
  area: "data",
  readiness: ["pre-release-backup"],
  severity: "critical",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Keep the ReleaseSnapshot component for app:release.version/commit (identifier <db>-pre-<release id>).",
  validateStack: (args, report) => {
    const jobs = migrationJobs(args.resources);
    if (jobs.length === 0) {
      args.notApplicable("no migration Job: no release under way");
      return;
    }
    const snapshots = ofType(args.resources, T.rdsSnapshot);
    for (const job of jobs) {
      const id = String(job.props.metadata?.labels?.[TAG.releaseId] ?? "");
      if (!snapshots.some((s) => id !== "" && s.props.tags?.[TAG.releaseId] === id))
        report(
          `no RDS snapshot tagged rollout/release-id=${id || "(missing)"} for migration Job ${job.props.metadata?.name}: the release would migrate without a fresh backup.`,
          job.urn,
        );
    }
  },
});
