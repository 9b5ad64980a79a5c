import { stackPolicy } from "../../lib/define";
import {
  apiDeployments,
  colorOf,
  dependsOn,
  ofType,
  productionListener,
  smokeJobs,
  T,
  weightedTargets,
} from "../../lib/props";

export const edgeSmokeTestedWeight = stackPolicy({
  name: "edge-smoke-tested-weight",
  description:
    "The production listener waits for the smoke test of the color under test, whatever the weights, and sends traffic only to the live color and that smoke-tested color.",
  area: "edge",
  runbook: "Smoke test passed before traffic; weights sum to 100",
  severity: "critical",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Build the ProductionListener from blueGreenState() (tags rollout/live, rollout/under-test) with dependsOn: [smokeTest.job], and the SmokeTest Job of the under-test color with dependsOn its Deployment.",
  validateStack: (args, report) => {
    const prod = productionListener(args.resources);
    if (!prod) {
      args.notApplicable("no production listener (tag rollout/role=production)");
      return;
    }
    const { listener, live, underTest } = prod;
    if (!live || !underTest) {
      report(
        `listener ${listener.name} does not state which color is live and which is under test (tags rollout/live, rollout/under-test): its weights cannot be judged.`,
        listener.urn,
      );
      return;
    }
    const deployment = apiDeployments(args.resources).find(
      (d) => d.props.metadata?.labels?.["rollout/color"] === underTest,
    );
    const smokes = smokeJobs(args.resources).filter((j) => j.props.metadata?.labels?.["rollout/color"] === underTest);
    const gated = smokes.some((s) => dependsOn(listener, s) && deployment !== undefined && dependsOn(s, deployment));
    if (!gated)
      report(
        `listener ${listener.name} does not wait for a smoke test of ${underTest}, the color under test: a failed smoke test would not stop the traffic change.`,
        listener.urn,
      );
    const tgs = ofType(args.resources, T.targetGroup);
    for (const t of (weightedTargets(listener.props) ?? []).filter((x) => x.weight > 0)) {
      const tg = tgs.find((g) => String(g.props.arn) === t.arn);
      const color = tg && colorOf(tg);
      if (color !== live && color !== underTest)
        report(
          `listener ${listener.name} sends ${t.weight}% to ${color ?? t.arn}, which is neither the live color (${live}) nor the smoke-tested color under test (${underTest}).`,
          listener.urn,
        );
    }
  },
});
