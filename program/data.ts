/** Data: the database (owns PITR), the pre-release snapshot, AWS Backup, object storage. */
import * as pulumi from "@pulumi/pulumi";
import type { AlertTopic } from "../components/alert-topic";
import { Backups } from "../components/backups";
import { Database } from "../components/database";
import { ObjectStorage } from "../components/object-storage";
import { ReleaseSnapshot } from "../components/release-snapshot";
import type { Ctx } from "./context";

export function createData({ config, prefix, net, protection }: Ctx, alerts: AlertTopic) {
  const d = config.database;
  const db = new Database("db", {
    identifier: prefix,
    vpcId: net.vpcId,
    subnetIds: net.privateSubnetIds,
    clientSecurityGroupId: net.clusterSecurityGroupId,
    instanceClass: d.instanceClass,
    allocatedStorage: d.allocatedStorage,
    maxAllocatedStorage: d.maxAllocatedStorage,
    engineVersion: d.engineVersion,
    multiAz: d.multiAz,
    pitrRetentionDays: d.pitrRetentionDays,
    deletionProtection: d.deletionProtection,
    protect: protection.protect,
    restore: d.restore,
    crossRegionPitr:
      d.crossRegionPitr && config.backups.crossRegionCopy
        ? { region: config.backups.crossRegionCopy.region }
        : undefined,
  });
  const releaseSnapshot = new ReleaseSnapshot("release-snapshot", {
    dbInstanceIdentifier: db.identifier,
    version: config.release.version,
    commit: config.release.commit,
    attempt: config.release.attempt,
    migrationFailed: config.release.migrationFailed,
  });
  const b = config.backups;
  const backups = new Backups("backups", {
    namePrefix: prefix,
    databaseArn: db.arn,
    // A restore beside the primary may become the primary (and the original after a cutover may be the
    // way back): every declared instance is backed up like the primary.
    extraDatabaseArns: db.arns.slice(1),
    databaseSubnetGroupName: db.subnetGroupName,
    dailyRetentionDays: b.dailyRetentionDays,
    weeklyRetentionDays: b.weeklyRetentionDays,
    monthlyRetentionDays: b.monthlyRetentionDays,
    crossRegionCopy: b.crossRegionCopy,
    vaultLock: b.vaultLock,
    restoreTesting: b.restoreTesting,
    restoreTestingSelectionName: d.restore?.cutover ? `database_${d.restore.name.replace(/-/g, "_")}` : undefined,
    notificationTopicArn: alerts.backupEventsArn,
  });
  return { db, releaseSnapshot, backups };
}

/** The objects bucket, readable and writable by the API's service account through IRSA. */
export function createObjectStorage({ config, prefix, account, oidc, protection }: Ctx) {
  return new ObjectStorage("objects", {
    bucketName: pulumi.interpolate`${prefix}-objects-${account}`,
    namePrefix: prefix,
    noncurrentVersionExpirationDays: config.objectStorage.noncurrentVersionExpirationDays,
    oidc,
    serviceAccounts: [{ namespace: config.cluster.namespace, name: "api" }],
    protect: protection.protect,
  });
}
