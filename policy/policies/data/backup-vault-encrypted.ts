import { resourcePolicy } from "../../lib/define";
import { isSet, isType, T } from "../../lib/props";

export const dataBackupVaultEncrypted = resourcePolicy({
  name: "data-backup-vault-encrypted",
  description: "AWS Backup vaults are encrypted with a customer-managed key.",
  area: "data",
  readiness: ["cmk-encryption"],
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps: "Set kmsKeyArn on the vault to a customer-managed key.",
  validateResource: (args, report) => {
    if (!isType(args, T.backupVault)) return;
    // A key ARN unknown in a preview is computed by a key the stack creates: set.
    if (!isSet(() => args.props.kmsKeyArn))
      report("kmsKeyArn is not set: recovery points would be encrypted with the AWS-managed backup key.");
  },
});
