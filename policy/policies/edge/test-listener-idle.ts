import { stackPolicy } from "../../lib/define";
import { colorOf, ofType, singleTarget, T } from "../../lib/props";
import { stackConfig } from "../../lib/stack-config";

export const edgeTestListenerIdle = stackPolicy({
  name: "edge-test-listener-idle",
  description: "The test listener forwards to the idle color, never to the live one.",
  area: "edge",
  runbook: "Smoke test passed before traffic; weights sum to 100",
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps: "Point the test listener at the target group of the color that is not app:blueGreen.live.",
  validateStack: (args, report) => {
    const cfg = stackConfig();
    const port = Number(cfg.tls?.testListenerPort ?? 8443);
    const live = cfg.blueGreen?.live;
    const tgs = ofType(args.resources, T.targetGroup);
    for (const l of ofType(args.resources, T.listener).filter((x) => x.props.port === port)) {
      const tg = tgs.find((g) => g.props.arn === singleTarget(l.props));
      if (tg && colorOf(tg) === live)
        report(
          `test listener ${l.name} forwards to the live color ${live}: smoke tests would hit production pods.`,
          l.urn,
        );
    }
  },
});
