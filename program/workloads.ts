/**
 * Workloads in release order: pre-release snapshot → integrity baseline → migration Job → integrity verify →
 * color under test → smoke test (the
 * production listener waits for it, program/edge.ts); the worker after the migration it needs.
 */

import type { Output, Resource } from "@pulumi/pulumi";
import { ApiColor } from "../components/api-color";
import { type Color, workerNeedsMigration } from "../components/blue-green";
import type { BlueGreenLoadBalancer } from "../components/blue-green-load-balancer";
import { IntegrityChecks } from "../components/integrity-checks";
import { MigrationJob } from "../components/migration-job";
import { releaseId } from "../components/names";
import type { ReleaseSnapshot } from "../components/release-snapshot";
import { SmokeTest } from "../components/smoke-test";
import { Worker } from "../components/worker";
import { appChecks } from "./app-settings";
import type { Ctx } from "./context";
import type { Platform } from "./platform";

/** The integrity checks of one phase (none configured: no Job), against the live or a restored instance. */
function integrityJob(
  { config, k8sProvider }: Ctx,
  p: Platform,
  phase: "baseline" | "verify" | "restore",
  deps: Resource[],
  target: { address: Output<string>; port: Output<number>; qualifier?: string } = p.database,
) {
  const checks = config.database.integrityChecks;
  if (checks.length === 0 || (phase === "baseline" && !checks.some((c) => "baseline" in c.expect))) return undefined;
  const attempt = config.release.attempt;
  return new IntegrityChecks(
    `integrity-${phase}`,
    {
      phase,
      // Keyed per attempt: a second attempt's migration runs against data the first may have changed.
      releaseId: `${releaseId(config.release.version, config.release.commit)}${attempt ? `-${attempt}` : ""}`,
      qualifier: target.qualifier,
      checks,
      address: target.address,
      port: target.port,
      dbName: p.database.dbName,
      usersSecretName: p.appSecrets.dbUsersSecretName,
      runnerImage: config.smoke.image,
      namespace: p.ns.name,
      provider: k8sProvider,
    },
    { dependsOn: deps },
  );
}

export interface Migration {
  job: MigrationJob["job"];
  jobName: string;
  /** What waits for a migrated, verified database: the integrity checks after the migration, else the migration. */
  done: Resource;
}

/**
 * Release order on the database: pre-release snapshot → integrity baseline → migration → integrity verify
 * (a failed check fails the up before the color under test rolls). No migration Job once the release's
 * migration failed and it was rolled back (app:release.migrationFailed).
 */
export function createMigration(ctx: Ctx, p: Platform, snapshot: ReleaseSnapshot): Migration | undefined {
  const { config } = ctx;
  if (config.release.migrationFailed) return undefined;
  const baseline = integrityJob(ctx, p, "baseline", [snapshot.snapshot, ...p.databaseReady]);
  const migration = migrationJob(ctx, p, [snapshot.snapshot, ...p.databaseReady, ...(baseline ? [baseline.job] : [])]);
  const verify = integrityJob(ctx, p, "verify", [migration.job]);
  return { job: migration.job, jobName: migration.jobName, done: verify?.job ?? migration.job };
}

/**
 * After a restore (app:database.restore), the checks run against the restored instance (baseline checks are
 * skipped: a restore has no pre-migration value), so a bad restore point is found before a cutover.
 */
export function createRestoreChecks(ctx: Ctx, p: Platform) {
  const restored = p.database.restored;
  const restore = ctx.config.database.restore;
  if (!restored || !restore) return undefined;
  return integrityJob(ctx, p, "restore", [restored, ...p.databaseReady], {
    address: restored.address,
    port: restored.port,
    qualifier: restore.name,
  });
}

function migrationJob({ config, bg, k8sProvider }: Ctx, p: Platform, dependsOn: Resource[]) {
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
      caBundleImage: config.smoke.image,
    },
    { dependsOn },
  );
}

export function createColors(
  { config, bg, k8sProvider }: Ctx,
  p: Platform,
  lb: BlueGreenLoadBalancer,
  migration: Migration | undefined,
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
        caBundleImage: config.smoke.image,
        targetGroupArn: lb.targetGroups[color].arn,
        albSecurityGroupId: lb.securityGroupId,
        deregistrationDelaySeconds: config.api.deregistrationDelaySeconds,
      },
      {
        dependsOn: [...(color === bg.underTest && migration ? [migration.done] : []), ...p.databaseReady],
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

export function createWorker({ config, stack, k8sProvider }: Ctx, p: Platform, migration: Migration | undefined) {
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
      caBundleImage: config.smoke.image,
    },
    { dependsOn: [...(needsMigration ? [migration.done] : []), ...p.databaseReady] },
  );
}
