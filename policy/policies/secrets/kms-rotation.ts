import { resourcePolicy } from "../../lib/define";
import { isType, T } from "../../lib/props";

export const secretsKmsRotation = resourcePolicy({
  name: "secrets-kms-rotation",
  description: "Customer-managed KMS keys rotate automatically and have a deletion window of at least 7 days.",
  area: "secrets",
  readiness: ["cmk-encryption"],
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps: "Set enableKeyRotation: true and deletionWindowInDays 7-30 (EncryptionKey does).",
  validateResource: (args, report) => {
    if (!isType(args, T.kmsKey)) return;
    const symmetric = (args.props.customerMasterKeySpec ?? "SYMMETRIC_DEFAULT") === "SYMMETRIC_DEFAULT";
    if (symmetric && args.props.enableKeyRotation !== true) report("enableKeyRotation is not true.");
    const w = args.props.deletionWindowInDays;
    if (typeof w === "number" && w < 7) report(`deletionWindowInDays is ${w}; at least 7.`);
  },
});
