import { resourcePolicy } from "../../lib/define";
import { isType, str, T, UNKNOWN } from "../../lib/props";

export const observabilityTopicEncrypted = resourcePolicy({
  name: "observability-topic-encrypted",
  description:
    "SNS topics are encrypted with a customer-managed key (CloudWatch cannot publish to the AWS-managed SNS key).",
  area: "observability",
  readiness: ["cmk-encryption"],
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps: "Use AlertTopic: a CMK whose key policy allows cloudwatch.amazonaws.com.",
  validateResource: (args, report) => {
    if (!isType(args, T.topic)) return;
    // Unknown in a preview: the ARN of a key this stack creates (not the literal alias/aws/sns).
    const key = str(() => args.props.kmsMasterKeyId);
    if (key === UNKNOWN) return;
    if (!key) report("the topic is not encrypted.");
    else if (String(key).includes("alias/aws/sns"))
      report("the topic uses the AWS-managed key alias/aws/sns: CloudWatch alarm notifications would be dropped.");
  },
});
