import { resourcePolicy } from "../../lib/define";
import { isType, str, T, UNKNOWN } from "../../lib/props";

export const dataStorageEncryptedCmk = resourcePolicy({
  name: "data-storage-encrypted-cmk",
  description: "RDS storage is encrypted with a customer-managed KMS key.",
  area: "data",
  readiness: ["cmk-encryption"],
  severity: "critical",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Set storageEncrypted: true and kmsKeyId to a customer-managed key (the Database component does both).",
  validateResource: (args, report) => {
    if (!isType(args, T.rdsInstance)) return;
    if (args.props.storageEncrypted !== true)
      report("storageEncrypted is not true: the database and its snapshots would be unencrypted.");
    // Unknown in a preview: the ARN of a key this stack creates, i.e. customer-managed.
    const key = str(() => args.props.kmsKeyId);
    if (key === UNKNOWN) return;
    if (!key)
      report("kmsKeyId is not set: storage would use the AWS-managed aws/rds key instead of a customer-managed key.");
    else if (String(key).includes("alias/aws/"))
      report(`kmsKeyId ${key} is an AWS-managed key; use a customer-managed key.`);
  },
});
