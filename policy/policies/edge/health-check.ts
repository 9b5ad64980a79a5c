import { DEFAULT_HEALTH_PATHS } from "@app-rollout/shared";
import { resourcePolicy } from "../../lib/define";
import { isType, T } from "../../lib/props";
import { stackConfig } from "../../lib/stack-config";

export const edgeHealthCheck = resourcePolicy({
  name: "edge-health-check",
  description:
    "Target groups health-check the readiness endpoint (app:api.healthPaths.ready) with healthy/unhealthy thresholds 2-5 and an interval of at most 30 s.",
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
    const ready = String(stackConfig().api?.healthPaths?.ready ?? DEFAULT_HEALTH_PATHS.ready);
    if (!hc.path || hc.path === "/")
      report(`health check path ${hc.path ?? "(default /)"} is the root: check the readiness endpoint ${ready}.`);
    else if (hc.path !== ready)
      report(
        `health check path ${hc.path} is not the readiness endpoint app:api.healthPaths.ready (${ready}): a target that is live but not ready would take traffic.`,
      );
    for (const k of ["healthyThreshold", "unhealthyThreshold"] as const) {
      const v = hc[k];
      if (typeof v !== "number" || v < 2 || v > 5) report(`${k} is ${v ?? "unset"}; expected 2-5.`);
    }
    if (typeof hc.interval === "number" && hc.interval > 30)
      report(`health check interval ${hc.interval}s is longer than 30s.`);
  },
});
