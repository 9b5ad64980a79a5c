/**
 * The Pulumi program: one stack = one environment of the API + worker. Loads and validates the stack
 * configuration (config/), builds the components (components/) in deployment order and returns the stack
 * outputs. Exported as a function so the CLI and the offline gate run the very same code.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AlertTopic } from "./components/alert-topic";
import { ApiColor } from "./components/api-color";
import { AppSecrets } from "./components/app-secrets";
import { Backups } from "./components/backups";
import { blueGreenState, type Color, workerNeedsMigration } from "./components/blue-green";
import { BlueGreenLoadBalancer } from "./components/blue-green-load-balancer";
import { ColorAlarms } from "./components/color-alarms";
import { ReleaseDashboard } from "./components/dashboard";
import { Database } from "./components/database";
import { MigrationJob } from "./components/migration-job";
import { namePrefix, releaseId } from "./components/names";
import { AppNamespace } from "./components/namespace";
import { ObjectStorage } from "./components/object-storage";
import { PlatformAlarms } from "./components/platform-alarms";
import { ProductionListener } from "./components/production-listener";
import { PrometheusSloRules } from "./components/prometheus-slo-rules";
import { ReleaseSnapshot } from "./components/release-snapshot";
import { SmokeTest } from "./components/smoke-test";
import { Worker } from "./components/worker";
import { WorkerIdentity } from "./components/worker-identity";
import { loadStackConfig, type StackConfig } from "./config";
import type { AppChecks } from "./smoke/checks";

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
  const prefix = namePrefix(config.cluster.namespace, stack);
  const net = network(config.network);
  const oidc = { providerArn: config.cluster.oidcProviderArn, issuer: config.cluster.oidcIssuer };
  const region = aws.getRegionOutput().region;
  const account = aws.getCallerIdentityOutput().accountId;
  // One computed blue/green state: every listener, the smoke test and the replicas read it.
  const bg = blueGreenState(config.blueGreen, config.release.commit);
  const { live, underTest, images } = bg;

  const k8sProvider = new k8s.Provider("k8s", { kubeconfig: secrets.kubeconfig, enableServerSideApply: true });

  // Alerting first: backups, alarms and the rollout driver all report to this topic.
  const alerts = new AlertTopic("alerts", {
    name: `${prefix}-alerts`,
    emails: config.alarms.notificationEmails,
    httpsEndpoints: config.alarms.notificationHttpsEndpoints,
    releasesTopicName: `${prefix}-releases`,
    backupEventsTopicName: `${prefix}-backup-events`,
  });

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
    commit: config.release.commit,
    attempt: config.release.attempt,
    migrationFailed: config.release.migrationFailed,
  });
  const backups = new Backups("backups", {
    environment: config.environment,
    namePrefix: prefix,
    databaseArn: db.arn,
    // A restore beside the live instance may become the primary: it is backed up like it.
    extraDatabaseArns: db.restored ? [db.restored.arn] : [],
    databaseSubnetGroupName: db.subnetGroupName,
    dailyRetentionDays: config.backups.dailyRetentionDays,
    weeklyRetentionDays: config.backups.weeklyRetentionDays,
    monthlyRetentionDays: config.backups.monthlyRetentionDays,
    crossRegionCopy: config.backups.crossRegionCopy,
    vaultLock: config.backups.vaultLock,
    restoreTesting: config.backups.restoreTesting,
    notificationTopicArn: alerts.backupEventsArn,
  });

  // Namespace, object storage (IRSA for api + worker), secrets delivered by External Secrets Operator.
  const namespaceName = config.cluster.namespace;
  const objects = new ObjectStorage("objects", {
    bucketName: pulumi.interpolate`${prefix}-objects-${account}`,
    namePrefix: prefix,
    noncurrentVersionExpirationDays: config.objectStorage.noncurrentVersionExpirationDays,
    oidc,
    serviceAccounts: [{ namespace: namespaceName, name: "api" }],
    protect: config.environment === "prod",
  });
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
    albSourceCidrs: pulumi
      .output(net.publicSubnetIds)
      .apply((ids) => pulumi.all(ids.map((id) => aws.ec2.getSubnetOutput({ id }).cidrBlock))),
    workerPort: config.worker.metricsPort,
    serviceAccounts: [
      { name: "api", roleArn: objects.accessRoleArn },
      { name: "worker", roleArn: workerIdentity.roleArn },
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

  // Non-secret app settings (runbook 001 §3); secrets come from the External Secrets above.
  const env = appEnvironment(config, objects.bucketName, region);
  const secretNames = [appSecrets.appSecretName, appSecrets.dbSecretName];

  // Edge: ALB, one target group per color, HTTP→HTTPS redirect, test listener on the color under test.
  const lb = new BlueGreenLoadBalancer("edge", {
    environment: config.environment,
    namePrefix: prefix,
    vpcId: net.vpcId,
    publicSubnetIds: net.publicSubnetIds,
    targetPort: config.api.port,
    healthCheckPath: config.api.healthPaths.ready,
    deregistrationDelaySeconds: config.api.deregistrationDelaySeconds,
    certificateArn: config.tls.certificateArn,
    sslPolicy: config.tls.sslPolicy,
    testColor: underTest,
    testListenerPort: config.tls.testListenerPort,
    testListenerCidrs: config.tls.testListenerCidrs,
  });

  // Release order: pre-release snapshot → migration Job → color under test → smoke test → production listener.
  // No migration Job once the release's migration failed and it was rolled back (app:release.migrationFailed).
  const migration = config.release.migrationFailed
    ? undefined
    : new MigrationJob(
        "migration",
        {
          version: config.release.version,
          commit: config.release.commit,
          image: images[underTest],
          args: config.api.migrationArgs,
          namespace: ns.name,
          provider: k8sProvider,
          serviceAccountName: "api",
          resources: config.api.resources,
          secretNames,
        },
        { dependsOn: [releaseSnapshot.snapshot, ...appSecrets.externalSecrets] },
      );
  const colors = {} as Record<Color, ApiColor>;
  for (const color of ["blue", "green"] as const) {
    const scaledDown = bg.scaledDown === color;
    colors[color] = new ApiColor(
      `api-${color}`,
      {
        color,
        image: images[color],
        replicas: scaledDown ? config.api.idleReplicas : config.api.replicas,
        scaledDown,
        autoscaling: config.api.autoscaling.enabled && !scaledDown ? config.api.autoscaling : undefined,
        namespace: ns.name,
        provider: k8sProvider,
        serviceAccountName: "api",
        port: config.api.port,
        healthPaths: config.api.healthPaths,
        resources: config.api.resources,
        env,
        secretNames,
        targetGroupArn: lb.targetGroups[color].arn,
        albSecurityGroupId: lb.securityGroupId,
        deregistrationDelaySeconds: config.api.deregistrationDelaySeconds,
      },
      {
        dependsOn: [...(color === underTest && migration ? [migration.job] : []), ...appSecrets.externalSecrets],
      },
    );
  }
  const testUrl = `https://${config.tls.hostname}:${config.tls.testListenerPort}`;
  const smoke = new SmokeTest(
    "smoke-test",
    {
      color: underTest,
      serviceName: `api-${underTest}`,
      port: config.api.port,
      namespace: ns.name,
      namespaceName,
      provider: k8sProvider,
      releaseId: releaseId(config.release.version, config.release.commit),
      expectVersion: config.release.version,
      runnerImage: config.smoke.image,
      healthPaths: config.api.healthPaths,
      deadlineSeconds: config.smoke.deadlineSeconds,
      checks: appChecks(config, underTest),
      adminToken: { secretName: appSecrets.appSecretName, key: "Auth__BootstrapToken" },
    },
    { dependsOn: [colors[underTest].deployment, colors[underTest].service, ...appSecrets.externalSecrets] },
  );
  const listener = new ProductionListener(
    "traffic",
    {
      loadBalancerArn: lb.loadBalancer.arn,
      targetGroupArns: { blue: lb.targetGroups.blue.arn, green: lb.targetGroups.green.arn },
      state: bg,
      certificateArn: config.tls.certificateArn,
      sslPolicy: config.tls.sslPolicy,
    },
    { dependsOn: [smoke.job] },
  );

  const worker = new Worker(
    "worker",
    {
      image: config.worker.image,
      replicas: config.worker.replicas,
      paused: config.worker.paused,
      namespace: ns.name,
      provider: k8sProvider,
      serviceAccountName: "worker",
      resources: config.worker.resources,
      tuning: config.worker,
      healthPort: config.worker.metricsPort,
      env,
      // The same contract the worker's alarms evaluate and its IAM role allows (one source: app:alarms.workerMetrics).
      metrics: { ...config.alarms.workerMetrics, environment: stack },
      secretNames,
    },
    {
      dependsOn: [
        ...(migration && workerNeedsMigration(config.worker.image, config.worker.paused, config.release.commit)
          ? [migration.job]
          : []),
        ...appSecrets.externalSecrets,
      ],
    },
  );

  // Signals that decide go/no-go and rollback (runbook 004 rollback triggers, 001 §7 monitoring).
  const al = config.alarms;
  const colorAlarms = {} as Record<Color, ColorAlarms>;
  for (const color of ["blue", "green"] as const) {
    colorAlarms[color] = new ColorAlarms(`alarms-${color}`, {
      color,
      namePrefix: prefix,
      loadBalancerArnSuffix: lb.arnSuffix,
      targetGroupArnSuffix: lb.targetGroups[color].arnSuffix,
      topicArn: alerts.arn,
      errorRatePercent: al.errorRatePercent,
      errorRateMinutes: al.errorRateMinutes,
      p95LatencySeconds: al.p95LatencySeconds,
      p95LatencyMinutes: al.p95LatencyMinutes,
      unhealthyHostMinutes: al.unhealthyHostMinutes,
    });
  }
  new PlatformAlarms("alarms", {
    namePrefix: prefix,
    environmentDimension: stack,
    topicArn: alerts.arn,
    loadBalancerArnSuffix: lb.arnSuffix,
    elb5xxThreshold: al.elb5xxThreshold,
    database: { identifier: db.identifier, allocatedStorageGiB: config.database.allocatedStorage, ...al.database },
    worker: al.workerMetrics,
  });
  new ReleaseDashboard("dashboard", {
    name: `${prefix}-release`,
    region,
    loadBalancerArnSuffix: lb.arnSuffix,
    targetGroupArnSuffixes: { blue: lb.targetGroups.blue.arnSuffix, green: lb.targetGroups.green.arnSuffix },
    databaseIdentifier: db.identifier,
    worker: al.workerMetrics,
    environmentDimension: stack,
    title: `${config.cluster.namespace} ${stack}`,
  });
  if (al.prometheusRule) {
    new PrometheusSloRules("slo-rules", {
      namespace: ns.name,
      provider: k8sProvider,
      errorRatePercent: al.errorRatePercent,
      errorRateMinutes: al.errorRateMinutes,
      p95LatencySeconds: al.p95LatencySeconds,
      p95LatencyMinutes: al.p95LatencyMinutes,
      selectorLabels: al.prometheus.selectorLabels,
      prometheusNamespace: al.prometheus.namespace,
      apiPort: config.api.port,
      metricsPath: al.prometheus.metricsPath,
    });
  }

  return {
    environment: config.environment,
    release: config.release.version,
    liveColor: live,
    testColor: underTest,
    releaseColor: underTest,
    weights: listener.weights,
    url: `https://${config.tls.hostname}`,
    testUrl,
    loadBalancerDnsName: lb.dnsName,
    targetGroupArns: { blue: lb.targetGroups.blue.arn, green: lb.targetGroups.green.arn },
    // The rollout driver restores traffic on a rollback with one ModifyListener call on this listener.
    productionListenerArn: listener.listener.arn,
    ...(migration ? { migrationJob: migration.jobName } : {}),
    alertTopicArn: alerts.arn,
    releaseTopicArn: alerts.releasesArn,
    rollbackAlarms: { blue: colorAlarms.blue.rollbackAlarmName, green: colorAlarms.green.rollbackAlarmName },
    workerReplicas: worker.deployment.spec.replicas,
    databaseIdentifier: db.identifier,
    databaseEndpoint: db.address,
    ...(db.restored ? { restoredDatabaseIdentifier: db.restored.identifier } : {}),
    releaseSnapshotIdentifier: releaseSnapshot.snapshotIdentifier,
    backupVaultArn: backups.vaultArn,
    bucketName: objects.bucketName,
    appSecretArn: appSecrets.secretArn,
  };
};

/** Non-secret environment of the API and worker (runbook 001 §3); object storage through IRSA, no keys. */
function appEnvironment(
  config: StackConfig,
  bucket: pulumi.Output<string>,
  region: pulumi.Output<string>,
): Record<string, pulumi.Input<string>> {
  const env: Record<string, pulumi.Input<string>> = {
    ObjectStorage__Bucket: bucket,
    ObjectStorage__Region: region,
    ObjectStorage__Endpoint: pulumi.interpolate`https://s3.${region}.amazonaws.com`,
    Auth__Oidc__Enabled: String(config.auth.oidc.enabled),
    Auth__Saml__Enabled: String(config.auth.saml.enabled),
  };
  const o = config.auth.oidc;
  if (o.enabled) {
    if (o.issuer) env.Auth__Oidc__Issuer = o.issuer;
    if (o.audience) env.Auth__Oidc__Audience = o.audience;
    if (o.jwksJson) env.Auth__Oidc__JwksJson = o.jwksJson;
    o.roleMappings.forEach((m, i) => {
      env[`Auth__Oidc__RoleMappings__${i}`] = m;
    });
  }
  const s = config.auth.saml;
  if (s.enabled) {
    if (s.idpMetadataUrl) env.Auth__Saml__IdpMetadataUrl = s.idpMetadataUrl;
    if (s.expectedIssuer) env.Auth__Saml__ExpectedIssuer = s.expectedIssuer;
    if (s.serviceProviderEntityId) env.Auth__Saml__ServiceProviderEntityId = s.serviceProviderEntityId;
    env.Auth__Saml__IssuedPatTtlMinutes = String(s.issuedPatTtlMinutes);
    s.roleMappings.forEach((m, i) => {
      env[`Auth__Saml__RoleMappings__${i}`] = m;
    });
  }
  return env;
}

/** The application's checks as the smoke test and the driver run them (app:checks; smoke/checks.ts). */
function appChecks(config: StackConfig, color: Color): AppChecks {
  const c = config.checks;
  const r = config.release;
  return {
    service: c.service,
    vars: { ...c.vars, releaseId: releaseId(r.version, r.commit), version: r.version, color },
    opsSummary: c.opsSummary.enabled ? { path: c.opsSummary.path, critical: c.opsSummary.critical } : undefined,
    flow: c.flow as AppChecks["flow"],
  };
}
