/**
 * A violating example per readiness rule of the config schema (config/readiness-rules.ts): a mutation of
 * the committed prod stack file that breaks the rule's item. test/config/schema.test.ts runs each (rejected
 * at its key, naming the item, with the fix); test/policy/readiness.test.ts fails when a rule has none; the
 * traceability matrix (docs/readiness.md) lists them as tests.
 */
import type { ReadinessId } from "@app-rollout/shared";

// biome-ignore lint/suspicious/noExplicitAny: examples mutate arbitrary config paths
type Raw = Record<string, any>;

export interface RuleExample {
  item: ReadinessId;
  /** The key the problem is reported at, as `app:<path>`. */
  key: string;
  what: string;
  mutate: (c: Raw) => void;
}

export const RULE_EXAMPLES: RuleExample[] = [
  {
    item: "multi-az",
    key: "app:database.multiAz",
    what: "a single-AZ prod database",
    mutate: (c) => (c.database.multiAz = false),
  },
  {
    item: "pitr-retention",
    key: "app:database.pitrRetentionDays",
    what: "7 days of PITR in prod",
    mutate: (c) => (c.database.pitrRetentionDays = 7),
  },
  {
    item: "deletion-safety",
    key: "app:database.deletionProtection",
    what: "prod database without deletion protection",
    mutate: (c) => (c.database.deletionProtection = false),
  },
  {
    item: "integrity-after-migration",
    key: "app:database.integrityChecks",
    what: "no integrity check in prod",
    mutate: (c) => (c.database.integrityChecks = []),
  },
  {
    item: "backups-rotated",
    key: "app:backups.crossRegionCopy",
    what: "prod backups without a cross-region copy",
    mutate: (c) => delete c.backups.crossRegionCopy,
  },
  {
    item: "dr-exercise",
    key: "app:backups.crossRegionCopy.restoreInto",
    what: "no DR restore target in prod",
    mutate: (c) => delete c.backups.crossRegionCopy.restoreInto,
  },
  {
    item: "dr-replication",
    key: "app:database.crossRegionPitr",
    what: "no cross-region PITR in prod",
    mutate: (c) => (c.database.crossRegionPitr = false),
  },
  {
    item: "backups-rotated",
    key: "app:backups.vaultLock",
    what: "prod backups without a vault lock",
    mutate: (c) => delete c.backups.vaultLock,
  },
  {
    item: "zero-downtime",
    key: "app:api.replicas",
    what: "one API replica in prod",
    mutate: (c) => (c.api.replicas = 1),
  },
  {
    item: "tls-everywhere",
    key: "app:rollout.certificateMinDays",
    what: "a release allowed on a certificate 3 days from expiry",
    mutate: (c) => (c.rollout = { ...(c.rollout ?? {}), certificateMinDays: 3 }),
  },
];
