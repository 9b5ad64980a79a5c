import { threshold } from "@app-rollout/shared";
import { resourcePolicy } from "../../lib/define";
import { isType, T } from "../../lib/props";

export const edgeAlbHardening = resourcePolicy({
  name: "edge-alb-hardening",
  description: "Load balancers drop invalid headers, write access logs and (where required) have deletion protection.",
  area: "edge",
  readiness: ["alb-hardening"],
  severity: "medium",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Set dropInvalidHeaderFields: true, accessLogs.enabled: true and, in prod, enableDeletionProtection: true.",
  configSchema: {
    properties: {
      requireDeletionProtection: {
        type: "boolean",
        default: threshold("alb-hardening", "requireDeletionProtection", "prod"),
      },
    },
  },
  validateResource: (args, report) => {
    if (!isType(args, T.loadBalancer)) return;
    const { requireDeletionProtection } = args.getConfig<{ requireDeletionProtection: boolean }>();
    if (args.props.dropInvalidHeaderFields !== true)
      report("dropInvalidHeaderFields is not true (HTTP desync protection).");
    if (args.props.accessLogs?.enabled !== true) report("access logs are not enabled.");
    if (requireDeletionProtection && args.props.enableDeletionProtection !== true)
      report("enableDeletionProtection is not true.");
  },
});
