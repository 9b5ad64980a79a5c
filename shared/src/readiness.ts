/**
 * The readiness registry: one entry per runbook checklist item the product enforces, with where the item
 * comes from (runbook file and lines, with a quote a test finds on those lines) and its numbers per
 * environment. Every consumer reads its numbers from here: the config schema's readiness rules
 * (config/readiness-rules.ts), the generated policy config (policy/config/<stack>.json, tools/
 * policy-config.ts), the policies' config defaults, component assertions and the docs; each policy names
 * the ids it enforces (`readiness` in its metadata). `npm run gen` writes docs/readiness.md, the
 * traceability matrix (runbook line → config rule → component → policy → driver stage → test), and
 * test/policy/readiness.test.ts fails when an item has no enforcement or a policy claims an id no violating
 * fixture of it shows it checks.
 *
 * No imports: the pack, the schema and the driver load it cheaply.
 */

/** The stacks' environments (app:environment). */
export type Env = "staging" | "prod";

/** The runbooks, copied into docs/runbooks/ from the design (000 is the design's readiness table). */
export const RUNBOOK_FILES = {
  "000": "docs/runbooks/000-readiness-checklist.md",
  "001": "docs/runbooks/001-production-deployment.txt",
  "002": "docs/runbooks/002-migration-and-cutover.txt",
  "003": "docs/runbooks/003-production-rollout-playbook.txt",
  "004": "docs/runbooks/004-production-rollout-plan.txt",
} as const;
export type Runbook = keyof typeof RUNBOOK_FILES;

export interface RunbookRef {
  runbook: Runbook;
  /** First and last line (1-based, inclusive). */
  lines: readonly [number, number];
  /** Text that appears on those lines (a test checks it, so a reference cannot drift). */
  quote: string;
}

export interface Threshold {
  staging: number | boolean;
  prod: number | boolean;
  /** What the number is, with its unit. */
  meaning: string;
}

export interface ReadinessItem {
  title: string;
  source: readonly RunbookRef[];
  /** Numbers per environment; a policy config property of the same name reads its value from here. */
  thresholds?: Readonly<Record<string, Threshold>>;
  /** What of the item nothing checks yet (shown in the traceability matrix), so a gap is stated, not hidden. */
  notEnforced?: string;
}

const ref = (runbook: Runbook, from: number, to: number, quote: string): RunbookRef => ({
  runbook,
  lines: [from, to],
  quote,
});

