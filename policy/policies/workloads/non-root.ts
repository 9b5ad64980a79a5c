import { resourcePolicy } from "../../lib/define";
import { forEachContainer } from "../../lib/workload";

export const workloadsNonRoot = resourcePolicy({
  name: "workloads-non-root",
  description: "Containers run as a non-root user.",
  area: "workloads",
  readiness: ["hardened-pods"],
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps: "Set securityContext.runAsNonRoot: true and a non-zero runAsUser.",
  validateResource: forEachContainer((c, pod) => {
    const nonRoot = c.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
    const uid = c.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
    if (nonRoot !== true) return "runAsNonRoot is not true.";
    if (uid === 0) return "runAsUser is 0 (root).";
    return undefined;
  }),
});
