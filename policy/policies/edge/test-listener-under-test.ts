import { DEFAULT_TEST_LISTENER_PORT } from "@app-rollout/shared";
import { stackPolicy } from "../../lib/define";
import { colorOf, ofType, productionListener, referenced, singleTarget, str, T, UNKNOWN } from "../../lib/props";
import { stackConfig } from "../../lib/stack-config";

export const edgeTestListenerUnderTest = stackPolicy({
  name: "edge-test-listener-under-test",
  description:
    "The test listener forwards to the color under test: the color the smoke test checks, so what a tester sees on the test port is what the smoke test passed.",
  area: "edge",
  readiness: ["smoke-before-traffic"],
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Point the test listener at the target group of blueGreenState().underTest (BlueGreenLoadBalancer testColor).",
  validateStack: (args, report) => {
    const port = Number(stackConfig().tls?.testListenerPort ?? DEFAULT_TEST_LISTENER_PORT);
    const underTest = productionListener(args.resources)?.underTest;
    if (!underTest) {
      args.notApplicable("no production listener stating the color under test (tag rollout/under-test)");
      return;
    }
    const tgs = ofType(args.resources, T.targetGroup);
    for (const l of ofType(args.resources, T.listener).filter((x) => x.props.port === port)) {
      const target = singleTarget(l.props);
      // In a preview the ARN is unknown: the one target group the forward depends on is the target.
      const tg =
        target === UNKNOWN
          ? referenced(l, "defaultActions", args.resources, T.targetGroup)[0]
          : tgs.find((g) => str(() => g.props.arn) === target);
      const color = tg && colorOf(tg);
      if (color !== underTest)
        report(
          `test listener ${l.name} forwards to ${color ?? "an unknown target group"}, not to ${underTest}, the color under test: the smoke test and testers would check different colors.`,
          l.urn,
        );
    }
  },
});
