import { stackPolicy } from "../../lib/define";
import { colorOf, dependsOn, ofType, T, weightedTargets } from "../../lib/props";
import { stackConfig } from "../../lib/stack-config";

export const edgeSmokeTestedWeight = stackPolicy({
  name: "edge-smoke-tested-weight",
  description:
    "Only a smoke-tested color receives canary weight: the listener depends on the smoke test, which ran against that color's Deployment.",
  area: "edge",
  runbook: "Smoke test passed before traffic; weights sum to 100",
  severity: "critical",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Create the ProductionListener with dependsOn: [smokeTest] and the SmokeTestGate with dependsOn the color's Deployment.",
  validateStack: (args, report) => {
    const live = stackConfig().blueGreen?.live;
    const tgs = ofType(args.resources, T.targetGroup);
    const smokes = ofType(args.resources, T.command).filter((c) => String(c.props.create ?? "").includes("smoke-test"));
    const deployments = ofType(args.resources, T.deployment);
    for (const listener of ofType(args.resources, T.listener)) {
      const targets = weightedTargets(listener.props);
      if (!targets) continue;
      for (const t of targets.filter((x) => x.weight > 0)) {
        const tg = tgs.find((g) => g.props.arn === t.arn);
        const color = tg && colorOf(tg);
        if (!color || color === live) continue;
        const deployment = deployments.find((d) => d.props.metadata?.labels?.["rollout/color"] === color);
        const tested = smokes.some((s) => dependsOn(listener, s) && (!deployment || dependsOn(s, deployment)));
        if (!tested)
          report(`listener ${listener.name} sends ${t.weight}% to ${color}, which no smoke test gates.`, listener.urn);
      }
    }
  },
});
