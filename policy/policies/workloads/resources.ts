import { resourcePolicy } from "../../lib/define";
import { forEachContainer } from "../../lib/workload";

export const workloadsResources = resourcePolicy({
  name: "workloads-resources",
  description: "Every container declares CPU and memory requests and limits.",
  area: "workloads",
  readiness: ["hardened-pods"],
  severity: "medium",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Set resources.requests and resources.limits for cpu and memory (app:api.resources / app:worker.resources).",
  validateResource: forEachContainer((c) => {
    const missing = ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory"].filter((p) => {
      const [k, r] = p.split(".");
      return !c.resources?.[k]?.[r];
    });
    return missing.length > 0 ? `missing resources ${missing.join(", ")}.` : undefined;
  }),
});
