import { IMMUTABLE_IMAGE_HINT, parseImmutableImage } from "@app-rollout/shared";
import { resourcePolicy } from "../../lib/define";
import { forEachContainer } from "../../lib/workload";

export const workloadsImmutableImage = resourcePolicy({
  name: "workloads-immutable-image",
  description: "Images are immutable references (sha-<commit> tag or digest), never latest.",
  area: "workloads",
  readiness: ["immutable-release"],
  severity: "critical",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Deploy the image CI built for the commit: <repository>:sha-<commit> or <repository>@sha256:<digest>.",
  validateResource: forEachContainer((c) =>
    parseImmutableImage(String(c.image ?? "")) ? undefined : `image ${c.image} is not ${IMMUTABLE_IMAGE_HINT}.`,
  ),
});
