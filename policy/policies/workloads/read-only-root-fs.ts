import { resourcePolicy } from "../../lib/define";
import { forEachContainer } from "../../lib/workload";

export const workloadsReadOnlyRootFs = resourcePolicy({
  name: "workloads-read-only-root-fs",
  description: "Containers have a read-only root filesystem.",
  area: "workloads",
  readiness: ["hardened-pods"],
  severity: "medium",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where the app writes (/tmp).",
  validateResource: forEachContainer((c) =>
    c.securityContext?.readOnlyRootFilesystem === true ? undefined : "readOnlyRootFilesystem is not true.",
  ),
});
