/**
 * Workloads in release order: pre-release snapshot → migration Job → color under test → smoke test (the
 * production listener waits for it, program/edge.ts); the worker after the migration it needs.
 */
import { ApiColor } from "../components/api-color";
import { type Color, workerNeedsMigration } from "../components/blue-green";
import type { BlueGreenLoadBalancer } from "../components/blue-green-load-balancer";
import { MigrationJob } from "../components/migration-job";
import { releaseId } from "../components/names";
import type { ReleaseSnapshot } from "../components/release-snapshot";
import { SmokeTest } from "../components/smoke-test";
import { Worker } from "../components/worker";
import { appChecks } from "./app-settings";
import type { Ctx } from "./context";
import type { Platform } from "./platform";

/** No migration Job once the release's migration failed and it was rolled back (app:release.migrationFailed). */
export function createMigration({ config, bg, k8sProvider }: Ctx, p: Platform, snapshot: ReleaseSnapshot) {
  if (config.release.migrationFailed) return undefined;
  return new MigrationJob(
    "migration",
    {
      version: config.release.version,
      commit: config.release.commit,
      image: bg.images[bg.underTest],
      args: config.api.migrationArgs,
      namespace: p.ns.name,
      provider: k8sProvider,
      serviceAccountName: "api",
      resources: config.api.resources,
      secretNames: p.migrationSecretNames,
    },
    { dependsOn: [snapshot.snapshot, ...p.databaseReady] },
  );
}

export function createColors(
  { config, bg, k8sProvider }: Ctx,
  p: Platform,
  lb: BlueGreenLoadBalancer,
  migration: MigrationJob | undefined,
): Record<Color, ApiColor> {
  const colors = {} as Record<Color, ApiColor>;
  for (const color of ["blue", "green"] as const) {
    const scaledDown = bg.scaledDown === color;
    colors[color] = new ApiColor(
      `api-${color}`,
      {
        color,
        image: bg.images[color],
        replicas: scaledDown ? config.api.idleReplicas : config.api.replicas,
        scaledDown,
        autoscaling: config.api.autoscaling.enabled && !scaledDown ? config.api.autoscaling : undefined,
        namespace: p.ns.name,
        provider: k8sProvider,
        serviceAccountName: "api",
        port: config.api.port,
        healthPaths: config.api.healthPaths,
        resources: config.api.resources,
        env: p.env,
        secretNames: p.secretNames,
        targetGroupArn: lb.targetGroups[color].arn,
        albSecurityGroupId: lb.securityGroupId,
        deregistrationDelaySeconds: config.api.deregistrationDelaySeconds,
      },
      {
        dependsOn: [...(color === bg.underTest && migration ? [migration.job] : []), ...p.databaseReady],
      },
    );
  }
  return colors;
}

/** The in-cluster smoke test of the color under test, against its Service. */
export function createSmokeTest({ config, bg, k8sProvider }: Ctx, p: Platform, underTest: ApiColor) {
  return new SmokeTest(
    "smoke-test",
    {
      color: bg.underTest,
      serviceName: `api-${bg.underTest}`,
      port: config.api.port,
      namespace: p.ns.name,
      namespaceName: config.cluster.namespace,
      provider: k8sProvider,
      releaseId: releaseId(config.release.version, config.release.commit),
      expectVersion: config.release.version,
      runnerImage: config.smoke.image,
      healthPaths: config.api.healthPaths,
      deadlineSeconds: config.smoke.deadlineSeconds,
      checks: appChecks(config, bg.underTest),
      adminToken: { secretName: p.appSecrets.appSecretName, key: "Auth__BootstrapToken" },
    },
    { dependsOn: [underTest.deployment, underTest.service, ...p.appSecrets.externalSecrets] },
  );
}

export function createWorker({ config, stack, k8sProvider }: Ctx, p: Platform, migration: MigrationJob | undefined) {
  const w = config.worker;
  const needsMigration = migration && workerNeedsMigration(w.image, w.paused, config.release.commit);
  return new Worker(
    "worker",
    {
      image: w.image,
      replicas: w.replicas,
      paused: w.paused,
      namespace: p.ns.name,
      provider: k8sProvider,
      serviceAccountName: "worker",
      resources: w.resources,
      tuning: w,
      healthPort: w.metricsPort,
      env: p.env,
      // The same contract the worker's alarms evaluate and its IAM role allows (one source: app:alarms.workerMetrics).
      metrics: { ...config.alarms.workerMetrics, environment: stack },
      secretNames: p.secretNames,
    },
    { dependsOn: [...(needsMigration ? [migration.job] : []), ...p.databaseReady] },
  );
}
