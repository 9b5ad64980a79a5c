/**
 * The readiness invariants the config schema rejects in prod (awsx: readiness invariants are rejected, not
 * silently fixed), each naming the readiness registry item it enforces and reading its number from the
 * registry (shared/src/readiness.ts). The policy pack judges the same items again on the plan; the
 * traceability matrix (docs/readiness.md) lists these rules in its "config rule" column.
 */
import { type ReadinessId, thresholdNumber } from "@app-rollout/shared";

/** The fields of a validated config the rules read (a structural slice of the schema's output). */
export interface RuleInput {
  environment: "staging" | "prod";
  api: { replicas: number };
  rollout: { certificateMinDays: number };
  database: {
    multiAz: boolean;
    pitrRetentionDays: number;
    deletionProtection: boolean;
    crossRegionPitr: boolean;
    integrityChecks: readonly unknown[];
  };
  backups: { crossRegionCopy?: { restoreInto?: unknown } | undefined; vaultLock?: unknown };
}

export interface ReadinessRule {
  item: ReadinessId;
  /** Key path under `app:` the issue is reported at. */
  path: string[];
  /** True when the config breaks the invariant. */
  broken(c: RuleInput): boolean;
  /** What was expected, and the fix. */
  message: string;
  input(c: RuleInput): unknown;
}

const PITR_DAYS = thresholdNumber("pitr-retention", "minimumDays", "prod");
const MIN_REPLICAS = thresholdNumber("zero-downtime", "minimum", "prod");
const CERT_DAYS = thresholdNumber("tls-everywhere", "certificateMinDays", "prod");

/** Rules that hold in prod, in the order their issues are reported. */
export const PROD_RULES: readonly ReadinessRule[] = [
  {
    item: "multi-az",
    path: ["database", "multiAz"],
    broken: (c) => !c.database.multiAz,
    message: "expected true in prod (runbook: multi-AZ database)",
    input: () => false,
  },
  {
    item: "pitr-retention",
    path: ["database", "pitrRetentionDays"],
    broken: (c) => c.database.pitrRetentionDays < PITR_DAYS,
    message: `expected at least ${PITR_DAYS} days of point-in-time recovery in prod`,
    input: (c) => c.database.pitrRetentionDays,
  },
  {
    item: "deletion-safety",
    path: ["database", "deletionProtection"],
    broken: (c) => !c.database.deletionProtection,
    message: "expected true in prod",
    input: () => false,
  },
  {
    item: "integrity-after-migration",
    path: ["database", "integrityChecks"],
    broken: (c) => c.database.integrityChecks.length === 0,
    message:
      "expected at least one integrity check in prod (runbook 004: verify data integrity after the migration); the defaults have two — remove the override: pulumi config rm --path 'database.integrityChecks'",
    input: () => [],
  },
  {
    item: "backups-rotated",
    path: ["backups", "crossRegionCopy"],
    broken: (c) => !c.backups.crossRegionCopy,
    message: "expected a cross-region copy in prod (disaster recovery)",
    input: () => undefined,
  },
  {
    item: "dr-exercise",
    path: ["backups", "crossRegionCopy", "restoreInto"],
    broken: (c) => !!c.backups.crossRegionCopy && !c.backups.crossRegionCopy.restoreInto,
    message:
      "expected the DR region's DB subnet group and security groups in prod (runbook 003: exercise failover quarterly; the DR restore test and the DR drill restore there)",
    input: () => undefined,
  },
  {
    item: "dr-replication",
    path: ["database", "crossRegionPitr"],
    broken: (c) => !c.database.crossRegionPitr,
    message:
      "expected true in prod (runbook 003: replicate Postgres every 5 minutes; a daily copy loses up to 24 h in a region outage)",
    input: () => false,
  },
  {
    item: "backups-rotated",
    path: ["backups", "vaultLock"],
    broken: (c) => !c.backups.vaultLock,
    message: "expected a vault lock in prod",
    input: () => undefined,
  },
  {
    item: "zero-downtime",
    path: ["api", "replicas"],
    broken: (c) => c.api.replicas < MIN_REPLICAS,
    message: `expected at least ${MIN_REPLICAS} replicas in prod (zero-downtime)`,
    input: (c) => c.api.replicas,
  },
  {
    item: "tls-everywhere",
    path: ["rollout", "certificateMinDays"],
    broken: (c) => c.rollout.certificateMinDays < CERT_DAYS,
    message: `expected at least ${CERT_DAYS} days in prod: a release must not start on a certificate about to expire`,
    input: (c) => c.rollout.certificateMinDays,
  },
];

/** Reports every broken prod rule, naming its readiness item. */
export function readinessIssues(c: RuleInput, issue: (path: string[], message: string, input?: unknown) => void): void {
  if (c.environment !== "prod") return;
  for (const r of PROD_RULES) if (r.broken(c)) issue(r.path, `${r.message} [readiness: ${r.item}]`, r.input(c));
}
