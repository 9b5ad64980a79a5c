import { COMPONENT, DEFAULT_DEREGISTRATION_DELAY_SECONDS, LABEL } from "@app-rollout/shared";
import { resourcePolicy } from "../../lib/define";
import { appContainers, isType, type Props, T } from "../../lib/props";
import { stackConfig } from "../../lib/stack-config";

/** Seconds a preStop hook holds the container: `sleep.seconds` or an exec `sleep N`; undefined without one. */
function preStopSeconds(container: Props): number | undefined {
  const hook = container?.lifecycle?.preStop;
  if (typeof hook?.sleep?.seconds === "number") return hook.sleep.seconds;
  const cmd = Array.isArray(hook?.exec?.command) ? hook.exec.command.map(String) : [];
  const m = /(?:^|\s)sleep\s+(\d+)/.exec(cmd.join(" "));
  return m ? Number(m[1]) : undefined;
}

export const workloadsZeroDowntime = resourcePolicy({
  name: "workloads-zero-downtime",
  description:
    "Deployments roll with maxUnavailable 0 (new pods are ready before old ones go); the API's containers hold a preStop longer than the target group's deregistration delay (app:api.deregistrationDelaySeconds), so no in-flight request is cut.",
  area: "workloads",
  readiness: ["zero-downtime"],
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Set strategy: { type: RollingUpdate, rollingUpdate: { maxUnavailable: 0, maxSurge: 25% } }; give the API container lifecycle.preStop.sleep.seconds above the deregistration delay (the ApiColor component adds 10 s).",
  validateResource: (args, report) => {
    if (!isType(args, T.deployment)) return;
    const s = args.props.spec?.strategy;
    if (s?.type === "Recreate") report("strategy Recreate stops every pod before starting new ones.");
    else if (!(s?.rollingUpdate?.maxUnavailable === 0 || s?.rollingUpdate?.maxUnavailable === "0%"))
      report(`rollingUpdate.maxUnavailable is ${s?.rollingUpdate?.maxUnavailable ?? "unset (25%)"}, not 0.`);
    if (args.props.metadata?.labels?.[LABEL.component] !== COMPONENT.api) return;
    const delay = Number(stackConfig().api?.deregistrationDelaySeconds ?? DEFAULT_DEREGISTRATION_DELAY_SECONDS);
    for (const c of appContainers(args.props)) {
      const hold = preStopSeconds(c);
      if (hold === undefined || hold <= delay)
        report(
          `container ${c.name} ${hold === undefined ? "has no preStop" : `holds only ${hold} s in preStop`}: the ALB keeps sending it requests for the ${delay} s deregistration delay after it is told to stop.`,
        );
    }
  },
});
