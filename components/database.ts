import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { Component } from "./component";
import { EncryptionKey } from "./encryption-key";
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
}

/** Tag of a restored instance: `active`, or `retiring` once its clean-up started (data-deletion-safety reads it). */
export const RESTORE_STATE_TAG = "rollout/restore-state";

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

const DEFAULTS = { multiAz: true, deletionProtection: true, protect: true, dbName: "app", username: "app_admin" };
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
  public readonly instance: aws.rds.Instance;
  public readonly restored?: aws.rds.Instance;
  /** Cross-Region automated backups replication (DR-region PITR), when enabled. */
  public readonly replication?: aws.rds.InstanceAutomatedBackupsReplication;
  public readonly identifier: pulumi.Output<string>;
  public readonly arn: pulumi.Output<string>;
  public readonly address: pulumi.Output<string>;
  public readonly port: pulumi.Output<number>;
  public readonly dbName: string;
  /** Identifier of the instance the application connects to (its users live there). */
  public readonly connectionIdentifier: string;
  public readonly securityGroupId: pulumi.Output<string>;
  public readonly subnetGroupName: pulumi.Output<string>;
  public readonly kmsKeyArn: pulumi.Output<string>;
  /** ARN of the RDS-managed Secrets Manager secret holding `username` and `password`. */
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
    this.instance = this.createInstance(name, a, common, key.arn, finalSnapshot);
    if (a.restore) this.restored = this.createRestore(name, a, a.restore, common, finalSnapshot);
    if (a.crossRegionPitr) this.replication = this.createBackupReplication(name, a, a.crossRegionPitr.region);

    this.identifier = this.instance.identifier;
    this.arn = this.instance.arn;
    this.address = this.instance.address;
    this.port = this.instance.port;
    this.dbName = a.dbName;
    this.connectionIdentifier = a.identifier;
    this.securityGroupId = sg.id;
    this.subnetGroupName = subnets.name;
    this.kmsKeyArn = key.arn;
    this.masterUserSecretArn = this.instance.masterUserSecrets.apply((s) => s?.[0]?.secretArn ?? "");
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
      },
      { parent: this, protect: a.protect },
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
      { sourceDbInstanceArn: this.instance.arn, kmsKeyId: key.arn, retentionPeriod: a.pitrRetentionDays, region },
      { parent: this },
    );
  }

  private createRestore(
    name: string,
    a: Resolved,
    restore: DatabaseRestoreArgs,
    common: CommonSettings,
    finalSnapshot: (id: string) => pulumi.Output<string>,
  ) {
    const restoreTime = restore.restoreTime;
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
        tags: { "rollout/restore": restore.name, [RESTORE_STATE_TAG]: restore.retire ? "retiring" : "active" },
        // A snapshot of this instance is encrypted with the same CMK (common.kmsKeyId): no re-encryption.
        ...(restore.snapshotIdentifier
          ? { snapshotIdentifier: restore.snapshotIdentifier }
          : {
              restoreToPointInTime: {
                sourceDbInstanceIdentifier: this.instance.identifier,
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
