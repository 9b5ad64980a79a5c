/**
 * The twin's application database: a real Postgres (PGlite, in process) with a small application schema,
 * on which the release's Jobs act as they would on RDS: the db-users Job creates the checks' baseline
 * table, the migration applies the scenario's SQL (`migrationSql`), the integrity checks run the real
 * dbchecks/ code. Started only for scenarios that touch the data (from a per-process template: ./pglite.ts).
 * Not modelled: roles and privileges (the twin plays every Job as the superuser; test/dbusers covers them).
 */
import type { PGlite } from "@electric-sql/pglite";
import { BASELINE_DDL, formatResults, type IntegrityCheck, type Phase, runChecks } from "../../dbchecks/checks";
import type { SqlClient } from "../../dbusers/provision";
import type { JobResult, JobSpec } from "./cloud";
import { seededPglite } from "./pglite";

const SEED = `
CREATE TABLE repos (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE artifacts (id int PRIMARY KEY, repo_id int NOT NULL, digest text NOT NULL);
INSERT INTO repos SELECT g, 'repo-' || g FROM generate_series(1, 20) g;
INSERT INTO artifacts SELECT g, 1 + g % 20, md5(g::text) FROM generate_series(1, 200) g;
`;

export class TwinDatabase {
  private db?: Promise<PGlite>;

  /** `busy` registers real work with the twin clock, so virtual time waits for it (TwinClock.busy). */
  constructor(private readonly busy: <T>(work: Promise<T>) => Promise<T>) {}

  /** A Job of the release acting on the database: db-users, migration or integrity checks. */
  run(component: string, job: JobSpec, migrationSql: string | undefined): Promise<JobResult> | undefined {
    if (component === "db-users") return this.busy(this.createUsers());
    if (component === "integrity-checks") return this.busy(this.check(job));
    if (component === "migration" && migrationSql !== undefined) return this.busy(this.migrate(migrationSql));
    return undefined;
  }

  private open(): Promise<PGlite> {
    this.db ??= seededPglite(SEED);
    return this.db;
  }

  private async client(): Promise<SqlClient> {
    const db = await this.open();
    return {
      query: async (text, values) => ({ rows: (await db.query(text, values)).rows as Record<string, unknown>[] }),
    };
  }

  private async createUsers(): Promise<JobResult> {
    const c = await this.client();
    for (const ddl of BASELINE_DDL) await c.query(ddl);
    return {
      ok: true,
      output: "db-users: created [app_rw, app_ro] (twin: no privileges modelled)",
      durationMs: 15_000,
    };
  }

  private async migrate(sql: string): Promise<JobResult> {
    try {
      await (await this.open()).exec(sql);
      return { ok: true, output: "migrations applied", durationMs: 60_000 };
    } catch (e) {
      return { ok: false, output: `migration failed: ${(e as Error).message}`, durationMs: 60_000 };
    }
  }

  private async check(job: JobSpec): Promise<JobResult> {
    const env = Object.fromEntries(job.env.filter((e) => e.value !== undefined).map((e) => [e.name, String(e.value)]));
    const phase = env.INTEGRITY_PHASE as Phase;
    const checks = JSON.parse(env.INTEGRITY_CHECKS ?? "[]") as IntegrityCheck[];
    const results = await runChecks(await this.client(), checks, phase, env.RELEASE_ID);
    const failed = results.filter((r) => !r.ok);
    const lines = formatResults(phase, results);
    return { ok: failed.length === 0, output: lines.join("\n"), durationMs: 20_000 };
  }

  async close(): Promise<void> {
    if (this.db) await (await this.db).close();
  }
}
