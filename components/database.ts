// @readiness pitr-retention deletion-safety multi-az dr-replication: RDS instance with PITR retention, deletion protection, final snapshot, multi-AZ and cross-region automated backups from config
// @readiness cmk-encryption no-public-data: storage encrypted with its own CMK, never publicly accessible, SSL forced
import { TAG } from "@app-rollout/shared";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { Component } from "./component";
import { EncryptionKey } from "./encryption-key";
import { APP_DB_NAME, databaseIdentifiers } from "./names";
import { rdsBackupWindow, rdsMaintenanceWindow } from "./windows";

export interface DatabaseRestoreArgs {
  /** Suffix of the restored instance identifier (`<identifier>-<name>`). */
  name: string;
  /** Point in time (ISO-8601) to restore to. @default the latest restorable time */
  restoreTime?: string;
  /** Restore from this DB snapshot (e.g. a pre-release snapshot) instead of a point in time. @default none */
  snapshotIdentifier?: string;
  /**
   * Clean-up step 1: lift Pulumi `protect` (deletion protection and retain-on-delete stay), so that removing
   * the restore block afterwards makes the stack forget the instance instead of being refused. @default false
   */
  retire?: boolean;
  /**
   * Cutover: the restored instance becomes the primary, the one the application connects to (its address,
   * master secret, alarms, pre-release snapshots, DR replication follow). Not with `retire`. @default false
   */
  cutover?: boolean;
  /**
   * After a cutover, the original instance: `keep` (unchanged, protected), `retire` (Pulumi `protect` lifted,
   * retained on delete, AWS deletion protection kept), `forget` (no longer declared: the stack forgets it, it
   * stays in AWS). Each a separate, reviewed change (docs/restore.md). @default "keep"
   */
  original?: "keep" | "retire" | "forget";
}

/** Tag of every instance: `primary` (the application connects to it), `restored` (beside it) or `superseded` (the original after a cutover). */
export const DB_ROLE_TAG = TAG.dbRole;

/** Tag of a restored instance: `active`, or `retiring` once its clean-up started (data-deletion-safety reads it). */
export const RESTORE_STATE_TAG = TAG.restoreState;

export interface DatabaseArgs {
  /** RDS instance identifier, e.g. `artifortress-prod`. */
  identifier: string;
  vpcId: pulumi.Input<string>;
  /** Private subnets (two AZs at least). */
  subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Security group of the cluster nodes/pods: the only ingress source allowed. */
  clientSecurityGroupId: pulumi.Input<string>;
  instanceClass: string;
  /** GiB. */
  allocatedStorage: number;
  /** Storage autoscaling ceiling (GiB). @default allocatedStorage (no autoscaling) */
  maxAllocatedStorage?: number;
  /** Postgres version, e.g. `16.4`. */
  engineVersion: string;
  /** Multi-AZ standby. @default true */
  multiAz?: boolean;
  /** Automated backup retention = point-in-time recovery window, 1-35 days. This component owns PITR. */
  pitrRetentionDays: number;
  /** RDS deletion protection (the API refuses to delete the instance). @default true */
  deletionProtection?: boolean;
  /** Pulumi `protect` on the instance and a restored instance (Pulumi refuses to delete them). @default true */
  protect?: boolean;
  /** Initial database name. @default "app" */
  dbName?: string;
  /** Master user name; its password is generated, stored and rotated by RDS in Secrets Manager. @default "app_admin" */
  username?: string;
  /** When set, an instance restored from this instance's point-in-time backups is created beside it. @default none */
  restore?: DatabaseRestoreArgs;
  /**
   * Replicate the automated backups (snapshots and transaction logs) to this region, encrypted with a CMK
   * there, for point-in-time recovery in the DR region with the same window. @default none
   */
  crossRegionPitr?: { region: string };
}

const DEFAULTS = { multiAz: true, deletionProtection: true, protect: true, dbName: APP_DB_NAME, username: "app_admin" };
type Resolved = DatabaseArgs & typeof DEFAULTS;

/**
 * Readiness invariants: rejected, not silently changed, so config and plan never disagree. What an
 * environment requires (prod: multi-AZ, ≥ 14 days, deletion protection) is the config's rule
 * (config/schema.ts) and the pack's; the component takes explicit settings.
 */
