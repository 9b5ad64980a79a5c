// @readiness backups-rotated: AWS Backup vault and plan (rotation), cross-region copy, vault lock, restore testing
// @readiness dr-exercise: a restore-testing plan in the DR region
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { Component } from "./component";
import { EncryptionKey } from "./encryption-key";
import { BACKUP_SCHEDULES } from "./windows";

export interface BackupsArgs {
  /** Prefix of vault, plan and role names, e.g. `artifortress-prod`. */
  namePrefix: string;
  /** ARN of the RDS instance to protect. */
  databaseArn: pulumi.Input<string>;
  /** Further instances to back up, e.g. a point-in-time restore that may become the primary. @default none */
  extraDatabaseArns?: pulumi.Input<string>[];
  /**
   * Name of the restore-testing selections: it changes when the tested database does (a restore cutover), so
   * the selection is replaced — the provider's update does not apply a new protectedResourceArns
   * (hashicorp/terraform-provider-aws#48316). @default "database"
   */
  restoreTestingSelectionName?: string;
  /** DB subnet group used when restore testing restores the database. */
  databaseSubnetGroupName?: pulumi.Input<string>;
  /** Days a daily snapshot is kept (rotation). */
  dailyRetentionDays: number;
  /** Days a weekly snapshot is kept; 0 = no weekly tier. @default 0 */
  weeklyRetentionDays?: number;
  /** Days a monthly snapshot is kept; 0 = no monthly tier. @default 0 */
  monthlyRetentionDays?: number;
  /** Copy every recovery point to a vault in another region. @default none (prod requires one: config/schema.ts, data-cross-region-copy) */
  crossRegionCopy?: { region: string; retentionDays: number; restoreInto?: DrRestoreTarget };
  /** Vault lock (compliance mode after the cooling-off period). @default none (prod requires one: config/schema.ts, data-vault-lock) */
  vaultLock?: { minRetentionDays: number; maxRetentionDays: number; changeableForDays: number };
  /** Create a weekly restore-testing plan for the database. @default true */
  restoreTesting?: boolean;
  /** SNS topic for vault events (its subscriptions filter out successful completions). @default none */
  notificationTopicArn?: pulumi.Input<string>;
}

/**
 * Where restores in the DR region go (a DB subnet group and security groups of the DR network, made outside
 * this stack): the DR restore test (restore-testing metadata overrides `dbsubnetgroupname`,
 * `vpcSecurityGroupIds`, AWS Backup developer guide "Restore testing inferred metadata") and the DR drill.
 */
export interface DrRestoreTarget {
  dbSubnetGroupName: string;
  vpcSecurityGroupIds: string[];
}

/**
 * Vault events sent to the backup-events topic (components/alert-topic.ts filters out successful
 * completions). Only supported events: BACKUP_JOB_FAILED and RESTORE_JOB_FAILED are deprecated and never
 * sent — a failure arrives as *_COMPLETED with State=FAILED (PutBackupVaultNotifications API Reference).
 */
export const VAULT_EVENTS = [
  "BACKUP_JOB_COMPLETED",
  "COPY_JOB_FAILED",
  "RESTORE_JOB_COMPLETED",
  "S3_BACKUP_OBJECT_FAILED",
  "RECOVERY_POINT_MODIFIED",
];

/**
 * AWS Backup for the database: a CMK-encrypted vault, a plan with daily (and optional weekly/monthly)
 * snapshot rules and rotation by lifecycle, a cross-region copy, a vault lock, vault notifications and a
 * restore-testing plan (runbook 004 "verify backup integrity").
 *
 * Point-in-time recovery is owned by RDS automated backups (`Database.pitrRetentionDays`); the rules here
 * take snapshots only (`enableContinuousBackup: false`). Continuous backup would take over the instance's
 * retention and backup window and make every `pulumi up` fight AWS Backup (drift), see docs/data-protection.md.
 */
export class Backups extends Component {
  public static readonly type = "app:data:Backups";
  public readonly vault: aws.backup.Vault;
  public readonly copyVault?: aws.backup.Vault;
  public readonly plan: aws.backup.Plan;
  public readonly selection: aws.backup.Selection;
  public readonly vaultArn: pulumi.Output<string>;

