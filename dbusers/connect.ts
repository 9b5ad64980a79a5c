/**
 * Connecting to the database from the in-cluster Jobs (db-users, integrity checks): TLS verified against the
 * RDS CA bundle baked into the runner image (verify-full), retried while the instance or its credentials are
 * in transition; every value from the environment.
 */
import { readFileSync } from "node:fs";
import { Client } from "pg";

export const RDS_CA_BUNDLE = "/etc/rds-ca/global-bundle.pem";
/**
 * Retried in the process: the instance is starting or unreachable for a moment. Not a wrong password
 * (28P01, e.g. RDS rotated the master password): the environment is fixed for the container's life, so
 * the CLI exits and the Job's next pod (backoffLimit) reads the Secret again, refreshed every minute.
 */
const TRANSIENT = new Set(["57P03", "ECONNREFUSED", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "ECONNRESET"]);

export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {}

export function connectOptions(env: Env) {
  const caPath = env.PGSSLROOTCERT ?? RDS_CA_BUNDLE;
  let ca: string;
  try {
    ca = readFileSync(caPath, "utf8");
  } catch {
    throw new ConfigError(`cannot read the CA bundle ${caPath} (PGSSLROOTCERT): the server is never trusted blindly`);
  }
  return {
    host: env.PGHOST,
    port: Number(env.PGPORT ?? 5432),
    database: env.PGDATABASE,
    user: env.PGUSER,
    password: env.PGPASSWORD,
    // verify-full: the certificate chains to the RDS CA and names the host.
    ssl: { ca, rejectUnauthorized: true, servername: env.PGHOST },
    connectionTimeoutMillis: 10_000,
  };
}

export function codeOf(e: unknown): string {
  return String((e as { code?: string }).code ?? "");
}

export async function connect(
  env: Env,
  deadline: number,
  sleep: (ms: number) => Promise<void>,
  log: (s: string) => void,
) {
  for (let attempt = 1; ; attempt++) {
    const client = new Client(connectOptions(env));
    try {
      await client.connect();
      return client;
    } catch (e) {
      await client.end().catch(() => undefined);
      if (!TRANSIENT.has(codeOf(e)) || Date.now() + 5000 > deadline) throw e;
      log(`connect attempt ${attempt} failed (${codeOf(e)}); retrying`);
      await sleep(Math.min(30_000, 2000 * attempt));
    }
  }
}