function normalizeArgs(name: string, args: DatabaseArgs): Resolved {
  const a = { ...DEFAULTS, ...args };
  if (a.pitrRetentionDays < 1 || a.pitrRetentionDays > 35)
    throw new Error(`${name}: pitrRetentionDays must be 1-35 (0 disables PITR)`);
  if (a.restore?.cutover && a.restore.retire)
    throw new Error(`${name}: restore.retire with restore.cutover would let the stack forget its primary`);
  if (a.restore && !a.restore.cutover && (a.restore.original ?? "keep") !== "keep")
    throw new Error(
      `${name}: restore.original '${a.restore.original}' needs restore.cutover (the original is the primary)`,
    );
  return a;
}

/** Settings the live instance and a restored one share. */
function commonSettings(
  a: Resolved,
  subnetGroupName: pulumi.Output<string>,
  securityGroupId: pulumi.Output<string>,
  parameterGroupName: pulumi.Output<string>,
  kmsKeyArn: pulumi.Output<string>,
) {
  return {
    instanceClass: a.instanceClass,
    dbSubnetGroupName: subnetGroupName,
    vpcSecurityGroupIds: [securityGroupId],
    parameterGroupName,
    publiclyAccessible: false,
    storageEncrypted: true,
    kmsKeyId: kmsKeyArn,
    storageType: "gp3",
    copyTagsToSnapshot: true,
    deleteAutomatedBackups: false,
    skipFinalSnapshot: false,
    iamDatabaseAuthenticationEnabled: true,
    performanceInsightsEnabled: true,
    performanceInsightsKmsKeyId: kmsKeyArn,
    performanceInsightsRetentionPeriod: 7,
    enabledCloudwatchLogsExports: ["postgresql", "upgrade"],
    autoMinorVersionUpgrade: true,
    // components/windows.ts: one definition with the AWS Backup schedules, checked for conflicts.
    backupWindow: rdsBackupWindow(),
    maintenanceWindow: rdsMaintenanceWindow(),
  };
}
type CommonSettings = ReturnType<typeof commonSettings>;

/**
 * RDS Postgres for the API and worker: private, encrypted with its own CMK, SSL forced, point-in-time
 * recovery from automated backups, final snapshot on delete, automated backups kept on delete, IAM auth,
 * Performance Insights and log exports. The master password is managed by RDS (`manageMasterUserPassword`),
 * so it never enters the Pulumi state or the program.
 */
export class Database extends Component {
  public static readonly type = "app:data:Database";
  /** The original instance; undefined once a cutover forgot it (`restore.original: forget`). */
  public readonly instance?: aws.rds.Instance;
  public readonly restored?: aws.rds.Instance;
  /** The instance the application connects to: the original, or the restored one after a cutover. */
  public readonly primary: aws.rds.Instance;
  /** ARNs of every instance the stack declares (AWS Backup covers them all: any may become the primary). */
  public readonly arns: pulumi.Output<string>[];
  /** Cross-Region automated backups replication (DR-region PITR), when enabled. */
  public readonly replication?: aws.rds.InstanceAutomatedBackupsReplication;
  /** Of the primary. */
  public readonly identifier: pulumi.Output<string>;
  /** Of the primary. */
  public readonly arn: pulumi.Output<string>;
  /** Of the primary. */
  public readonly address: pulumi.Output<string>;
  /** Of the primary. */
  public readonly port: pulumi.Output<number>;
  public readonly dbName: string;
  /** Identifier of the primary (its users live there): components/names.ts databaseIdentifiers. */
  public readonly connectionIdentifier: string;
  public readonly securityGroupId: pulumi.Output<string>;
  public readonly subnetGroupName: pulumi.Output<string>;
  public readonly kmsKeyArn: pulumi.Output<string>;
  /** ARN of the primary's RDS-managed Secrets Manager secret holding `username` and `password`. */
  public readonly masterUserSecretArn: pulumi.Output<string>;

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super(Database.type, name, opts);
    const a = normalizeArgs(name, args);
    const key = new EncryptionKey(
      `${name}-cmk`,
      { purpose: `RDS ${a.identifier}: storage, Performance Insights, master secret`, alias: `${a.identifier}-rds` },
      { parent: this },
    );
    const sg = this.createSecurityGroup(name, a);
    const subnets = new aws.rds.SubnetGroup(
      `${name}-subnets`,
      { subnetIds: a.subnetIds, description: `${a.identifier} private subnets` },
      { parent: this },
    );
    const params = this.createParameterGroup(name, a);
    const common = commonSettings(a, subnets.name, sg.id, params.name, key.arn);
    const finalSnapshot = this.finalSnapshotNamer(name, a);
    const ids = databaseIdentifiers(a.identifier, a.restore);
    if (ids.original) this.instance = this.createInstance(name, a, common, key.arn, finalSnapshot);
    if (a.restore) this.restored = this.createRestore(name, a, a.restore, common, key.arn, finalSnapshot);
    this.primary = (a.restore?.cutover ? this.restored : this.instance)!;
    this.arns = [this.primary, ...[this.instance, this.restored].filter((i) => i && i !== this.primary)].map(
      (i) => i!.arn,
    );
    if (a.crossRegionPitr) this.replication = this.createBackupReplication(name, a, a.crossRegionPitr.region);

