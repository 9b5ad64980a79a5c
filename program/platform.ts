/** The app's footing in the cluster: namespace (NetworkPolicies, service accounts), worker identity, secrets. */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AppSecrets } from "../components/app-secrets";
import type { Database } from "../components/database";
import { DatabaseUsers } from "../components/database-users";
import { secretsPrefix } from "../components/names";
import { AppNamespace } from "../components/namespace";
import type { ObjectStorage } from "../components/object-storage";
import { WorkerIdentity } from "../components/worker-identity";
import { appEnvironment } from "./app-settings";
import type { Ctx } from "./context";

export function createPlatform(ctx: Ctx, db: Database, objects: ObjectStorage) {
  const { config, net, oidc, region, k8sProvider } = ctx;
  const namespaceName = config.cluster.namespace;
  const workerIdentity = new WorkerIdentity("worker-identity", {
    oidc,
    serviceAccount: { namespace: namespaceName, name: "worker" },
    bucketArn: objects.bucketArn,
    kmsKeyArn: objects.kmsKeyArn,
    metricsNamespace: config.alarms.workerMetrics.namespace,
  });
  const ns = new AppNamespace("ns", {
    name: namespaceName,
    provider: k8sProvider,
    apiPort: config.api.port,
    // The ALB's subnets (its nodes connect to `ip` targets from there): the only sources of the API port.
    albSourceCidrs: subnetCidrs(net.publicSubnetIds),
    // The database's subnets (components/database.ts subnet group): the only Postgres destinations.
    databaseCidrs: subnetCidrs(net.privateSubnetIds),
    workerPort: config.worker.metricsPort,
    serviceAccounts: [
      { name: "api", roleArn: objects.accessRoleArn },
      { name: "worker", roleArn: workerIdentity.roleArn },
    ],
  });
  const appSecrets = createAppSecrets(ctx, db, ns);
  const dbUsers = createDatabaseUsers(ctx, db, ns, appSecrets);
  return {
    ns,
    appSecrets,
    dbUsers,
    /** The instance the application connects to. */
    database: db,
    // Non-secret app settings (runbook 001 §3); secrets come from the External Secrets above.
    env: appEnvironment(config, objects.bucketName, region),
    // The API and worker connect as this generation's least-privilege user; only the migration (DDL) as master.
    secretNames: [appSecrets.appSecretName, appSecrets.dbSecretName],
    migrationSecretNames: [appSecrets.appSecretName, appSecrets.dbAdminSecretName],
    /** What a pod that connects to the database waits for: its Secrets synced and its users created. */
    databaseReady: [...appSecrets.externalSecrets, dbUsers.job],
  };
}

function subnetCidrs(ids: pulumi.Input<pulumi.Input<string>[]>) {
  return pulumi.output(ids).apply((list) => pulumi.all(list.map((id) => aws.ec2.getSubnetOutput({ id }).cidrBlock)));
}

function createAppSecrets(ctx: Ctx, db: Database, ns: AppNamespace) {
  const { config, stack, oidc, region, k8sProvider, protection } = ctx;
  const namespaceName = config.cluster.namespace;
  return new AppSecrets("secrets", {
    namePrefix: secretsPrefix(namespaceName, stack),
    rotation: config.secretRotation,
    oidcHs256SharedSecret: ctx.secrets.oidcHs256SharedSecret,
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
    recoveryWindowInDays: protection.secretRecoveryDays,
  });
}

function createDatabaseUsers({ config, k8sProvider }: Ctx, db: Database, ns: AppNamespace, appSecrets: AppSecrets) {
  return new DatabaseUsers(
    "db-users",
    {
      generation: appSecrets.dbUsers.generation,
      users: appSecrets.dbUsers,
      instanceIdentifier: db.connectionIdentifier,
      address: db.address,
      port: db.port,
      dbName: db.dbName,
      adminSecretName: appSecrets.dbAdminSecretName,
      usersSecretName: appSecrets.dbUsersSecretName,
      runnerImage: config.smoke.image,
      namespace: ns.name,
      provider: k8sProvider,
    },
    { dependsOn: appSecrets.externalSecrets },
  );
}

export type Platform = ReturnType<typeof createPlatform>;
