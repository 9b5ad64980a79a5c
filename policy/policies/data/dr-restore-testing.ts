import type { PolicyResource } from "@pulumi/policy";
import { stackPolicy } from "../../lib/define";
import { isPrimaryDatabase, ofType, refersTo, regionOf, T } from "../../lib/props";

/**
 * A vault's restore test is a plan in the vault's region whose recovery-point selection includes the vault (by
 * URN; regions compared as the resources state them, both inputs or both outputs), with
 * an RDS selection for the primary database restored into the DR network (metadata override
 * `dbSubnetGroupName`, AWS Backup developer guide "Restore testing inferred metadata").
 */
/** The region as declared or known, else the stack's: an unknown computed region is the provider's. */
const regionIn = (r: PolicyResource) => regionOf(r) ?? "the stack's region";

function testedIn(resources: PolicyResource[], vault: PolicyResource, db: PolicyResource): string | undefined {
  const region = regionIn(vault);
  const plans = ofType(resources, T.restoreTestingPlan).filter(
    (p) => regionIn(p) === region && refersTo(p, "recoveryPointSelection", vault),
  );
  if (plans.length === 0)
    return `no restore-testing plan in ${region ?? "the stack's region"} includes the vault ${vault.props.name ?? vault.name}`;
  const selection = ofType(resources, T.restoreTestingSelection).find(
    (s) =>
      s.props.protectedResourceType === "RDS" &&
      plans.some((p) => refersTo(s, "restoreTestingPlanName", p, [() => p.props.name])) &&
      refersTo(s, "protectedResourceArns", db, [() => db.props.arn]),
  );
  if (!selection) return `no RDS restore-testing selection in ${region} for database ${db.props.identifier ?? db.name}`;
  const overrides = (selection.props.restoreMetadataOverrides ?? {}) as Record<string, unknown>;
  if (!Object.keys(overrides).some((k) => k.toLowerCase() === "dbsubnetgroupname"))
    return `the DR restore test of ${db.props.identifier ?? db.name} names no DB subnet group: AWS Backup would restore into the default VPC of ${region}, which may not exist`;
  return undefined;
}

export const dataDrRestoreTesting = stackPolicy({
  name: "data-dr-restore-testing",
  description:
    "Every backup vault, the DR copy vault included, is restore-tested in its own region on a schedule, into a named DB subnet group (runbook 003: exercise failover; 004: verify backup integrity).",
  area: "data",
  readiness: ["dr-exercise"],
  severity: "medium",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Set app:backups.crossRegionCopy.restoreInto (dbSubnetGroupName, vpcSecurityGroupIds of the DR network) with app:backups.restoreTesting: true.",
  validateStack: (args, report) => {
    for (const vault of ofType(args.resources, T.backupVault))
      for (const db of ofType(args.resources, T.rdsInstance).filter(isPrimaryDatabase)) {
        const problem = testedIn(args.resources, vault, db);
        if (problem) report(`${problem}: the first restore of its recovery points would be an emergency.`, vault.urn);
      }
  },
});
