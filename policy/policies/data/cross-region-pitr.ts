import { stackPolicy } from "../../lib/define";
import { arnRegion, isPrimaryDatabase, isSet, ofType, referenced, refersTo, regionOf, str, T } from "../../lib/props";

const REPLICATION = "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication";

export const dataCrossRegionPitr = stackPolicy({
  name: "data-cross-region-pitr",
  description:
    "Every database replicates its automated backups (snapshots and transaction logs) to another region, encrypted with a customer-managed key there, with its full point-in-time window: PITR after a region loss.",
  area: "data",
  readiness: ["dr-replication"],
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Set app:database.crossRegionPitr: true with app:backups.crossRegionCopy.region naming the DR region (components/database.ts creates the replication and its DR-region key).",
  validateStack: (args, report) => {
    const replications = ofType(args.resources, REPLICATION);
    for (const db of ofType(args.resources, T.rdsInstance).filter(isPrimaryDatabase)) {
      const r = replications.find((x) => refersTo(x, "sourceDbInstanceArn", db, [() => db.props.arn]));
      if (!r) {
        report(
          `database ${db.props.identifier ?? db.name} has no cross-region automated backups replication: a region loss loses everything since the last daily copy.`,
          db.urn,
        );
        continue;
      }
      // Regions as declared (the `region` inputs, known before creation), else from known ARNs.
      const home = regionOf(db) ?? "the stack's region";
      const key = referenced(r, "kmsKeyId", args.resources, T.kmsKey)[0];
      const region = regionOf(r);
      if (!region || region === home)
        report(
          `the backups replication of ${db.props.identifier ?? db.name} stays in ${home}: replicate to another region.`,
          r.urn,
        );
      const keyRegion = key ? regionOf(key) : arnRegion(str(() => r.props.kmsKeyId));
      if (!isSet(() => r.props.kmsKeyId) || keyRegion !== region)
        report(
          `the backups replication of ${db.props.identifier ?? db.name} has no customer-managed key in ${region}.`,
          r.urn,
        );
      const window = Number(db.props.backupRetentionPeriod ?? 0);
      if (Number(r.props.retentionPeriod ?? 7) < window)
        report(
          `the replicated backups of ${db.props.identifier ?? db.name} are kept ${r.props.retentionPeriod ?? 7} days, less than its ${window}-day point-in-time window.`,
          r.urn,
        );
    }
  },
});
