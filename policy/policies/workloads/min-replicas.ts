import { stackPolicy } from "../../lib/define";
import { ofType, T } from "../../lib/props";
import { stackConfig } from "../../lib/stack-config";

export const workloadsMinReplicas = stackPolicy({
  name: "workloads-min-replicas",
  description:
    "API Deployments that can take traffic run at least the configured replicas (directly or through an HPA minimum).",
  area: "workloads",
  runbook: "Zero downtime: maxUnavailable 0, PDB, preStop > deregistration, readiness gates",
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps: "Set app:api.replicas >= the minimum (prod: 2).",
  configSchema: { properties: { minimum: { type: "integer", minimum: 1, default: 2 } } },
  validateStack: (args, report) => {
    const { minimum } = args.getConfig<{ minimum: number }>();
    const bg = stackConfig().blueGreen ?? {};
    const idle = bg.live === "blue" ? "green" : "blue";
    const hpas = ofType(args.resources, T.hpa);
    for (const d of ofType(args.resources, T.deployment)) {
      const labels = d.props.metadata?.labels ?? {};
      if (labels["app.kubernetes.io/component"] !== "api") continue;
      if (bg.scaleDownIdle === true && labels["rollout/color"] === idle) continue; // scaled down on purpose, takes no traffic
      const hpa = hpas.find(
        (h) =>
          h.props.spec?.scaleTargetRef?.name === d.props.metadata?.name &&
          h.props.metadata?.namespace === d.props.metadata?.namespace,
      );
      const replicas = d.props.spec?.replicas ?? hpa?.props.spec?.minReplicas ?? 1;
      if (replicas < minimum)
        report(
          `Deployment ${d.props.metadata?.name} runs ${replicas} replica(s); at least ${minimum} needed so a pod loss is not an outage.`,
          d.urn,
        );
    }
  },
});
