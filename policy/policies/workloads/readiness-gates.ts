import { LABEL } from "@app-rollout/shared";
import { stackPolicy } from "../../lib/define";
import { apiDeployments, ofType, T } from "../../lib/props";

export const workloadsReadinessGates = stackPolicy({
  name: "workloads-readiness-gates",
  description:
    "The API's namespace has the AWS Load Balancer Controller's pod readiness gate injection (elbv2.k8s.aws/pod-readiness-gate-inject: enabled), so a rolling update waits until the ALB target of each new pod is healthy before it stops an old one.",
  area: "workloads",
  readiness: ["zero-downtime"],
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Label the namespace elbv2.k8s.aws/pod-readiness-gate-inject=enabled (the AppNamespace component does) before the API pods are created: the gate is injected at pod creation.",
  validateStack: (args, report) => {
    const namespaces = ofType(args.resources, T.namespace);
    const apis = apiDeployments(args.resources);
    if (apis.length === 0) args.notApplicable("no API Deployment");
    for (const d of apis) {
      const name = d.props.metadata?.namespace ?? "default"; // the provider's namespace when none is set
      const ns = namespaces.find((n) => n.props.metadata?.name === name);
      if (!ns) continue; // a namespace managed elsewhere: not this stack's to judge
      if (ns.props.metadata?.labels?.[LABEL.readinessGateInject] !== "enabled")
        report(
          `namespace ${name} of ${d.name} lacks ${LABEL.readinessGateInject}: enabled: pods go ready before the ALB registers them, and a rollout can take every healthy target away.`,
          ns.urn,
        );
    }
  },
});
