/**
 * The Pulumi program: one stack = one environment of the API + worker. Loads and validates the stack
 * configuration (config/), builds the components (components/) in deployment order and returns the stack
 * outputs. Exported as a function so the CLI and the offline gate run the very same code.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AppSecrets } from "./components/app-secrets";
import { Backups } from "./components/backups";
import { Database } from "./components/database";
import { AppNamespace } from "./components/namespace";
import { ObjectStorage } from "./components/object-storage";
import { ReleaseSnapshot } from "./components/release-snapshot";
import { loadStackConfig, type StackConfig } from "./config";

/** VPC ids from config, or from the platform stack's outputs. */
function network(cfg: StackConfig["network"]) {
  if (cfg.platformStack) {
    const platform = new pulumi.StackReference(cfg.platformStack);
    return {
      vpcId: platform.requireOutput("vpcId") as pulumi.Output<string>,
      privateSubnetIds: platform.requireOutput("privateSubnetIds") as pulumi.Output<string[]>,
      publicSubnetIds: platform.requireOutput("publicSubnetIds") as pulumi.Output<string[]>,
      clusterSecurityGroupId: platform.requireOutput("clusterSecurityGroupId") as pulumi.Output<string>,
    };
  }
  // The schema guarantees all four ids are set when platformStack is not.
  return {
    vpcId: pulumi.output(cfg.vpcId!),
    privateSubnetIds: pulumi.output(cfg.privateSubnetIds!),
    publicSubnetIds: pulumi.output(cfg.publicSubnetIds!),
    clusterSecurityGroupId: pulumi.output(cfg.clusterSecurityGroupId!),
  };
}

export = async () => {
  const { config, secrets } = loadStackConfig();
  const stack = pulumi.getStack();
  const prefix = `${config.cluster.namespace}-${stack}`;
  const net = network(config.network);
  const oidc = { providerArn: config.cluster.oidcProviderArn, issuer: config.cluster.oidcIssuer };
  const region = aws.getRegionOutput().region;
  const account = aws.getCallerIdentityOutput().accountId;
  const live = config.blueGreen.live;
  const idle = live === "blue" ? "green" : "blue";

  const k8sProvider = new k8s.Provider("k8s", { kubeconfig: secrets.kubeconfig, enableServerSideApply: true });

  // Data: database (owns PITR), release snapshot, backups.
  const db = new Database("db", {
    environment: config.environment,
    identifier: prefix,
    vpcId: net.vpcId,
    subnetIds: net.privateSubnetIds,
    clientSecurityGroupId: net.clusterSecurityGroupId,
    instanceClass: config.database.instanceClass,
    allocatedStorage: config.database.allocatedStorage,
    maxAllocatedStorage: config.database.maxAllocatedStorage,
    engineVersion: config.database.engineVersion,
    multiAz: config.database.multiAz,
    pitrRetentionDays: config.database.pitrRetentionDays,
    deletionProtection: config.database.deletionProtection,
    restore: config.database.restore,
  });
  const releaseSnapshot = new ReleaseSnapshot("release-snapshot", {
    dbInstanceIdentifier: db.identifier,
    version: config.release.version,
  });
  const backups = new Backups("backups", {
    environment: config.environment,
    namePrefix: prefix,
    databaseArn: db.arn,
    databaseSubnetGroupName: db.subnetGroupName,
    dailyRetentionDays: config.backups.dailyRetentionDays,
    weeklyRetentionDays: config.backups.weeklyRetentionDays,
    monthlyRetentionDays: config.backups.monthlyRetentionDays,
    crossRegionCopy: config.backups.crossRegionCopy,
    vaultLock: config.backups.vaultLock,
    restoreTesting: config.backups.restoreTesting,
  });

  // Namespace, object storage (IRSA for api + worker), secrets delivered by External Secrets Operator.
  const namespaceName = config.cluster.namespace;
  const objects = new ObjectStorage("objects", {
    bucketName: pulumi.interpolate`${prefix}-objects-${account}`,
    noncurrentVersionExpirationDays: config.objectStorage.noncurrentVersionExpirationDays,
    oidc,
    serviceAccounts: [
      { namespace: namespaceName, name: "api" },
      { namespace: namespaceName, name: "worker" },
    ],
    protect: config.environment === "prod",
  });
  const ns = new AppNamespace("ns", {
    name: namespaceName,
    provider: k8sProvider,
    apiPort: config.api.port,
    workerPort: config.worker.metricsPort,
    serviceAccounts: [
      { name: "api", roleArn: objects.accessRoleArn },
      { name: "worker", roleArn: objects.accessRoleArn },
    ],
  });
  const appSecrets = new AppSecrets("secrets", {
    environment: config.environment,
    namePrefix: `${config.cluster.namespace}/${stack}`,
    rotation: config.secretRotation,
    oidcHs256SharedSecret: secrets.oidcHs256SharedSecret,
    database: {
      secretArn: db.masterUserSecretArn,
      kmsKeyArn: db.kmsKeyArn,
      address: db.address,
      port: db.port,
      dbName: db.dbName,
    },
    region,
    namespace: ns.name,
    namespaceName,
    provider: k8sProvider,
    oidc,
  });

  return {
    environment: config.environment,
    release: config.release.version,
    liveColor: live,
    idleColor: idle,
    databaseIdentifier: db.identifier,
    databaseEndpoint: db.address,
    ...(db.restored ? { restoredDatabaseIdentifier: db.restored.identifier } : {}),
    releaseSnapshotIdentifier: releaseSnapshot.snapshotIdentifier,
    backupVaultArn: backups.vaultArn,
    bucketName: objects.bucketName,
    appSecretArn: appSecrets.secretArn,
  };
};
