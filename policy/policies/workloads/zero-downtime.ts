import { resourcePolicy } from "../../lib/define";
import { isType, T } from "../../lib/props";

export const workloadsZeroDowntime = resourcePolicy({
  name: "workloads-zero-downtime",
  description: "Deployments roll with maxUnavailable 0 (new pods are ready before old ones go).",
  area: "workloads",
  readiness: ["zero-downtime"],
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps: "Set strategy: { type: RollingUpdate, rollingUpdate: { maxUnavailable: 0, maxSurge: 25% } }.",
  validateResource: (args, report) => {
    if (!isType(args, T.deployment)) return;
    const s = args.props.spec?.strategy;
    if (s?.type === "Recreate") report("strategy Recreate stops every pod before starting new ones.");
    else if (!(s?.rollingUpdate?.maxUnavailable === 0 || s?.rollingUpdate?.maxUnavailable === "0%"))
      report(`rollingUpdate.maxUnavailable is ${s?.rollingUpdate?.maxUnavailable ?? "unset (25%)"}, not 0.`);
  },
});