export const READINESS = {
  "immutable-release": {
    title: "CI green on target commit; image tag is sha-<commit> or a digest, never latest",
    source: [ref("001", 9, 9, "CI green on target commit"), ref("002", 38, 38, "IMAGE_TAG=sha-<commit>")],
  },
  "release-approval": {
    title: "Release window approved; on-call and rollback owner assigned",
    source: [ref("001", 10, 11, "release window approved"), ref("001", 11, 11, "rollback owner assigned")],
  },
  "pre-release-backup": {
    title: "Production backup created before release",
    source: [ref("001", 12, 16, "production backup created"), ref("004", 35, 35, "Take full database backup")],
  },
  "pitr-retention": {
    title: "PITR on, retention >= N days",
    source: [ref("003", 11, 11, "backups with PITR"), ref("000", 11, 11, "PITR on, retention ≥ N days")],
    thresholds: {
      minimumDays: { staging: 7, prod: 14, meaning: "days of point-in-time recovery (automated backup retention)" },
    },
  },
  "deletion-safety": {
    title: "Deletion protection; final snapshot",
    source: [ref("000", 11, 11, "deletion protection; final snapshot")],
    thresholds: {
      requireDeletionProtection: { staging: true, prod: true, meaning: "RDS deletion protection required" },
      requireProtect: { staging: false, prod: true, meaning: "Pulumi `protect` required on the database" },
    },
  },
  "multi-az": {
    title: "Multi-AZ in prod",
    source: [ref("000", 11, 11, "multi-AZ in prod")],
  },
  "backups-rotated": {
    title: "Backups rotated, copied cross-region, restore tested",
    source: [
      ref("000", 12, 12, "Backups rotated, copied cross-region, restore tested"),
      ref("002", 51, 51, "retain N last snapshots (rotation policy)"),
      ref("004", 36, 36, "Verify backup integrity"),
    ],
  },
  "dr-replication": {
    title: "Replicate Postgres every 5 minutes (003 disaster recovery)",
    source: [ref("003", 57, 57, "replicate immudb/Postgres every 5 minutes")],
    thresholds: { rpoMinutes: { staging: 5, prod: 5, meaning: "minutes of data a region outage may lose (RPO)" } },
  },
  "dr-exercise": {
    title: "Exercise failover quarterly (003 disaster recovery)",
    source: [ref("003", 58, 58, "Exercise failover runbook quarterly")],
  },
  "migrations-before-traffic": {
    title: "Migrations applied once, before traffic",
    source: [ref("001", 70, 73, "Apply DB migrations once"), ref("004", 37, 37, "Apply schema migrations")],
  },
  "integrity-after-migration": {
    title: "Verify data integrity after the migration",
    source: [ref("004", 38, 38, "Verify data integrity"), ref("001", 96, 96, "migration or correctness regressions")],
  },
  "health-probes": {
    title: "/health/live, /health/ready probes; target group health check on ready path",
    source: [ref("001", 75, 78, "Verify health"), ref("000", 14, 14, "target group health check on ready path")],
  },
  "smoke-before-traffic": {
    title: "Smoke test passed before traffic; weights sum to 100",
    source: [ref("002", 62, 66, "Smoke test Green"), ref("000", 15, 15, "weights sum to 100")],
  },
  alerting: {
    title: "Alarms for error rate, p95, unhealthy hosts, DB, backlog, each with an action",
    source: [
      ref("004", 22, 22, "Alert rules configured"),
      ref("001", 121, 125, "outbox/job backlog growth"),
      ref("002", 98, 98, "5xx rate watch configured"),
    ],
    notEnforced:
      "the worker backlog alarm: PlatformAlarms creates it (with an action), but no policy requires its presence",
  },
  "rollback-triggers": {
    title: "Rollback triggers: error rate > 1 % for 5 min, p95 > 1 s (004)",
    source: [
      ref("004", 56, 58, "Error rate exceeds 1% for 5 minutes"),
      ref("004", 58, 58, "P95 latency exceeds 1 second"),
    ],
    thresholds: {
      maxErrorRatePercent: { staging: 1, prod: 1, meaning: "5xx error rate (%) that must trigger a rollback" },
      maxP95Seconds: { staging: 1, prod: 1, meaning: "p95 latency (s) that must trigger a rollback" },
      maxWindowMinutes: { staging: 5, prod: 5, meaning: "minutes a breach may last before it triggers" },
    },
  },
  "tls-everywhere": {
    title: "TLS everywhere, cert valid",
    source: [ref("004", 10, 10, "SSL certificates valid and up to date"), ref("000", 17, 17, "TLS everywhere")],
    thresholds: {
      certificateMinDays: { staging: 14, prod: 14, meaning: "days the certificate must stay valid at a release" },
    },
  },
  "alb-hardening": {
    title: "Load balancer hardened (invalid headers dropped, deletion protection in prod)",
    source: [ref("000", 17, 17, "TLS everywhere")],
    notEnforced:
      "derived, not quoted: no runbook line names a load balancer setting; this hardens the TLS endpoint of 000:17",
    thresholds: {
      requireDeletionProtection: { staging: false, prod: true, meaning: "ALB deletion protection required" },
    },
  },
  "no-public-data": {
    title: "No public DB; no public data",
    source: [ref("000", 17, 17, "no public DB")],
  },
  "cmk-encryption": {
    title: "CMK encryption",
    source: [ref("000", 17, 17, "CMK encryption"), ref("003", 53, 53, "managed KMS")],
  },
  "no-plaintext-secrets": {
    title: "No plaintext secrets",
    source: [ref("000", 17, 17, "no plaintext secrets"), ref("002", 34, 34, "never commit real values")],
  },
  "secret-recovery": {
    title: "Secrets stored in a vault and recoverable after a deletion",
    source: [ref("002", 41, 43, "Store the same values in a secrets vault")],
    thresholds: {
      minimumRecoveryDays: { staging: 7, prod: 30, meaning: "days a deleted secret stays recoverable" },
    },
  },
  "least-privilege": {
    title: "Least privilege",
    source: [
      ref("003", 9, 9, "Validate tenant isolation boundaries"),
      ref("002", 43, 43, "Group credentials per environment"),
    ],
  },
  "hardened-pods": {
    title: "Hardened pods",
    source: [ref("003", 10, 10, "Harden Docker/Kubernetes images"), ref("000", 18, 18, "Hardened pods")],
  },
  "zero-downtime": {
    title: "Zero downtime: maxUnavailable 0, PDB, preStop > deregistration, readiness gates",
    source: [ref("004", 83, 83, "Zero downtime during deployment"), ref("000", 20, 20, "maxUnavailable 0, PDB")],
    thresholds: { minimum: { staging: 2, prod: 2, meaning: "API replicas per color (one may drain)" } },
  },
  "staging-parity": {
    title: "Staging matches production configuration",
    source: [ref("004", 8, 8, "Staging environment matches production configuration")],
  },
  "progressive-delivery": {
    title: "Progressive delivery: a small share first, monitored, then the rest",
    source: [
      ref("004", 42, 44, "Deploy new version to 10% of instances"),
      ref("004", 43, 43, "Monitor error rates for 15 minutes"),
      ref("003", 50, 50, "progressive delivery"),
    ],
  },
  "post-deploy-monitoring": {
    title: "Post-deploy monitoring window: readiness and ops summary checked for 24 h",
    source: [ref("001", 117, 119, "hourly checks of readiness + ops summary")],
  },
} as const satisfies Record<string, ReadinessItem>;

