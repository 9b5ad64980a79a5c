import { resourcePolicy } from "../../lib/define";
import { forEachContainer } from "../../lib/workload";

export const workloadsDropCapabilities = resourcePolicy({
  name: "workloads-drop-capabilities",
  description: "Containers drop ALL Linux capabilities and add none back.",
  area: "workloads",
  readiness: ["hardened-pods"],
  severity: "medium",
  enforcementLevel: "mandatory",
  remediationSteps: 'Set securityContext.capabilities: { drop: ["ALL"] }.',
  validateResource: forEachContainer((c) => {
    const caps = c.securityContext?.capabilities;
    if (!(Array.isArray(caps?.drop) && caps.drop.includes("ALL"))) return "capabilities.drop does not include ALL.";
    if (Array.isArray(caps?.add) && caps.add.length) return `capabilities.add ${caps.add.join(", ")}.`;
    return undefined;
  }),
});
