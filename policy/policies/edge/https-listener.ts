import { DEFAULT_SSL_POLICIES } from "@app-rollout/shared";
import { resourcePolicy } from "../../lib/define";
import { isType, T } from "../../lib/props";

export const edgeHttpsListener = resourcePolicy({
  name: "edge-https-listener",
  description: "HTTPS listeners use a certificate and a modern TLS policy.",
  area: "edge",
  readiness: ["tls-everywhere"],
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Set certificateArn (app:tls.certificateArn) and sslPolicy to one of the allowed TLS 1.2+/1.3 policies (app:tls.sslPolicy).",
  configSchema: {
    properties: {
      allowedSslPolicies: { type: "array", items: { type: "string" }, default: [...DEFAULT_SSL_POLICIES] },
    },
  },
  validateResource: (args, report) => {
    if (!isType(args, T.listener) || args.props.protocol !== "HTTPS") return;
    const { allowedSslPolicies } = args.getConfig<{ allowedSslPolicies: string[] }>();
    if (!args.props.certificateArn) report("HTTPS listener without certificateArn.");
    if (!allowedSslPolicies.includes(args.props.sslPolicy ?? ""))
      report(`sslPolicy ${args.props.sslPolicy ?? "(default)"} is not one of ${allowedSslPolicies.join(", ")}.`);
  },
});