export type ReadinessId = keyof typeof READINESS;

export const READINESS_IDS = Object.keys(READINESS) as ReadinessId[];

/** Items that have numbers, and the names of their numbers. */
type WithThresholds = {
  [K in ReadinessId]: (typeof READINESS)[K] extends { thresholds: object } ? K : never;
}[ReadinessId];
export type ThresholdName<I extends WithThresholds> = keyof (typeof READINESS)[I]["thresholds"] & string;

/** An item's value for an environment (a typo in the item or the name is a type error). */
export function threshold<I extends WithThresholds>(item: I, name: ThresholdName<I>, env: Env): number | boolean {
  return (READINESS[item].thresholds as Readonly<Record<string, Threshold>>)[name][env];
}

/** An item's number for an environment. */
export function thresholdNumber<I extends WithThresholds>(item: I, name: ThresholdName<I>, env: Env): number {
  const v = threshold(item, name, env);
  if (typeof v !== "number") throw new TypeError(`readiness ${item}.${name} is not a number`);
  return v;
}

/** An item's number for every environment: the floor a component enforces whatever the stack. */
export function thresholdFloor<I extends WithThresholds>(item: I, name: ThresholdName<I>): number {
  return Math.min(thresholdNumber(item, name, "staging"), thresholdNumber(item, name, "prod"));
}

/** "pitr-retention (PITR on, retention >= N days; runbook 003:11)": how messages name an item. */
export function describeItem(id: ReadinessId): string {
  const item: ReadinessItem = READINESS[id];
  const where = item.source
    .filter((s) => s.runbook !== "000")
    .map((s) => `${s.runbook}:${s.lines[0]}${s.lines[1] > s.lines[0] ? `-${s.lines[1]}` : ""}`);
  return `${item.title}${where.length ? `; runbook ${where.join(", ")}` : ""}`;
}
