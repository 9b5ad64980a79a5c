import * as assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "pg";
import { type IntegrityCheck, runChecks } from "../../dbchecks/checks";
import { main } from "../../dbchecks/cli";
import { provision, type SqlClient } from "../../dbusers/provision";
import { type LocalPostgres, startPostgres } from "../support/postgres";

const CHECKS: IntegrityCheck[] = [
  {
    name: "orphan-artifacts",
    query: "SELECT a.id FROM artifacts a WHERE NOT EXISTS (SELECT 1 FROM repos r WHERE r.id = a.repo_id)",
    expect: { rows: 0 },
  },
  { name: "schema-version", query: "SELECT max(version) FROM schema_version", expect: { value: 7 } },
  { name: "repo-count", query: "SELECT count(*) FROM repos", expect: { baseline: "atLeast" } },
];

describe("integrity checks on a real Postgres (PGlite over the wire), as the read-only user", function () {
  this.timeout(60_000);
  let pg: LocalPostgres;
  let su: Client;
  /**
   * The read-only user's session: the role is set for each statement outside a transaction and kept for
   * the whole of one (PGlite serves a single session, so users are played with SET ROLE).
   */
  let inTx = false;
  const asReadOnly: SqlClient = {
    query: async (text, values) => {
      if (!inTx) await su.query("SET ROLE app_ro_g1");
      if (/^BEGIN/.test(text)) inTx = true;
      if (/^(COMMIT|ROLLBACK)/.test(text)) inTx = false;
      try {
        return await su.query(text, values);
      } finally {
        if (!inTx) await su.query("RESET ROLE");
      }
    },
  };
  const sql = async (text: string) => {
    await su.query("SET ROLE app_admin");
    try {
      return await su.query(text);
    } finally {
      await su.query("RESET ROLE");
    }
  };

  before(async () => {
    pg = await startPostgres();
    su = await pg.connect();
    await su.query("CREATE ROLE app_admin LOGIN CREATEROLE");
    await su.query("ALTER DATABASE postgres OWNER TO app_admin");
    await su.query("SET ROLE app_admin");
    await provision(su, {
      database: "postgres",
      users: [
        { group: "app_rw", user: "app_rw_g1", password: "P".repeat(20), access: "readwrite" },
        { group: "app_ro", user: "app_ro_g1", password: "Q".repeat(20), access: "readonly" },
      ],
    });
    await su.query("CREATE TABLE repos (id int primary key)");
    await su.query("CREATE TABLE artifacts (id int primary key, repo_id int)");
    await su.query("CREATE TABLE schema_version (version int)");
    await su.query("INSERT INTO repos VALUES (1), (2), (3); INSERT INTO artifacts VALUES (10, 1), (11, 2), (12, 3)");
    await su.query("INSERT INTO schema_version VALUES (6)");
    await su.query("RESET ROLE");
  });
  after(async () => {
    await su.end();
    await pg.stop();
  });

  it("baseline: captures the pre-migration values per release, and a retried capture keeps the first", async () => {
    const first = await runChecks(asReadOnly, CHECKS, "baseline", "r1");
    assert.deepEqual(first, [{ name: "repo-count", ok: true, found: "3", expected: "captured" }]);
    await sql("INSERT INTO repos VALUES (4)");
    const again = await runChecks(asReadOnly, CHECKS, "baseline", "r1");
    assert.equal(again[0].found, "3", "the first capture is kept");
    await sql("DELETE FROM repos WHERE id = 4");
  });

  it("verify after a good migration: every check passes", async () => {
    await sql("INSERT INTO schema_version VALUES (7)");
    const r = await runChecks(asReadOnly, CHECKS, "verify", "r1");
    assert.deepEqual(
      r.map((x) => `${x.name} ${x.ok} ${x.found}`),
      ["orphan-artifacts true 0 row(s)", "schema-version true 7", "repo-count true 3 (baseline 3)"],
    );
  });

  it("verify after a migration that lost data: fails naming the check, what it expected and found", async () => {
    await sql("DELETE FROM repos WHERE id = 2");
    const r = await runChecks(asReadOnly, CHECKS, "verify", "r1");
    assert.deepEqual(
      r.filter((x) => !x.ok).map((x) => `${x.name}: expected ${x.expected}, found ${x.found}`),
      [
        "orphan-artifacts: expected no rows, found 1 row(s)",
        "repo-count: expected at least the pre-migration value, found 2 (baseline 3)",
      ],
    );
    await sql("INSERT INTO repos VALUES (2)");
  });

  it("a check can never write: a DELETE in a check fails in its read-only transaction, data unchanged", async () => {
    const r = await runChecks(
      asReadOnly,
      [{ name: "sneaky", query: "DELETE FROM repos RETURNING id", expect: { rows: 0 } }],
      "verify",
      "r1",
    );
    assert.equal(r[0].ok, false);
    assert.match(r[0].found, /error: cannot execute DELETE in a read-only transaction/);
    assert.equal(Number((await su.query("SELECT count(*) AS n FROM repos")).rows[0].n), 3);
  });

  it("fails closed: no baseline for the release; a restore skips baseline checks only", async () => {
    const r = await runChecks(asReadOnly, CHECKS, "verify", "r2");
    assert.equal(r.find((x) => x.name === "repo-count")?.found, "3 (no baseline captured for release r2)");
    assert.equal(r.find((x) => x.name === "repo-count")?.ok, false);
    const restore = await runChecks(asReadOnly, CHECKS, "restore", "r2");
    assert.deepEqual(
      restore.map((x) => `${x.name} ${x.ok}${x.skipped ? " skipped" : ""}`),
      ["orphan-artifacts true", "schema-version true", "repo-count true skipped"],
    );
  });

  it("the read-only user reads the app's tables but cannot change them or the baselines' history", async () => {
    await assert.rejects(asReadOnly.query("UPDATE repos SET id = 9 WHERE id = 1"), /permission denied/);
    await assert.rejects(asReadOnly.query("DELETE FROM rollout_checks.baseline"), /permission denied/);
  });

  describe("the CLI", () => {
    const env = () => {
      const dir = mkdtempSync(join(tmpdir(), "dbchecks-"));
      writeFileSync(join(dir, "ca.pem"), "-----BEGIN CERTIFICATE-----\nnot a real ca\n-----END CERTIFICATE-----\n");
      return {
        PGHOST: "127.0.0.1",
        PGPORT: String(pg.port),
        PGDATABASE: "postgres",
        PGUSER: "app_ro_g1",
        PGPASSWORD: "read-only-secret",
        INTEGRITY_PHASE: "verify",
        INTEGRITY_CHECKS: JSON.stringify(CHECKS),
        RELEASE_ID: "r1",
        PGSSLROOTCERT: join(dir, "ca.pem"),
        INTEGRITY_DEADLINE_SECONDS: "1",
      };
    };
    it("exits 2 on a bad phase or malformed checks, naming the variable", async () => {
      const out: string[] = [];
      assert.equal(await main({ ...env(), INTEGRITY_PHASE: "after" }, (s) => out.push(s)), 2);
      assert.equal(await main({ ...env(), INTEGRITY_CHECKS: '[{"name":"x"}]' }, (s) => out.push(s)), 2);
      assert.match(out.join("\n"), /INTEGRITY_PHASE: expected baseline \| verify \| restore, got 'after'/);
      assert.match(out.join("\n"), /INTEGRITY_CHECKS: expected a list of/);
    });
    it("exits 1 against a server without TLS and prints no secret", async () => {
      const out: string[] = [];
      assert.equal(await main(env(), (s) => out.push(s)), 1);
      assert.match(out.join("\n"), /integrity-checks: failed: .*SSL/i);
      assert.ok(!out.join("\n").includes("read-only-secret"));
    });
  });
});
