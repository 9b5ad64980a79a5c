/**
 * What the DR drill needs from AWS, as ports (real adapters in rollout/dr-drill/aws.ts, a model of the RDS
 * API in test/support/fake-rds.ts). Shapes and states from the RDS API reference
 * (DescribeDBInstanceAutomatedBackups, RestoreDBInstanceToPointInTime, DescribeDBInstances, DeleteDBInstance).
 */
import type { CheckResult, IntegrityCheck } from "../../dbchecks/checks";

/** Automated backups in the DR region (replicated from the home region: `Region` is the source's). */
export interface ReplicatedBackup {
  arn: string;
  /** Identifier of the source instance. */
  sourceIdentifier: string;
  /** Region of the source instance. */
  sourceRegion: string;
  /** `active` / `replicating` (replication under way), `retained` (replication stopped), `creating`. */
  status: string;
  /** RestoreWindow: the earliest and latest restorable times (absent until the first backup is ready). */
  earliest?: Date;
  latest?: Date;
}

export interface DrInstance {
  identifier: string;
  /** DBInstanceStatus: creating, backing-up, modifying, available, deleting, failed, incompatible-restore, … */
  status: string;
  address?: string;
  port?: number;
  createdAt?: Date;
  tags: Record<string, string>;
}

export interface RestoreRequest {
  backupArn: string;
  identifier: string;
  instanceClass: string;
  dbSubnetGroupName: string;
  vpcSecurityGroupIds: string[];
  tags: Record<string, string>;
}

/** RDS in the DR region. Every method throws an Error from awsError (rollout/aws-errors.ts) on failure. */
export interface DrDatabases {
  /** Every automated backup of the region (all pages). */
  replicatedBackups(): Promise<ReplicatedBackup[]>;
  /** RestoreDBInstanceToPointInTime from the backup, to its latest restorable time. */
  restoreLatest(req: RestoreRequest): Promise<void>;
  /** DescribeDBInstances of one instance; undefined when it does not exist (DBInstanceNotFound). */
  describe(identifier: string): Promise<DrInstance | undefined>;
  /** Every instance of the region (all pages) with its tags. */
  list(): Promise<DrInstance[]>;
  /** DeleteDBInstance without a final snapshot, deleting its automated backups (a scratch instance). */
  delete(identifier: string): Promise<void>;
}

/** A JSON secret read at run time and kept in memory only (Secrets Manager GetSecretValue, home region). */
export interface SecretJson {
  read(secretId: string): Promise<Record<string, string>>;
}

export interface DrillTarget {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
}

/** Runs the integrity checks (phase `restore`) against an instance. */
export type CheckRunner = (target: DrillTarget, checks: IntegrityCheck[]) => Promise<CheckResult[]>;
