/**
 * Least-privilege database users with alternating generations (the "alternating users" strategy of
 * Secrets Manager rotation, done by the release instead of a Lambda):
 * - group roles `app_rw` (DML on the schema) and `app_ro` (SELECT) hold the privileges, NOLOGIN;
 * - login users `app_rw_<generation>` / `app_ro_<generation>` (generation = hash of app:secretRotation)
 *   are members of a group and own nothing, so they can be dropped;
 * - a rotation creates the next generation while pods of the previous one keep connecting; the previous
 *   generation is kept (`keep`), older ones are disabled and dropped.
 * It runs as the RDS master user, which is not a superuser: it has CREATEROLE and, from Postgres 16, ADMIN
 * OPTION on the roles it creates (https://www.postgresql.org/docs/16/sql-createrole.html: "the current
 * user is granted ADMIN OPTION on the new role") — enough to grant membership in and drop them. Tables
 * are created by the migration, which also runs as the master user: default privileges FOR ROLE the
 * master user give the groups access to tables created later.
 * Passwords never reach the server: `CREATE/ALTER ROLE … PASSWORD` takes no bind parameters, so the
 * statement text would carry them (and `log_statement = ddl` or pgaudit would log it). The tool sends the
 * SCRAM-SHA-256 verifier instead, computed here as psql's \password does; the server stores a verifier
 * given in that form as is (https://www.postgresql.org/docs/16/sql-createrole.html, "PASSWORD": "If the
 * presented password string is already in … SCRAM-encrypted format, then it is stored as-is").
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import { BASELINE_DDL, BASELINE_TABLE } from "../dbchecks/checks";

/** The SQL surface used: node-postgres' `Client.query` satisfies it. */
export interface SqlClient {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

export type Access = "readwrite" | "readonly";

export interface ManagedUser {
  /** Group role holding the privileges, e.g. `app_rw`. */
  group: string;
  /** Login user of this generation, e.g. `app_rw_1a2b3c4d`; must start with `<group>_`. */
  user: string;
  password: string;
  access: Access;
}

export interface ProvisionSpec {
  database: string;
  /** @default "public" */
  schema?: string;
  users: ManagedUser[];
  /** Generations kept per group, the current one included. @default 2 */
  keep?: number;
}

export interface ProvisionReport {
  created: string[];
  updated: string[];
  retired: string[];
}

/** Marks a role as this tool's, with its creation time: only such roles are ever retired. */
export const GENERATION_COMMENT = "rollout db-users generation";
const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

const PRIVILEGES: Record<Access, { tables: string; sequences: string }> = {
  readwrite: { tables: "SELECT, INSERT, UPDATE, DELETE", sequences: "USAGE, SELECT" },
  readonly: { tables: "SELECT", sequences: "SELECT" },
};

export function validateSpec(spec: ProvisionSpec): string[] {
  const problems: string[] = [];
  for (const u of spec.users) {
    if (!IDENT.test(u.group)) problems.push(`group '${u.group}': expected a lowercase identifier`);
    if (!IDENT.test(u.user) || !u.user.startsWith(`${u.group}_`))
      problems.push(`user '${u.user}': expected a lowercase identifier starting with '${u.group}_'`);
    if (u.password.length < 16) problems.push(`password of '${u.user}': expected at least 16 characters`);
  }
  if ((spec.keep ?? 2) < 2) problems.push("keep: expected at least 2 (pods of the previous generation still connect)");
  return problems;
}

/**
 * The SCRAM-SHA-256 verifier of a password (RFC 5802 §3, RFC 7677; Postgres `scram_build_secret`):
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`. The passwords here are generated ASCII
 * letters and digits, which SASLprep leaves unchanged.
 */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password, salt, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  const b64 = (b: Buffer) => b.toString("base64");
  return `SCRAM-SHA-256$${iterations}:${b64(salt)}$${b64(storedKey)}:${b64(serverKey)}`;
}

/** Runs `format(template, args...)` on the server (quoting with %I/%L) and executes the result. */
async function exec(c: SqlClient, template: string, ...args: string[]): Promise<void> {
  const casts = args.map((_, i) => `$${i + 1}::text`).join(", ");
  const { rows } = await c.query(`SELECT format('${template}', ${casts}) AS sql`, args);
  await c.query(String(rows[0].sql));
}

async function roleExists(c: SqlClient, role: string): Promise<boolean> {
  const { rows } = await c.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role]);
  return rows.length > 0;
}

