import { LABEL, threshold } from "@app-rollout/shared";
import { stackPolicy } from "../../lib/define";
import { apiDeployments, ofType, productionListener, T, UNKNOWN, weightOf } from "../../lib/props";

export const workloadsMinReplicas = stackPolicy({
  name: "workloads-min-replicas",
  description:
    "API Deployments that can take traffic run at least the configured replicas (directly or through an HPA minimum); a color scaled down on purpose takes 0 % of traffic.",
  area: "workloads",
  readiness: ["zero-downtime"],
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps: `Set app:api.replicas >= the minimum (prod: ${threshold("zero-downtime", "minimum", "prod")}); scale a color down only when it takes no traffic.`,
  configSchema: {
    properties: { minimum: { type: "integer", minimum: 1, default: threshold("zero-downtime", "minimum", "prod") } },
  },
  validateStack: (args, report) => {
    const { minimum } = args.getConfig<{ minimum: number }>();
    const prod = productionListener(args.resources);
    const hpas = ofType(args.resources, T.hpa);
    for (const d of apiDeployments(args.resources)) {
      const labels = d.props.metadata?.labels ?? {};
      const color = labels[LABEL.color];
      if (labels[LABEL.scaledDown] === "true") {
        const weight =
          prod && (color === "blue" || color === "green") ? weightOf(prod.listener, color, args.resources) : 0;
        // In a preview the weights cannot be matched to colors: a scaled-down color must not be the live one
        // or the one under test (the listener's tags say which colors take traffic).
        const takesTraffic = weight === UNKNOWN ? color === prod?.live || color === prod?.underTest : weight > 0;
        if (takesTraffic)
          report(
            `Deployment ${d.props.metadata?.name} is scaled down (rollout/scaled-down) but the production listener sends it ${weight === UNKNOWN ? "traffic (it is live or under test)" : `${weight}%`}.`,
            d.urn,
          );
        continue;
      }
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
