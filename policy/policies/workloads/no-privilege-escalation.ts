import { resourcePolicy } from "../../lib/define";
import { forEachContainer } from "../../lib/workload";

export const workloadsNoPrivilegeEscalation = resourcePolicy({
  name: "workloads-no-privilege-escalation",
  description: "Containers cannot escalate privileges and are not privileged.",
  area: "workloads",
  readiness: ["hardened-pods"],
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps: "Set securityContext.allowPrivilegeEscalation: false and privileged: false.",
  validateResource: forEachContainer((c) => {
    if (c.securityContext?.privileged === true) return "privileged is true.";
    if (c.securityContext?.allowPrivilegeEscalation !== false) return "allowPrivilegeEscalation is not false.";
    return undefined;
  }),
});