async function ensureGroup(c: SqlClient, spec: ProvisionSpec, u: ManagedUser): Promise<void> {
  const schema = spec.schema ?? "public";
  const p = PRIVILEGES[u.access];
  if (!(await roleExists(c, u.group))) await exec(c, "CREATE ROLE %I NOLOGIN", u.group);
  await exec(c, "GRANT CONNECT ON DATABASE %I TO %I", spec.database, u.group);
  await exec(c, "GRANT USAGE ON SCHEMA %I TO %I", schema, u.group);
  await exec(c, `GRANT ${p.tables} ON ALL TABLES IN SCHEMA %I TO %I`, schema, u.group);
  await exec(c, `GRANT ${p.sequences} ON ALL SEQUENCES IN SCHEMA %I TO %I`, schema, u.group);
  await exec(c, `ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT ${p.tables} ON TABLES TO %I`, schema, u.group);
  await exec(c, `ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT ${p.sequences} ON SEQUENCES TO %I`, schema, u.group);
}

/**
 * The integrity checks' baseline table (dbchecks/checks.ts): outside the app's schema, owned by the master
 * user; the read-only group may read it and add rows, nothing else.
 */
async function ensureChecksTable(c: SqlClient, u: ManagedUser): Promise<void> {
  for (const ddl of BASELINE_DDL) await c.query(ddl);
  await exec(c, "GRANT USAGE ON SCHEMA rollout_checks TO %I", u.group);
  await exec(c, `GRANT SELECT, INSERT ON ${BASELINE_TABLE} TO %I`, u.group);
}

async function ensureUser(c: SqlClient, u: ManagedUser, report: ProvisionReport): Promise<void> {
  if (await roleExists(c, u.user)) {
    await exec(c, "ALTER ROLE %I LOGIN PASSWORD %L", u.user, scramVerifier(u.password));
    report.updated.push(u.user);
    return;
  }
  await exec(c, "CREATE ROLE %I LOGIN PASSWORD %L IN ROLE %I", u.user, scramVerifier(u.password), u.group);
  const { rows } = await c.query(
    `SELECT $1::text || ' ' || to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS c`,
    [GENERATION_COMMENT],
  );
  await exec(c, "COMMENT ON ROLE %I IS %L", u.user, String(rows[0].c));
  report.created.push(u.user);
}

/** Login members of the group created by this tool, newest first. */
async function generations(c: SqlClient, group: string): Promise<string[]> {
  const { rows } = await c.query(
    `SELECT r.rolname, shobj_description(r.oid, 'pg_authid') AS note
       FROM pg_roles r JOIN pg_auth_members m ON m.member = r.oid JOIN pg_roles g ON g.oid = m.roleid
      WHERE g.rolname = $1 AND shobj_description(r.oid, 'pg_authid') LIKE $2
      ORDER BY note DESC, r.rolname`,
    [group, `${GENERATION_COMMENT} %`],
  );
  return rows.map((r) => String(r.rolname));
}

async function retireOld(c: SqlClient, u: ManagedUser, keep: number, report: ProvisionReport): Promise<void> {
  const others = (await generations(c, u.group)).filter((r) => r !== u.user);
  for (const old of others.slice(keep - 1)) {
    // Disable first: a session still open keeps running until it disconnects, a new one is refused.
    await exec(c, "ALTER ROLE %I NOLOGIN", old);
    await exec(c, "DROP ROLE %I", old);
    report.retired.push(old);
  }
}

/**
 * Idempotent: running it twice (a retried Job, a re-run after a restore) changes nothing the second time
 * but the passwords it sets again. One transaction under an advisory lock: two Jobs (a replaced one still
 * running) never interleave, and a Job killed mid-way leaves nothing half-done.
 */
export async function provision(c: SqlClient, spec: ProvisionSpec): Promise<ProvisionReport> {
  const problems = validateSpec(spec);
  if (problems.length) throw new Error(`invalid db-users spec: ${problems.join("; ")}`);
  const report: ProvisionReport = { created: [], updated: [], retired: [] };
  await c.query("BEGIN");
  try {
    await c.query("SELECT pg_advisory_xact_lock(hashtext('rollout db-users'))");
    for (const u of spec.users) {
      await ensureGroup(c, spec, u);
      if (u.access === "readonly") await ensureChecksTable(c, u);
      await ensureUser(c, u, report);
      await retireOld(c, u, spec.keep ?? 2, report);
    }
    await c.query("COMMIT");
  } catch (e) {
    await c.query("ROLLBACK");
    throw e;
  }
  return report;
}
