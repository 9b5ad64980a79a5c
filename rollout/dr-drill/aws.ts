/**
 * The DR drill's ports over the AWS SDK: RDS in the DR region, Secrets Manager in the home region, and the
 * integrity checks over node-postgres with TLS verified against the RDS CA bundle (dbusers/connect.ts).
 */
import {
  type DBInstance,
  DeleteDBInstanceCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  RDSClient,
  RestoreDBInstanceToPointInTimeCommand,
  type Tag,
} from "@aws-sdk/client-rds";
import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { runChecks } from "../../dbchecks/checks";
import { connect } from "../../dbusers/connect";
import { awsError } from "../aws-errors";
import { DrillFailure } from "./drill";
import type { CheckRunner, DrDatabases, DrInstance, ReplicatedBackup, RestoreRequest, SecretJson } from "./ports";

const tagsOf = (list?: Tag[]) => Object.fromEntries((list ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));

/**
 * RestoreDBInstanceToPointInTime errors that mean the DR region is not ready for a restore (RDS API
 * reference, "Errors"): the drill failed, not the tooling.
 */
const NOT_READY = new RegExp(
  [
    // RestoreDBInstanceToPointInTimeCommand.d.ts @throws (the SDK's model of the API's errors)
    "DBSubnetGroupNotFound",
    "DBSubnetGroupDoesNotCoverEnoughAZs",
    "InvalidSubnet",
    "InvalidVPCNetworkState",
    "VpcEncryptionControlViolation",
    "NetworkTypeNotSupported",
    "StorageTypeNotSupported",
    "InvalidDBInstanceState",
    "DBInstanceAutomatedBackupNotFound",
    "InsufficientDBInstanceCapacity",
    "KMSKeyNotAccessible",
    "StorageQuotaExceeded",
    "InstanceQuotaExceeded",
    "InvalidRestore",
    "PointInTimeRestoreNotEnabled",
    // Generic validation errors RDS answers for a wrong class or security groups of another VPC.
    "InvalidParameterCombination",
    "InvalidParameterValue",
  ].join("|"),
);

function instanceOf(i: DBInstance): DrInstance {
  return {
    identifier: i.DBInstanceIdentifier ?? "",
    status: i.DBInstanceStatus ?? "",
    address: i.Endpoint?.Address,
    port: i.Endpoint?.Port,
    createdAt: i.InstanceCreateTime,
    tags: tagsOf(i.TagList),
  };
}

export class RdsDrDatabases implements DrDatabases {
  constructor(private readonly client: RDSClient) {}

  static inRegion(region: string): RdsDrDatabases {
    return new RdsDrDatabases(new RDSClient({ region }));
  }

  async replicatedBackups(): Promise<ReplicatedBackup[]> {
    const out: ReplicatedBackup[] = [];
    let marker: string | undefined;
    try {
      do {
        const r = await this.client.send(new DescribeDBInstanceAutomatedBackupsCommand({ Marker: marker }));
        for (const b of r.DBInstanceAutomatedBackups ?? [])
          out.push({
            arn: b.DBInstanceAutomatedBackupsArn ?? "",
            sourceIdentifier: b.DBInstanceIdentifier ?? "",
            sourceRegion: b.Region ?? "",
            status: b.Status ?? "",
            earliest: b.RestoreWindow?.EarliestTime,
            latest: b.RestoreWindow?.LatestTime,
          });
        marker = r.Marker;
      } while (marker);
    } catch (e) {
      throw awsError(e, "RDS DescribeDBInstanceAutomatedBackups");
    }
    return out;
  }

  async restoreLatest(req: RestoreRequest): Promise<void> {
    try {
      await this.client.send(
        new RestoreDBInstanceToPointInTimeCommand({
          SourceDBInstanceAutomatedBackupsArn: req.backupArn,
          TargetDBInstanceIdentifier: req.identifier,
          UseLatestRestorableTime: true,
          DBInstanceClass: req.instanceClass,
          DBSubnetGroupName: req.dbSubnetGroupName,
          VpcSecurityGroupIds: req.vpcSecurityGroupIds,
          MultiAZ: false,
          PubliclyAccessible: false,
          DeletionProtection: false,
          // A scratch instance: no backups of its own (faster to create, nothing left when it is deleted).
          BackupRetentionPeriod: 0,
          Tags: Object.entries(req.tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      );
    } catch (e) {
      const name = (e as Error).name ?? "";
      if (NOT_READY.test(name))
        throw new DrillFailure(`the DR region refused the restore: ${name}: ${(e as Error).message}`);
      throw awsError(e, `RDS RestoreDBInstanceToPointInTime ${req.identifier}`);
    }
  }

  async describe(identifier: string): Promise<DrInstance | undefined> {
    try {
      const r = await this.client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }));
      const i = r.DBInstances?.[0];
      return i ? instanceOf(i) : undefined;
    } catch (e) {
      if (/DBInstanceNotFound/.test((e as Error).name ?? "")) return undefined;
      throw awsError(e, `RDS DescribeDBInstances ${identifier}`);
    }
  }

  async list(): Promise<DrInstance[]> {
    const out: DrInstance[] = [];
    let marker: string | undefined;
    try {
      do {
        const r = await this.client.send(new DescribeDBInstancesCommand({ Marker: marker }));
        out.push(...(r.DBInstances ?? []).map(instanceOf));
        marker = r.Marker;
      } while (marker);
    } catch (e) {
      throw awsError(e, "RDS DescribeDBInstances");
    }
    return out;
  }

  async delete(identifier: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteDBInstanceCommand({
          DBInstanceIdentifier: identifier,
          SkipFinalSnapshot: true,
          DeleteAutomatedBackups: true,
        }),
      );
    } catch (e) {
      throw awsError(e, `RDS DeleteDBInstance ${identifier}`);
    }
  }
}

/** The secret as JSON; a parse error never quotes it (V8's message shows the first characters). */
export function parseSecret(text: string | undefined, secretId: string): Record<string, string> {
  try {
    return JSON.parse(text ?? "{}") as Record<string, string>;
  } catch {
    throw new DrillFailure(`${secretId} is not a JSON object of keys (components/app-secrets.ts)`);
  }
}

export class SecretsManagerJson implements SecretJson {
  constructor(private readonly client: SecretsManagerClient) {}

  async read(secretId: string): Promise<Record<string, string>> {
    try {
      const r = await this.client.send(new GetSecretValueCommand({ SecretId: secretId }));
      return parseSecret(r.SecretString, secretId);
    } catch (e) {
      if (e instanceof DrillFailure) throw e;
      throw awsError(e, `Secrets Manager GetSecretValue ${secretId}`);
    }
  }
}

/** The checks over TLS verify-full (PGSSLROOTCERT or the bundle of the runner image); env kept in memory. */
export function tlsCheckRunner(caBundle: string | undefined, log: (s: string) => void): CheckRunner {
  return async (t, checks) => {
    const env = {
      PGHOST: t.host,
      PGPORT: String(t.port),
      PGDATABASE: t.database,
      PGUSER: t.user,
      PGPASSWORD: t.password,
      ...(caBundle ? { PGSSLROOTCERT: caBundle } : {}),
    };
    const client = await connect(env, Date.now() + 300_000, (ms) => new Promise((r) => setTimeout(r, ms)), log);
    try {
      return await runChecks(client, checks, "restore", "dr-drill");
    } finally {
      await client.end();
    }
  };
}
