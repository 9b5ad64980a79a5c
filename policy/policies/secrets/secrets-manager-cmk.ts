import { threshold } from "@app-rollout/shared";
import { resourcePolicy } from "../../lib/define";
import { isSet, isType, T } from "../../lib/props";

export const secretsManagerCmk = resourcePolicy({
  name: "secrets-manager-cmk",
  description: "Secrets Manager secrets use a customer-managed key and keep a recovery window.",
  area: "secrets",
  readiness: ["cmk-encryption", "secret-recovery"],
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps: `Set kmsKeyId to a customer-managed key and recoveryWindowInDays >= the minimum (staging ${threshold("secret-recovery", "minimumRecoveryDays", "staging")}, prod ${threshold("secret-recovery", "minimumRecoveryDays", "prod")}; 0 deletes immediately).`,
  configSchema: {
    properties: {
      minimumRecoveryDays: {
        type: "integer",
        minimum: 7,
        maximum: 30,
        default: threshold("secret-recovery", "minimumRecoveryDays", "prod"),
      },
    },
  },
  validateResource: (args, report) => {
    if (!isType(args, T.secret)) return;
    const { minimumRecoveryDays } = args.getConfig<{ minimumRecoveryDays: number }>();
    if (!isSet(() => args.props.kmsKeyId)) report("kmsKeyId is not set: the secret uses the AWS-managed key.");
    const w = args.props.recoveryWindowInDays;
    if (typeof w === "number" && w < minimumRecoveryDays)
      report(`recoveryWindowInDays is ${w}; at least ${minimumRecoveryDays} so a deleted secret can be recovered.`);
  },
});
