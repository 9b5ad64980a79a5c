import { resourcePolicy } from "../../lib/define";
import { isType, T, weightedTargets } from "../../lib/props";

export const edgeWeightsSum = resourcePolicy({
  name: "edge-weights-sum",
  description: "Weighted forwards send exactly 100 % of traffic, each weight 0-100.",
  area: "edge",
  readiness: ["smoke-before-traffic"],
  severity: "critical",
  enforcementLevel: "mandatory",
  remediationSteps: "Derive weights from app:blueGreen.live and canaryWeight (ProductionListener does).",
  validateResource: (args, report) => {
    if (!isType(args, T.listener)) return;
    const targets = weightedTargets(args.props);
    if (!targets) return;
    const sum = targets.reduce((n, t) => n + t.weight, 0);
    if (sum !== 100) report(`forward weights sum to ${sum}, not 100.`);
    for (const t of targets) if (t.weight < 0 || t.weight > 100) report(`weight ${t.weight} is outside 0-100.`);
  },
});
