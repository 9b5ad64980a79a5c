/**
 * Every configuration default, in one place. `COMMON` applies to every stack; `BY_ENVIRONMENT` then
 * overrides per environment (prod: multi-AZ, longer retention, more replicas). The stack file wins over
 * both (`{ ...defaults, ...stack }`, deeply). Readiness invariants are not defaults: they are rules in
 * `config/schema.ts` that reject an unsafe prod value.
 */
import {
  DEFAULT_DEREGISTRATION_DELAY_SECONDS,
  DEFAULT_HEALTH_PATHS,
  DEFAULT_TEST_LISTENER_PORT,
  thresholdNumber,
} from "@app-rollout/shared";
import { type AppConfigInput, DEFAULT_FLOW, type Environment } from "./schema";

export type DeepPartial<T> = T extends (infer U)[]
  ? U[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

export type ConfigDefaults = DeepPartial<AppConfigInput>;

export const COMMON: ConfigDefaults = {
  tls: {
    sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
    testListenerPort: DEFAULT_TEST_LISTENER_PORT,
  },
  api: {
    port: 8080,
    healthPaths: { ...DEFAULT_HEALTH_PATHS },
    deregistrationDelaySeconds: DEFAULT_DEREGISTRATION_DELAY_SECONDS,
    migrationArgs: ["migrate"],
    autoscaling: { targetCpuPercent: 70 },
  },
  worker: { paused: false, pollSeconds: 5, batchSize: 50, searchJobMaxAttempts: 5, metricsPort: 9090 },
  blueGreen: { canaryWeight: 0, scaleDownIdle: false },
  database: {
    engineVersion: "16",
    deletionProtection: true,
    maxAllocatedStorage: 500,
    // Valid on any Postgres; add the application's own (orphans, counts, invariants): docs/data-protection.md.
    integrityChecks: [
      {
        // A failed CREATE INDEX CONCURRENTLY leaves an invalid index: writes maintain it, queries never use it.
        name: "invalid-indexes",
        query: "SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid",
        expect: { rows: 0 },
      },
      {
        // A migration of this release must not drop an application table (contract steps are reviewed releases of their own).
        name: "app-tables-kept",
        query: "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
        expect: { baseline: "atLeast" },
      },
    ],
  },
  backups: { restoreTesting: true, weeklyRetentionDays: 0, monthlyRetentionDays: 0, releaseSnapshotsKept: 5 },
  auth: {
    oidc: { enabled: false, roleMappings: [] },
    saml: { enabled: false, roleMappings: [], issuedPatTtlMinutes: 60 },
  },
  objectStorage: { noncurrentVersionExpirationDays: 30 },
  alarms: {
    // Runbook 004's rollback triggers, from the readiness registry.
    errorRatePercent: thresholdNumber("rollback-triggers", "maxErrorRatePercent", "prod"),
    errorRateMinutes: thresholdNumber("rollback-triggers", "maxWindowMinutes", "prod"),
    p95LatencySeconds: thresholdNumber("rollback-triggers", "maxP95Seconds", "prod"),
    p95LatencyMinutes: thresholdNumber("rollback-triggers", "maxWindowMinutes", "prod"),
    unhealthyHostMinutes: 2,
    elb5xxThreshold: 10,
    database: { cpuPercent: 80, freeStoragePercent: 10, freeableMemoryMiB: 256, maxConnections: 400 },
    prometheusRule: false,
    prometheus: {
      selectorLabels: { release: "kube-prometheus-stack" },
      namespace: "monitoring",
      metricsPath: "/metrics",
    },
    notificationEmails: [],
    notificationHttpsEndpoints: [],
    workerMetrics: {
      namespace: "Artifortress/Worker",
      backlogMetric: "JobBacklog",
      backlogThreshold: 1000,
      failedJobsMetric: "FailedJobs",
      failedJobsThreshold: 10,
      policyTimeoutsMetric: "PolicyTimeouts",
      policyTimeoutsThreshold: 5,
    },
  },
  rollout: {
    steps: [10, 50, 100],
    bakeMinutes: 15,
    watchMinutes: 60,
    pollSeconds: 15,
    gates: {
      preflight: ["new-color", "old-color", "elb-5xx", "database", "worker"],
      traffic: ["new-color", "old-color", "elb-5xx"],
      watch: ["new-color", "old-color", "elb-5xx", "database", "worker"],
    },
    minRequests: 100,
    noDataExtensionMinutes: 15,
    onNoData: "rollback",
    consecutiveErrorLimit: 4,
    workerDrainMinutes: 15,
    pauseWorkerDuringMigration: true,
    certificateMinDays: thresholdNumber("tls-everywhere", "certificateMinDays", "prod"),
    stateTable: "app-rollout",
  },
  smoke: { deadlineSeconds: 300 },
  checks: {
    service: "artifortress-api",
    opsSummary: {
      enabled: true,
      path: "/v1/admin/ops/summary",
      critical: [
        { counter: "searchJobs.failed", maxIncrease: 5 },
        { counter: "policy.timeouts", maxIncrease: 5 },
      ],
    },
    vars: { smokeRepo: "rollout-smoke" },
    flow: DEFAULT_FLOW,
  },
  secretRotation: "initial",
};

export const BY_ENVIRONMENT: Record<Environment, ConfigDefaults> = {
  staging: {
    api: {
      replicas: 2,
      idleReplicas: 1,
      resources: { cpu: "250m", memory: "512Mi" },
      autoscaling: { enabled: false, maxReplicas: 4 },
    },
    worker: { replicas: 1, resources: { cpu: "250m", memory: "512Mi" } },
    database: {
      instanceClass: "db.t4g.medium",
      allocatedStorage: 50,
      multiAz: false,
      pitrRetentionDays: thresholdNumber("pitr-retention", "minimumDays", "staging"),
      crossRegionPitr: false,
    },
    backups: { dailyRetentionDays: 14 },
  },
  prod: {
    api: {
      replicas: 3,
      idleReplicas: 1,
      resources: { cpu: "500m", memory: "1Gi" },
      autoscaling: { enabled: true, maxReplicas: 12 },
    },
    worker: { replicas: 2, resources: { cpu: "500m", memory: "1Gi" } },
    database: {
      instanceClass: "db.r6g.large",
      allocatedStorage: 100,
      multiAz: true,
      pitrRetentionDays: thresholdNumber("pitr-retention", "minimumDays", "prod"),
      crossRegionPitr: true,
    },
    backups: { dailyRetentionDays: 35, weeklyRetentionDays: 90, monthlyRetentionDays: 365 },
  },
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Deep merge where `over` wins; arrays and scalars are replaced, not merged. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

/** The defaults for an environment: `COMMON` overridden by `BY_ENVIRONMENT[env]`. */
export function defaultsFor(env: Environment): ConfigDefaults {
  return deepMerge(COMMON, BY_ENVIRONMENT[env]) as ConfigDefaults;
}

/** Applies the defaults of the raw config's environment (when it names a known one) under the raw values. */
export function withDefaults(raw: Record<string, unknown>): Record<string, unknown> {
  const env = raw.environment;
  if (env !== "staging" && env !== "prod") return raw;
  return deepMerge(defaultsFor(env), raw) as Record<string, unknown>;
}
