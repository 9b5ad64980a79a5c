/**
 * `app-db-users`: creates/rotates the least-privilege database users (dbusers/provision.ts). Run as a
 * Kubernetes Job by components/database-users.ts, with every value from the environment — never argv:
 *   PGHOST, PGPORT, PGDATABASE       the instance (not secret)
 *   PGUSER, PGPASSWORD               the RDS master user (from the RDS-managed secret)
 *   APP_RW_USER, APP_RW_PASSWORD     this generation's read-write user
 *   APP_RO_USER, APP_RO_PASSWORD     this generation's read-only user
 *   PGSSLROOTCERT                    CA bundle to verify the server (default: the RDS bundle in the image)
 *   DB_USERS_DEADLINE_SECONDS        retry connecting this long (default 600)
 * Exit codes: 0 done, 1 failed (database refused or unreachable until the deadline), 2 configuration error.
 */
import { ConfigError, codeOf, connect, connectOptions, type Env } from "./connect";
import { type ManagedUser, type ProvisionSpec, provision, validateSpec } from "./provision";

/** The mounted Secret is not this generation's yet: exit 1, so the Job's next pod (backoffLimit) reads it again. */
export class StaleSecret extends Error {}

export function specFromEnv(env: Env): ProvisionSpec {
  const missing = ["PGHOST", "PGDATABASE", "PGUSER", "PGPASSWORD"].filter((k) => !env[k]);
  const users: ManagedUser[] = [];
  for (const [prefix, group, access] of [
    ["APP_RW", "app_rw", "readwrite"],
    ["APP_RO", "app_ro", "readonly"],
  ] as const) {
    const user = env[`${prefix}_USER`];
    const password = env[`${prefix}_PASSWORD`];
    if (!user || !password) missing.push(`${prefix}_USER/${prefix}_PASSWORD`);
    else users.push({ group, user, password, access });
  }
  if (missing.length) throw new ConfigError(`missing environment: ${missing.join(", ")}`);
  // The users Secret must hold the generation this Job was created for (EXPECT_*: plain names from the
  // program); an older sync would re-set the previous generation and never create this one.
  for (const u of users) {
    const expected = env[u.access === "readwrite" ? "EXPECT_RW_USER" : "EXPECT_RO_USER"];
    if (expected && expected !== u.user)
      throw new StaleSecret(
        `the users Secret holds ${u.user}, this Job creates ${expected}: its ExternalSecret has not synced this generation yet`,
      );
  }
  const spec: ProvisionSpec = { database: String(env.PGDATABASE), users };
  const problems = validateSpec(spec);
  if (problems.length) throw new ConfigError(problems.join("; "));
  return spec;
}

export async function main(
  env: Env = process.env,
  log: (s: string) => void = console.log,
  sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
): Promise<number> {
  let spec: ProvisionSpec;
  try {
    spec = specFromEnv(env);
    connectOptions(env);
  } catch (e) {
    log(`db-users: ${(e as Error).message}`);
    return e instanceof StaleSecret ? 1 : 2;
  }
  const deadline = Date.now() + 1000 * Number(env.DB_USERS_DEADLINE_SECONDS ?? 600);
  try {
    const client = await connect(env, deadline, sleep, log);
    try {
      const r = await provision(client, spec);
      log(
        `db-users: created [${r.created.join(", ")}] updated [${r.updated.join(", ")}] retired [${r.retired.join(", ")}]`,
      );
      return 0;
    } finally {
      await client.end();
    }
  } catch (e) {
    // The message of a pg error names the statement's problem, never a password (verifiers only, see provision.ts).
    log(`db-users: failed: ${codeOf(e) ? `${codeOf(e)} ` : ""}${(e as Error).message}`);
    return 1;
  }
}
