import { parseImmutableImage, sameCommit } from "../../../config/image";
import { stackPolicy } from "../../lib/define";
import { containers, ofType, T } from "../../lib/props";
import { stackConfig } from "../../lib/stack-config";

export const releaseImageCommit = stackPolicy({
  name: "release-image-commit",
  description:
    "The release's images were built from the release commit: one API color and the migration Job run sha-<release.commit>.",
  area: "release",
  runbook: "CI green on target commit; image tag is sha-<commit> or a digest, never latest",
  severity: "critical",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Set app:release.commit to the commit CI built, and the new color's image to <repository>:sha-<commit>.",
  validateStack: (args, report) => {
    const commit = stackConfig().release?.commit;
    if (!commit) args.notApplicable("no app:release.commit");
    const commitOf = (image: string) => parseImmutableImage(image)?.commit;
    const api = ofType(args.resources, T.deployment).filter(
      (d) => d.props.metadata?.labels?.["app.kubernetes.io/component"] === "api",
    );
    const apiImages = api.flatMap((d) => containers(d.props).map((c) => String(c.image)));
    if (apiImages.length > 0 && !apiImages.some((i) => sameCommit(commitOf(i) ?? "", commit)))
      report(`no API color runs an image built from the release commit ${commit} (images: ${apiImages.join(", ")}).`);
    for (const job of ofType(args.resources, T.job).filter(
      (j) => j.props.metadata?.labels?.["app.kubernetes.io/component"] === "migration",
    )) {
      for (const c of containers(job.props)) {
        if (!sameCommit(commitOf(String(c.image)) ?? "", commit))
          report(
            `migration Job ${job.props.metadata?.name} runs ${c.image}, not the release commit ${commit}.`,
            job.urn,
          );
      }
    }
  },
});
