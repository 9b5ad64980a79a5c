import { stackPolicy } from "../../lib/define";
import { ofType, T } from "../../lib/props";

export const dataVaultLock = stackPolicy({
  name: "data-vault-lock",
  description: "The backup vault used by the backup plan is locked (recovery points cannot be deleted early).",
  area: "data",
  readiness: ["backups-rotated"],
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps: "Set app:backups.vaultLock (min/max retention, changeableForDays).",
  validateStack: (args, report) => {
    const targets = new Set(
      ofType(args.resources, T.backupPlan).flatMap((p) =>
        ((Array.isArray(p.props.rules) ? p.props.rules : []) as { targetVaultName?: string }[]).map(
          (r) => r?.targetVaultName,
        ),
      ),
    );
    const locked = new Set(ofType(args.resources, T.vaultLock).map((l) => l.props.backupVaultName));
    for (const vault of ofType(args.resources, T.backupVault)) {
      const name = vault.props.name;
      if (targets.has(name) && !locked.has(name)) report(`backup vault ${name} has no vault lock.`, vault.urn);
    }
  },
});