  constructor(name: string, args: BackupsArgs, opts?: pulumi.ComponentResourceOptions) {
    super(Backups.type, name, opts);
    const a = normalizeArgs(args);
    this.vault = this.createVault(name, a);
    const copy = a.crossRegionCopy ? this.createCopyVault(name, a, a.crossRegionCopy) : undefined;
    if (copy) this.copyVault = copy.vault;
    this.plan = this.createPlan(name, a, this.vault, copy ? [copy.action] : []);
    const { role, attachments } = this.createServiceRole(name, a);
    this.selection = this.createSelection(name, a, this.plan, role, attachments);
    if (a.vaultLock) this.createVaultLocks(name, a, a.vaultLock, this.vault, this.copyVault);
    if (a.notificationTopicArn) this.createNotifications(name, this.vault, a.notificationTopicArn);
    if (a.restoreTesting) {
      const overrides = a.databaseSubnetGroupName ? { dbSubnetGroupName: a.databaseSubnetGroupName } : undefined;
      this.createRestoreTesting(`${name}-restore-test`, a, { vault: this.vault, role, attachments, overrides });
      // The copies are tested where a region loss would restore them (runbook 003), into the DR network.
      const dr = a.crossRegionCopy?.restoreInto;
      if (copy && dr)
        this.createRestoreTesting(`${name}-dr-restore-test`, a, {
          vault: copy.vault,
          role,
          attachments,
          region: a.crossRegionCopy!.region,
          overrides: {
            dbSubnetGroupName: dr.dbSubnetGroupName,
            vpcSecurityGroupIds: JSON.stringify(dr.vpcSecurityGroupIds),
          },
        });
    }

    this.vaultArn = this.vault.arn;
    this.registerOutputs({ vaultArn: this.vaultArn, copyVaultArn: this.copyVault?.arn, planId: this.plan.id });
  }

  private createVault(name: string, a: NormalizedArgs): aws.backup.Vault {
    const key = new EncryptionKey(
      `${name}-cmk`,
      { purpose: `AWS Backup vault ${a.namePrefix}`, alias: `${a.namePrefix}-backup` },
      { parent: this },
    );
    return new aws.backup.Vault(
      `${name}-vault`,
      { name: `${a.namePrefix}-vault`, kmsKeyArn: key.arn, forceDestroy: false },
      { parent: this },
    );
  }

  /** The vault in another region every recovery point is copied to, and the plan rules' copy action. */
  private createCopyVault(
    name: string,
    a: NormalizedArgs,
    crossRegionCopy: NonNullable<BackupsArgs["crossRegionCopy"]>,
  ): { vault: aws.backup.Vault; action: aws.types.input.backup.PlanRuleCopyAction } {
    const region = crossRegionCopy.region;
    const drKey = new EncryptionKey(
      `${name}-dr-cmk`,
      { purpose: `AWS Backup copy vault ${a.namePrefix} (${region})`, alias: `${a.namePrefix}-backup-dr`, region },
      { parent: this },
    );
    const vault = new aws.backup.Vault(
      `${name}-dr-vault`,
      { name: `${a.namePrefix}-dr-vault`, kmsKeyArn: drKey.arn, region, forceDestroy: false },
      { parent: this },
    );
    return {
      vault,
      action: { destinationVaultArn: vault.arn, lifecycle: { deleteAfter: crossRegionCopy.retentionDays } },
    };
  }

  private createPlan(
    name: string,
    a: NormalizedArgs,
    vault: aws.backup.Vault,
    copyActions: aws.types.input.backup.PlanRuleCopyAction[],
  ): aws.backup.Plan {
    // Schedules: components/windows.ts (kept clear of the RDS backup and maintenance windows).
    const rule = (
      ruleName: string,
      schedule: keyof typeof BACKUP_SCHEDULES,
      deleteAfter: number,
    ): aws.types.input.backup.PlanRule => ({
      ruleName,
      targetVaultName: vault.name,
      schedule: BACKUP_SCHEDULES[schedule].cron,
      startWindow: BACKUP_SCHEDULES[schedule].startWindowMinutes,
      completionWindow: BACKUP_SCHEDULES[schedule].completionWindowMinutes,
      enableContinuousBackup: false,
      lifecycle: { deleteAfter },
      copyActions,
      recoveryPointTags: { tier: ruleName },
    });
    const rules = [rule("daily", "daily", a.dailyRetentionDays)];
    if (a.weeklyRetentionDays > 0) rules.push(rule("weekly", "weekly", a.weeklyRetentionDays));
    if (a.monthlyRetentionDays > 0) rules.push(rule("monthly", "monthly", a.monthlyRetentionDays));
    return new aws.backup.Plan(`${name}-plan`, { name: `${a.namePrefix}-plan`, rules }, { parent: this });
  }

