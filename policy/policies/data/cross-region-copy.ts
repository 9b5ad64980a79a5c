import type { PolicyResource } from "@pulumi/policy";
import { stackPolicy } from "../../lib/define";
import { arnRegion, ofType, type Props, referenced, regionOf, str, T } from "../../lib/props";

/** A vault's region, or the stack's (provider) region when it is computed. */
const vaultRegion = (v: PolicyResource | undefined) => (v && regionOf(v)) ?? "(the stack's region)";

export const dataCrossRegionCopy = stackPolicy({
  name: "data-cross-region-copy",
  description: "Every backup rule copies its recovery points to a vault in another region (disaster recovery).",
  area: "data",
  readiness: ["backups-rotated"],
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps: "Set app:backups.crossRegionCopy.region to a second region.",
  validateStack: (args, report) => {
    const vaults = ofType(args.resources, T.backupVault);
    for (const plan of ofType(args.resources, T.backupPlan)) {
      const rules = ((Array.isArray(plan.props.rules) ? plan.props.rules : []) as Props[]).filter(Boolean);
      // Copy destinations by URN (the plan's rules depend on the vaults they name), else by known ARN.
      const referencedVaults = referenced(plan, "rules", args.resources, T.backupVault);
      for (const rule of rules) {
        const source = vaults.find((v) => v.props.name === rule.targetVaultName);
        const home = vaultRegion(source);
        const copies = (Array.isArray(rule.copyActions) ? rule.copyActions : []) as Props[];
        const regions = copies.map((c) => {
          const arn = str(() => c?.destinationVaultArn);
          if (typeof arn === "string") return arnRegion(arn);
          // Unknown ARN: the vault it comes from is one the rules depend on, other than the rule's target.
          const dest = referencedVaults.filter((v) => v !== source && vaultRegion(v) !== home);
          return dest.length > 0 ? vaultRegion(dest[0]) : undefined;
        });
        if (!regions.some((r) => r && r !== home))
          report(`backup rule ${rule.ruleName} of ${plan.name} has no copy to another region.`, plan.urn);
      }
    }
  },
});
