import { resourcePolicy } from "../../lib/define";
import { isType, T } from "../../lib/props";

export const edgeHealthCheck = resourcePolicy({
  name: "edge-health-check",
  description: "Target groups health-check a non-root readiness path with sane thresholds.",
  area: "edge",
  readiness: ["health-probes"],
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Health-check app:api.healthPaths.ready with healthy/unhealthy thresholds 2-5 and an interval of at most 30 s.",
  validateResource: (args, report) => {
    if (!isType(args, T.targetGroup)) return;
    const hc = args.props.healthCheck;
    if (!hc || hc.enabled === false) {
      report("health check disabled: unhealthy targets would keep receiving traffic.");
      return;
    }
    if (!hc.path || hc.path === "/")
      report(
        `health check path ${hc.path ?? "(default /)"} is the root: check the readiness endpoint (e.g. /health/ready).`,
      );
    for (const k of ["healthyThreshold", "unhealthyThreshold"] as const) {
      const v = hc[k];
      if (typeof v !== "number" || v < 2 || v > 5) report(`${k} is ${v ?? "unset"}; expected 2-5.`);
    }
    if (typeof hc.interval === "number" && hc.interval > 30)
      report(`health check interval ${hc.interval}s is longer than 30s.`);
  },
});