  /** The role AWS Backup assumes to back up and restore (also used by restore testing). */
  private createServiceRole(
    name: string,
    a: NormalizedArgs,
  ): { role: aws.iam.Role; attachments: aws.iam.RolePolicyAttachment[] } {
    const role = new aws.iam.Role(
      `${name}-role`,
      {
        description: `AWS Backup service role for ${a.namePrefix}`,
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "backup.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
      },
      { parent: this },
    );
    const attachments = ["AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores"].map(
      (policy) =>
        new aws.iam.RolePolicyAttachment(
          `${name}-role-${policy.endsWith("Backup") ? "backup" : "restores"}`,
          { role: role.name, policyArn: `arn:aws:iam::aws:policy/service-role/${policy}` },
          { parent: this },
        ),
    );
    return { role, attachments };
  }

  private createSelection(
    name: string,
    a: NormalizedArgs,
    plan: aws.backup.Plan,
    role: aws.iam.Role,
    attachments: aws.iam.RolePolicyAttachment[],
  ): aws.backup.Selection {
    return new aws.backup.Selection(
      `${name}-selection`,
      {
        name: `${a.namePrefix}-database`,
        planId: plan.id,
        iamRoleArn: role.arn,
        resources: [a.databaseArn, ...(a.extraDatabaseArns ?? [])],
      },
      { parent: this, dependsOn: attachments },
    );
  }

  private createVaultLocks(
    name: string,
    a: NormalizedArgs,
    vaultLock: NonNullable<BackupsArgs["vaultLock"]>,
    vault: aws.backup.Vault,
    copyVault: aws.backup.Vault | undefined,
  ): void {
    new aws.backup.VaultLockConfiguration(
      `${name}-lock`,
      { backupVaultName: vault.name, ...vaultLock },
      { parent: this },
    );
    // The DR copies are the last line of defence against a compromised account: locked the same way.
    if (copyVault && a.crossRegionCopy)
      new aws.backup.VaultLockConfiguration(
        `${name}-dr-lock`,
        { backupVaultName: copyVault.name, region: a.crossRegionCopy.region, ...vaultLock },
        { parent: this },
      );
  }

  private createNotifications(
    name: string,
    vault: aws.backup.Vault,
    topicArn: pulumi.Input<string>,
  ): aws.backup.VaultNotifications {
    return new aws.backup.VaultNotifications(
      `${name}-notifications`,
      { backupVaultName: vault.name, snsTopicArn: topicArn, backupVaultEvents: VAULT_EVENTS },
      { parent: this },
    );
  }

  /** Weekly restore test of the latest snapshot in a vault (runbook 004 "verify backup integrity"). */
  private createRestoreTesting(
    name: string,
    a: NormalizedArgs,
    t: {
      vault: aws.backup.Vault;
      role: aws.iam.Role;
      attachments: aws.iam.RolePolicyAttachment[];
      region?: string;
      overrides?: Record<string, pulumi.Input<string>>;
    },
  ): void {
    const region = t.region ? { region: t.region } : {};
    const suffix = t.region ? "_dr_restore_test" : "_restore_test";
    const testPlan = new aws.backup.RestoreTestingPlan(
      name,
      {
        name: `${a.namePrefix.replace(/[^A-Za-z0-9]/g, "_")}${suffix}`,
        scheduleExpression: "cron(0 6 ? * MON *)",
        startWindowHours: 8,
        recoveryPointSelection: {
          algorithm: "LATEST_WITHIN_WINDOW",
          includeVaults: [t.vault.arn],
          recoveryPointTypes: ["SNAPSHOT"],
          selectionWindowDays: 7,
        },
        ...region,
      },
      { parent: this },
    );
    new aws.backup.RestoreTestingSelection(
      `${name}-db`,
      {
        name: a.restoreTestingSelectionName ?? "database",
        restoreTestingPlanName: testPlan.name,
        protectedResourceType: "RDS",
        // A copy keeps the ARN of the resource it protects: the same selection finds it in the DR vault.
        protectedResourceArns: [a.databaseArn],
        iamRoleArn: t.role.arn,
        validationWindowHours: 2,
        ...(t.overrides ? { restoreMetadataOverrides: t.overrides } : {}),
        ...region,
      },
      { parent: this, dependsOn: t.attachments },
    );
  }
}

/** Defaults spread under the given args (tiers off, restore testing on). */
function normalizeArgs(args: BackupsArgs) {
  return { weeklyRetentionDays: 0, monthlyRetentionDays: 0, restoreTesting: true, ...args };
}

type NormalizedArgs = ReturnType<typeof normalizeArgs>;
