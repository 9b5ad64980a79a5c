import { DEFAULT_TEST_LISTENER_PORT } from "@app-rollout/shared";
import { stackPolicy } from "../../lib/define";
import { ofType, T } from "../../lib/props";
import { stackConfig } from "../../lib/stack-config";

const OPEN = ["0.0.0.0/0", "::/0"];

/** The CIDRs the stack allows on the test listener (app:tls.testListenerCidrs). */
function allowedCidrs(): string[] {
  const cidrs = stackConfig().tls?.testListenerCidrs;
  return Array.isArray(cidrs) ? cidrs.filter((c): c is string => typeof c === "string") : [];
}

export const edgeTestListenerRestricted = stackPolicy({
  name: "edge-test-listener-restricted",
  description:
    "The test listener (the color under test) is reachable only from app:tls.testListenerCidrs: every security group rule covering its port names one of them, never the internet.",
  area: "edge",
  readiness: ["smoke-before-traffic"],
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps: "Restrict the test listener port to app:tls.testListenerCidrs in the ALB security group.",
  validateStack: (args, report) => {
    const port = Number(stackConfig().tls?.testListenerPort ?? DEFAULT_TEST_LISTENER_PORT);
    if (!ofType(args.resources, T.listener).some((l) => l.props.port === port))
      args.notApplicable(`no listener on the test port ${port}`);
    const allowed = allowedCidrs();
    for (const rule of ofType(args.resources, T.ingressRule)) {
      const p = rule.props;
      const covers =
        p.ipProtocol === "-1" ||
        (typeof p.fromPort === "number" && typeof p.toPort === "number" && p.fromPort <= port && port <= p.toPort);
      if (!covers) continue;
      const cidr = p.cidrIpv4 ?? p.cidrIpv6;
      if (cidr === undefined) continue;
      if (OPEN.includes(cidr))
        report(`security group rule ${rule.name} opens the test listener port ${port} to ${cidr}.`, rule.urn);
      else if (!allowed.includes(cidr))
        report(
          `security group rule ${rule.name} admits ${cidr} to the test listener port ${port}, which is not in app:tls.testListenerCidrs (${allowed.join(", ") || "none"}).`,
          rule.urn,
        );
    }
  },
});
