import { resourcePolicy } from "../../lib/define";
import { forEachContainer } from "../../lib/workload";

export const workloadsProbes = resourcePolicy({
  name: "workloads-probes",
  description: "Long-running containers have readiness and liveness probes.",
  area: "workloads",
  readiness: ["health-probes"],
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps: "Add readinessProbe (/health/ready) and livenessProbe (/health/live).",
  validateResource: forEachContainer(
    (c) => {
      const missing = ["readinessProbe", "livenessProbe"].filter((p) => !c[p]);
      return missing.length > 0 ? `no ${missing.join(" and no ")}.` : undefined;
    },
    // Init containers run to completion before the pod starts: Kubernetes refuses probes on them.
    { skipJobs: true, skipInit: true },
  ),
});
