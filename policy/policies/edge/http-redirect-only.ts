import { resourcePolicy } from "../../lib/define";
import { isType, type Props, T } from "../../lib/props";

export const edgeHttpRedirectOnly = resourcePolicy({
  name: "edge-http-redirect-only",
  description: "Plain-HTTP listeners only redirect to HTTPS; they never forward traffic.",
  area: "edge",
  readiness: ["tls-everywhere"],
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps: "Give the HTTP listener a single redirect action to protocol HTTPS, port 443.",
  validateResource: (args, report) => {
    if (!isType(args, T.listener) || args.props.protocol !== "HTTP") return;
    const actions: Props[] = Array.isArray(args.props.defaultActions) ? args.props.defaultActions : [];
    const bad = actions.filter((a) => a?.type !== "redirect" || a.redirect?.protocol !== "HTTPS");
    if (actions.length === 0 || bad.length > 0)
      report(
        `HTTP listener on port ${args.props.port} has actions other than a redirect to HTTPS: ${bad.map((a) => a?.type).join(", ") || "none"}.`,
      );
  },
});
