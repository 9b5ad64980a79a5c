import { stackPolicy } from "../../lib/define";
import { ofType, T } from "../../lib/props";

const regionOf = (arn: string | undefined) => arn?.split(":")[3];

export const dataCrossRegionCopy = stackPolicy({
  name: "data-cross-region-copy",
  description: "Every backup rule copies its recovery points to a vault in another region (disaster recovery).",
  area: "data",
  runbook: "Backups rotated, copied cross-region, restore tested",
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps: "Set app:backups.crossRegionCopy.region to a second region.",
  validateStack: (args, report) => {
    const vaults = ofType(args.resources, T.backupVault);
    for (const plan of ofType(args.resources, T.backupPlan)) {
      for (const rule of (plan.props.rules as {
        ruleName: string;
        targetVaultName: string;
        copyActions?: { destinationVaultArn: string }[];
      }[]) ?? []) {
        const source = vaults.find((v) => v.props.name === rule.targetVaultName);
        const home = regionOf(source?.props.arn);
        const copies = rule.copyActions ?? [];
        if (!copies.some((c) => regionOf(c.destinationVaultArn) && regionOf(c.destinationVaultArn) !== home))
          report(`backup rule ${rule.ruleName} of ${plan.name} has no copy to another region.`, plan.urn);
      }
    }
  },
});
