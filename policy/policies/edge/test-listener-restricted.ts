import { DEFAULT_TEST_LISTENER_PORT } from "@app-rollout/shared";
import { stackPolicy } from "../../lib/define";
import { ofType, T } from "../../lib/props";
import { stackConfig } from "../../lib/stack-config";

const OPEN = ["0.0.0.0/0", "::/0"];

export const edgeTestListenerRestricted = stackPolicy({
  name: "edge-test-listener-restricted",
  description: "The test listener (idle color) is reachable only from the configured CIDRs, never from the internet.",
  area: "edge",
  readiness: ["smoke-before-traffic"],
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps: "Restrict the test listener port to app:tls.testListenerCidrs in the ALB security group.",
  validateStack: (args, report) => {
    const port = Number(stackConfig().tls?.testListenerPort ?? DEFAULT_TEST_LISTENER_PORT);
    if (!ofType(args.resources, T.listener).some((l) => l.props.port === port))
      args.notApplicable(`no listener on the test port ${port}`);
    for (const rule of ofType(args.resources, T.ingressRule)) {
      const p = rule.props;
      const covers =
        p.ipProtocol === "-1" ||
        (typeof p.fromPort === "number" && typeof p.toPort === "number" && p.fromPort <= port && port <= p.toPort);
      if (covers && (OPEN.includes(p.cidrIpv4 ?? "") || OPEN.includes(p.cidrIpv6 ?? "")))
        report(
          `security group rule ${rule.name} opens the test listener port ${port} to ${p.cidrIpv4 ?? p.cidrIpv6}.`,
          rule.urn,
        );
    }
  },
});