    this.identifier = this.primary.identifier;
    this.arn = this.primary.arn;
    this.address = this.primary.address;
    this.port = this.primary.port;
    this.dbName = a.dbName;
    this.connectionIdentifier = ids.primary;
    this.securityGroupId = sg.id;
    this.subnetGroupName = subnets.name;
    this.kmsKeyArn = key.arn;
    this.masterUserSecretArn = this.primary.masterUserSecrets.apply((s) => s?.[0]?.secretArn ?? "");
    this.registerOutputs({
      identifier: this.identifier,
      arn: this.arn,
      address: this.address,
      port: this.port,
      securityGroupId: this.securityGroupId,
      kmsKeyArn: this.kmsKeyArn,
      masterUserSecretArn: this.masterUserSecretArn,
      restoredIdentifier: this.restored?.identifier,
    });
  }

  private createSecurityGroup(name: string, a: Resolved) {
    const sg = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        vpcId: a.vpcId,
        description: `Postgres ${a.identifier}: ingress from the cluster only`,
        revokeRulesOnDelete: true,
      },
      { parent: this },
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-ingress-cluster`,
      {
        securityGroupId: sg.id,
        referencedSecurityGroupId: a.clientSecurityGroupId,
        ipProtocol: "tcp",
        fromPort: 5432,
        toPort: 5432,
        description: "Postgres from EKS pods",
      },
      { parent: this },
    );
    return sg;
  }

  private createParameterGroup(name: string, a: Resolved) {
    const major = a.engineVersion.split(".")[0];
    return new aws.rds.ParameterGroup(
      `${name}-params`,
      {
        family: `postgres${major}`,
        description: `${a.identifier}: SSL required, connection logging`,
        parameters: [
          { name: "rds.force_ssl", value: "1" },
          { name: "log_connections", value: "1" },
          { name: "log_min_duration_statement", value: "1000" },
        ],
      },
      { parent: this },
    );
  }

  /**
   * A final snapshot name used once per instance lifetime: a fixed `<id>-final` would make the second
   * delete of a re-created instance (e.g. staging rebuilt) fail with DBSnapshotAlreadyExists — the first
   * final snapshot is kept. The suffix lives as long as the stack's resources (destroyed with them).
   */
  private finalSnapshotNamer(name: string, a: Resolved): (id: string) => pulumi.Output<string> {
    const suffix = new random.RandomId(
      `${name}-final-id`,
      { byteLength: 3, keepers: { identifier: a.identifier } },
      {
        parent: this,
      },
    );
    return (id: string) => pulumi.interpolate`${id}-final-${suffix.hex}`;
  }

  private createInstance(
    name: string,
    a: Resolved,
    common: CommonSettings,
    kmsKeyArn: pulumi.Output<string>,
    finalSnapshot: (id: string) => pulumi.Output<string>,
  ) {
    const retiring = a.restore?.cutover === true && a.restore.original === "retire";
    return new aws.rds.Instance(
      `${name}-instance`,
      {
        ...common,
        identifier: a.identifier,
        engine: "postgres",
        engineVersion: a.engineVersion,
        allocatedStorage: a.allocatedStorage,
        maxAllocatedStorage: a.maxAllocatedStorage ?? a.allocatedStorage,
        dbName: a.dbName,
        username: a.username,
        manageMasterUserPassword: true,
        masterUserSecretKmsKeyId: kmsKeyArn,
        multiAz: a.multiAz,
        backupRetentionPeriod: a.pitrRetentionDays,
        deletionProtection: a.deletionProtection,
        finalSnapshotIdentifier: finalSnapshot(a.identifier),
        tags: a.restore?.cutover
          ? { [DB_ROLE_TAG]: "superseded", ...(retiring ? { [RESTORE_STATE_TAG]: "retiring" } : {}) }
          : { [DB_ROLE_TAG]: "primary" },
      },
      // After a cutover, `original: retire` lifts protect and retains on delete (AWS deletion protection stays),
      // so that `original: forget` makes the stack forget it instead of deleting it (docs/restore.md).
      { parent: this, protect: a.protect && !retiring, ...(retiring ? { retainOnDelete: true } : {}) },
    );
  }

  /**
   * RDS cross-Region automated backups replication: "RDS copies snapshots and transaction logs to the
   * destination Region as soon as they are ready" (Amazon RDS User Guide, "Replicating automated backups to
   * another AWS Region", USER_ReplicateBackups.html); created in the destination Region (@pulumi/aws
   * rds/instanceAutomatedBackupsReplication.d.ts); an encrypted source needs a KMS key of that Region.
   */
  private createBackupReplication(name: string, a: Resolved, region: string) {
    const key = new EncryptionKey(
      `${name}-dr-cmk`,
      {
        purpose: `RDS ${a.identifier}: replicated automated backups (${region})`,
        alias: `${a.identifier}-rds-dr`,
        region,
      },
      { parent: this },
    );
    return new aws.rds.InstanceAutomatedBackupsReplication(
      `${name}-backup-replication`,
      // Follows the primary: a cutover replaces the replication (its source is create-only).
      { sourceDbInstanceArn: this.primary.arn, kmsKeyId: key.arn, retentionPeriod: a.pitrRetentionDays, region },
      { parent: this },
    );
  }

  private createRestore(
    name: string,
    a: Resolved,
    restore: DatabaseRestoreArgs,
    common: CommonSettings,
    kmsKeyArn: pulumi.Output<string>,
    finalSnapshot: (id: string) => pulumi.Output<string>,
  ) {
    const restoreTime = restore.restoreTime;
    const role = restore.cutover ? "primary" : "restored";
    return new aws.rds.Instance(
      `${name}-restore-${restore.name}`,
      {
        ...common,
        identifier: `${a.identifier}-${restore.name}`,
        // The restored instance may become the new primary: it mirrors the live instance's protections.
        multiAz: a.multiAz,
        backupRetentionPeriod: a.pitrRetentionDays,
        deletionProtection: a.deletionProtection,
        finalSnapshotIdentifier: finalSnapshot(`${a.identifier}-${restore.name}`),
        // Its own RDS-managed master secret (the provider applies it with ModifyDBInstance after the restore:
        // terraform-provider-aws PR #33699), so the db-users Job of a cutover reads this instance's password.
        manageMasterUserPassword: true,
        masterUserSecretKmsKeyId: kmsKeyArn,
        tags: {
          [TAG.restore]: restore.name,
          [RESTORE_STATE_TAG]: restore.retire ? "retiring" : "active",
          [DB_ROLE_TAG]: role,
        },
        // A snapshot of this instance is encrypted with the same CMK (common.kmsKeyId): no re-encryption.
        ...(restore.snapshotIdentifier
          ? { snapshotIdentifier: restore.snapshotIdentifier }
          : {
              restoreToPointInTime: {
                // The same value once the original is forgotten (restore.original: forget): no diff, no replacement.
                sourceDbInstanceIdentifier: this.instance?.identifier ?? a.identifier,
                ...(restoreTime ? { restoreTime } : { useLatestRestorableTime: true }),
              },
            }),
      },
      // Protected like the live instance; retained on delete, so once `retire` lifted `protect` (docs/restore.md,
      // clean-up step 1) removing the restore block makes the stack forget it instead of deleting it. AWS
      // deletion protection stays on: nothing in the clean-up can delete the data.
      { parent: this, protect: a.protect && !restore.retire, retainOnDelete: true },
    );
  }
}
