import { DEFAULT_TEST_LISTENER_PORT } from "@app-rollout/shared";
import type { PolicyResource } from "@pulumi/policy";
import { stackPolicy } from "../../lib/define";
import { ofType, type Props, str, T } from "../../lib/props";
import { stackConfig } from "../../lib/stack-config";

const OPEN = ["0.0.0.0/0", "::/0"];

/** The CIDRs the stack allows on the test listener (app:tls.testListenerCidrs). */
function allowedCidrs(): string[] {
  const cidrs = stackConfig().tls?.testListenerCidrs;
  return Array.isArray(cidrs) ? cidrs.filter((c): c is string => typeof c === "string") : [];
}

/**
 * Whether an ingress rule is one of the load balancer's: its securityGroupId is computed from a security
 * group the load balancer's securityGroups are computed from (property dependencies: known at preview), or
 * (ids known) names one of them. Rules of other groups (a database, the nodes) are not the listener's.
 */
function onLoadBalancer(rule: PolicyResource, lbs: PolicyResource[]): boolean {
  const groups = new Set(lbs.flatMap((lb) => (lb.propertyDependencies?.securityGroups ?? []).map((g) => g.urn)));
  if ((rule.propertyDependencies?.securityGroupId ?? []).some((g) => groups.has(g.urn))) return true;
  const ids = new Set(lbs.flatMap((lb) => (Array.isArray(lb.props.securityGroups) ? lb.props.securityGroups : [])));
  const id = str(() => rule.props.securityGroupId);
  return typeof id === "string" && ids.has(id);
}

/** What a rule admits: its CIDR, or the prefix list / security group it names instead. */
function source(p: Props): string | undefined {
  if (typeof p.cidrIpv4 === "string") return p.cidrIpv4;
  if (typeof p.cidrIpv6 === "string") return p.cidrIpv6;
  if (typeof p.prefixListId === "string") return `prefix list ${p.prefixListId}`;
  if (typeof p.referencedSecurityGroupId === "string") return `security group ${p.referencedSecurityGroupId}`;
  return undefined;
}

export const edgeTestListenerRestricted = stackPolicy({
  name: "edge-test-listener-restricted",
  description:
    "The test listener (the color under test) is reachable only from app:tls.testListenerCidrs: every rule of the load balancer's security groups that covers its port names one of them, never the internet, a prefix list or another security group.",
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
    const lbs = ofType(args.resources, T.loadBalancer) as PolicyResource[];
    for (const rule of ofType(args.resources, T.ingressRule)) {
      const p = rule.props;
      const covers =
        p.ipProtocol === "-1" ||
        (typeof p.fromPort === "number" && typeof p.toPort === "number" && p.fromPort <= port && port <= p.toPort);
      const from = source(p);
      if (!covers || from === undefined || !onLoadBalancer(rule as PolicyResource, lbs)) continue;
      if (OPEN.includes(from))
        report(`security group rule ${rule.name} opens the test listener port ${port} to ${from}.`, rule.urn);
      else if (!allowed.includes(from))
        report(
          `security group rule ${rule.name} admits ${from} to the test listener port ${port}, which is not in app:tls.testListenerCidrs (${allowed.join(", ") || "none"}).`,
          rule.urn,
        );
    }
  },
});
