import { describeItem } from "@app-rollout/shared";
import * as pulumi from "@pulumi/pulumi";
import { resourcePolicy } from "../../lib/define";
import { isType, str, T } from "../../lib/props";

/**
 * "To use an ACM certificate with Elastic Load Balancing, you must request or import the certificate in the
 * same Region as your load balancer" (AWS Certificate Manager User Guide, "Services integrated with ACM",
 * Elastic Load Balancing). AWS refuses it only when the listener is created (CertificateNotFound): judged
 * here, before the up. The listener's region: its `region` input, else the provider's (`aws:region`).
 */
export const edgeCertificateRegion = resourcePolicy({
  name: "edge-certificate-region",
  description: "An HTTPS listener's certificate is in the load balancer's region (ACM certificates are regional).",
  area: "edge",
  readiness: ["tls-everywhere"],
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Request or import the certificate in the stack's region and set app:tls.certificateArn to it (pulumi config set --path 'app:tls.certificateArn' arn:aws:acm:<region>:…).",
  validateResource: (args, report) => {
    if (!isType(args, T.listener) || args.props.protocol !== "HTTPS") return;
    const arn = str(() => args.props.certificateArn);
    if (typeof arn !== "string") return;
    const declared = str(() => args.props.region);
    const region = typeof declared === "string" ? declared : pulumi.runtime.allConfig()["aws:region"];
    if (!region) {
      args.notApplicable("the load balancer's region is neither a listener input nor aws:region in the stack config");
      return;
    }
    const certRegion = arn.split(":")[3];
    if (certRegion && certRegion !== region)
      report(
        `certificate ${arn} is in ${certRegion}, the load balancer in ${region}: ELB only uses ACM certificates of its own region, so the listener create would fail (CertificateNotFound). Readiness: ${describeItem("tls-everywhere")}.`,
      );
  },
});
