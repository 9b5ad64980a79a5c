import { TAG } from "@app-rollout/shared";
import { UnknownValueError } from "@pulumi/policy";
import { stackPolicy } from "../../lib/define";
import {
  apiDeployments,
  dependsOn,
  forwardTargets,
  productionListener,
  smokeJobs,
  UNKNOWN_STRING,
} from "../../lib/props";

export const edgeSmokeTestedWeight = stackPolicy({
  name: "edge-smoke-tested-weight",
  description:
    "The production listener waits for the smoke test of the color under test, whatever the weights, and sends traffic only to the live color and that smoke-tested color.",
  area: "edge",
  readiness: ["smoke-before-traffic"],
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
    const deployment = apiDeployments(args.resources).find((d) => d.props.metadata?.labels?.[TAG.color] === underTest);
    const smokes = smokeJobs(args.resources).filter((j) => j.props.metadata?.labels?.[TAG.color] === underTest);
    const gated = smokes.some((s) => dependsOn(listener, s) && deployment !== undefined && dependsOn(s, deployment));
    if (!gated)
      report(
        `listener ${listener.name} does not wait for a smoke test of ${underTest}, the color under test: a failed smoke test would not stop the traffic change.`,
        listener.urn,
      );
    const { targets, mismatch } = forwardTargets(listener, args.resources);
    if (mismatch) report(`listener ${listener.name}: ${mismatch}.`, listener.urn);
    // A preview without the order tag cannot match weights to groups: that needs the computed ARNs.
    if (!targets) throw new UnknownValueError(UNKNOWN_STRING, ["defaultActions", "0", "forward", "targetGroups"]);
    for (const { weight, group, color } of targets.filter((t) => t.weight > 0)) {
      if (color !== live && color !== underTest)
        report(
          `listener ${listener.name} sends ${weight}% to ${color ?? group?.name ?? "a target group outside the stack"}, which is neither the live color (${live}) nor the smoke-tested color under test (${underTest}).`,
          listener.urn,
        );
    }
  },
});
