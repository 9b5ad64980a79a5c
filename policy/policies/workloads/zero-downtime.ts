import { COMPONENT, DEFAULT_DEREGISTRATION_DELAY_SECONDS, LABEL } from "@app-rollout/shared";
import { resourcePolicy } from "../../lib/define";
import { appContainers, isType, type Props, T } from "../../lib/props";
import { stackConfig } from "../../lib/stack-config";

const UNIT: Record<string, number> = { "": 1, s: 1, m: 60, h: 3600 };

/**
 * Seconds a preStop hook holds the container: `sleep.seconds`, or an exec whose command sleeps (`sleep 40`,
 * `/bin/sleep 40`, `sh -c 'sleep 1m'`); "unknown" for a hook whose duration cannot be read (an httpGet the
 * app drains on, an exec without a sleep); undefined without a hook.
 */
export function preStopSeconds(container: Props): number | "unknown" | undefined {
  const hook = container?.lifecycle?.preStop;
  if (!hook || typeof hook !== "object") return undefined;
  if (typeof hook.sleep?.seconds === "number") return hook.sleep.seconds;
  const cmd = Array.isArray(hook.exec?.command) ? hook.exec.command.map(String).join(" ") : "";
  const m = /(?:^|[\s/'"])sleep\s+(\d+)([smh]?)\b/.exec(cmd);
  return m ? Number(m[1]) * UNIT[m[2]] : "unknown";
}

/** Why an API pod's shutdown can cut requests, or undefined. */
function shutdownProblem(c: Props, delay: number, grace: number): string | undefined {
  const hold = preStopSeconds(c);
  if (hold === undefined)
    return `container ${c.name} has no preStop: the ALB keeps sending it requests for the ${delay} s deregistration delay after it is told to stop`;
  if (hold === "unknown") return undefined; // the app drains itself: not judgeable from the manifest
  if (hold <= delay)
    return `container ${c.name} holds only ${hold} s in preStop: the ALB keeps sending it requests for the ${delay} s deregistration delay after it is told to stop`;
  if (grace <= hold)
    return `terminationGracePeriodSeconds ${grace} ends before container ${c.name}'s ${hold} s preStop: the kubelet kills the pod while the ALB still sends it requests`;
  return undefined;
}

export const workloadsZeroDowntime = resourcePolicy({
  name: "workloads-zero-downtime",
  description:
    "Deployments roll with maxUnavailable 0 (new pods are ready before old ones go); the API's containers hold a preStop longer than the target group's deregistration delay (app:api.deregistrationDelaySeconds) and shorter than the pod's termination grace period, so no in-flight request is cut (a preStop whose duration the manifest does not show, e.g. an httpGet, is not judged).",
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
    // Kubernetes' default grace period is 30 s (PodSpec terminationGracePeriodSeconds).
    const grace = Number(args.props.spec?.template?.spec?.terminationGracePeriodSeconds ?? 30);
    for (const c of appContainers(args.props)) {
      const problem = shutdownProblem(c, delay, grace);
      if (problem) report(`${problem}.`);
    }
  },
});
