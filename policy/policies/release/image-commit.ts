import { LABEL, parseImmutableImage, sameCommit } from "@app-rollout/shared";
import { stackPolicy } from "../../lib/define";
import { apiDeployments, appContainers, migrationJobs, productionListener } from "../../lib/props";

export const releaseImageCommit = stackPolicy({
  name: "release-image-commit",
  description:
    "The release's images were built from the release commit: the migration Job (label rollout/commit) and the API color under test run sha-<commit>.",
  area: "release",
  readiness: ["immutable-release"],
  severity: "critical",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Set app:release.commit to the commit CI built, and the new color's image to <repository>:sha-<commit> (rollout start does both).",
  validateStack: (args, report) => {
    const jobs = migrationJobs(args.resources);
    if (jobs.length === 0) {
      args.notApplicable("no migration Job: no release under way to judge");
      return;
    }
    const commitOf = (image: string) => parseImmutableImage(image)?.commit ?? "";
    const underTest = productionListener(args.resources)?.underTest;
    const api = apiDeployments(args.resources).filter(
      (d) => !underTest || d.props.metadata?.labels?.[LABEL.color] === underTest,
    );
    for (const job of jobs) {
      const commit = String(job.props.metadata?.labels?.[LABEL.commit] ?? "");
      if (!commit) {
        report(
          `migration Job ${job.props.metadata?.name} does not name its release commit (label rollout/commit).`,
          job.urn,
        );
        continue;
      }
      for (const c of appContainers(job.props))
        if (!sameCommit(commitOf(String(c.image)), commit))
          report(
            `migration Job ${job.props.metadata?.name} runs ${c.image}, not the release commit ${commit}.`,
            job.urn,
          );
      const images = api.flatMap((d) => appContainers(d.props).map((c) => String(c.image)));
      if (images.length > 0 && !images.some((i) => sameCommit(commitOf(i), commit)))
        report(
          `the API color under test${underTest ? ` (${underTest})` : ""} does not run an image built from the release commit ${commit} (images: ${images.join(", ")}).`,
        );
    }
  },
});
