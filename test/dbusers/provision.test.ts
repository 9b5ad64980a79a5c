import * as assert from "node:assert/strict";
import { createHash, createHmac, pbkdf2Sync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "pg";
import { main } from "../../dbusers/cli";
import { type ProvisionSpec, provision, type SqlClient, scramVerifier } from "../../dbusers/provision";
import { type LocalPostgres, startPostgres } from "../support/postgres";

const PW = { a: "Aa1".repeat(8), b: "Bb2".repeat(8), c: "Cc3".repeat(8) };
const spec = (gen: keyof typeof PW): ProvisionSpec => ({
  database: "postgres",
  users: [
    { group: "app_rw", user: `app_rw_${gen}`, password: PW[gen], access: "readwrite" },
    { group: "app_ro", user: `app_ro_${gen}`, password: `${PW[gen]}ro`, access: "readonly" },
  ],
});

/** Checks a stored verifier the way the server checks a SCRAM client proof (RFC 5802 §3). */
function verifies(stored: string, password: string): boolean {
  const m = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(stored);
  if (!m) return false;
  const salted = pbkdf2Sync(password, Buffer.from(m[2], "base64"), Number(m[1]), 32, "sha256");
  const storedKey = createHash("sha256").update(createHmac("sha256", salted).update("Client Key").digest()).digest();
  return storedKey.toString("base64") === m[3];
}

describe("db-users: least-privilege users on a real Postgres (PGlite over the wire)", function () {
  this.timeout(60_000);
  let pg: LocalPostgres;
  let su: Client;
  /** The RDS master user: not a superuser, CREATEROLE, owner of the database (RDS creates it so). */
  let admin: Client;

  before(async () => {
    pg = await startPostgres();
    su = await pg.connect();
    await su.query("CREATE ROLE app_admin LOGIN CREATEROLE");
    await su.query("ALTER DATABASE postgres OWNER TO app_admin");
    admin = su;
  });
  after(async () => {
    await su.end();
    await pg.stop();
  });
  const asAdmin = async <T>(f: () => Promise<T>) => {
    // SET ROLE, not SET SESSION AUTHORIZATION: PGlite's RESET SESSION AUTHORIZATION does not restore the
    // superuser. Privilege checks (CREATEROLE, ADMIN OPTION, ownership) use the current role either way.
    await su.query("SET ROLE app_admin");
    try {
      return await f();
    } finally {
      await su.query("RESET ROLE");
    }
  };
  const can = async (role: string, sql: string) => {
    await su.query(`SET ROLE ${role}`);
    try {
      await su.query(sql);
      return true;
    } catch {
      return false;
    } finally {
      await su.query("RESET ROLE");
    }
  };
  const stored = async (role: string) =>
    String((await su.query("SELECT rolpassword FROM pg_authid WHERE rolname = $1", [role])).rows[0]?.rolpassword);
  const roles = async () =>
    (await su.query("SELECT rolname FROM pg_roles WHERE rolname LIKE 'app_r%' ORDER BY 1")).rows.map((r) => r.rolname);

  it("creates the groups and this generation's users as the (non-superuser) master user", async () => {
    await asAdmin(() => admin.query("CREATE TABLE before_users (id serial primary key, v text)"));
    const r = await asAdmin(() => provision(admin, spec("a")));
    assert.deepEqual(r, { created: ["app_rw_a", "app_ro_a"], updated: [], retired: [] });
    assert.deepEqual(await roles(), ["app_ro", "app_ro_a", "app_rw", "app_rw_a"]);
    assert.equal(
      (await su.query("SELECT rolcanlogin FROM pg_roles WHERE rolname = 'app_rw'")).rows[0].rolcanlogin,
      false,
    );
  });

  it("stores a SCRAM verifier that checks against the password, not the password", async () => {
    const v = await stored("app_rw_a");
    assert.match(v, /^SCRAM-SHA-256\$4096:/);
    assert.ok(verifies(v, PW.a));
    assert.ok(!verifies(v, PW.b));
    assert.ok(!v.includes(PW.a));
  });

  it("read-write: DML on existing and later tables, no DDL; read-only: SELECT only", async () => {
    await asAdmin(() => admin.query("CREATE TABLE after_users (id serial primary key, v text)"));
    for (const t of ["before_users", "after_users"]) {
      assert.ok(await can("app_rw_a", `INSERT INTO ${t}(v) VALUES ('x')`), `app_rw inserts into ${t}`);
      assert.ok(await can("app_rw_a", `UPDATE ${t} SET v = 'y'`));
      assert.ok(await can("app_ro_a", `SELECT * FROM ${t}`));
      assert.ok(!(await can("app_ro_a", `INSERT INTO ${t}(v) VALUES ('x')`)), `app_ro must not write ${t}`);
      assert.ok(!(await can("app_rw_a", `DROP TABLE ${t}`)), `app_rw must not drop ${t}`);
    }
    assert.ok(!(await can("app_rw_a", "CREATE TABLE sneaky (x int)")), "app_rw must not create tables");
    assert.ok(!(await can("app_rw_a", "CREATE ROLE sneaky")), "app_rw must not create roles");
  });

  it("is idempotent: a re-run creates nothing and re-sets the same passwords", async () => {
    const before = await stored("app_rw_a");
    const r = await asAdmin(() => provision(admin, spec("a")));
    assert.deepEqual(r, { created: [], updated: ["app_rw_a", "app_ro_a"], retired: [] });
    const after = await stored("app_rw_a");
    assert.notEqual(after, before, "a new salt");
    assert.ok(verifies(after, PW.a));
  });

  it("rotation keeps the previous generation, retires older ones, never touches roles it did not create", async () => {
    await su.query("CREATE ROLE app_rw_manual LOGIN IN ROLE app_rw");
    const b = await asAdmin(() => provision(admin, spec("b")));
    assert.deepEqual(b, { created: ["app_rw_b", "app_ro_b"], updated: [], retired: [] });
    const c = await asAdmin(() => provision(admin, spec("c")));
    assert.deepEqual(c, { created: ["app_rw_c", "app_ro_c"], updated: [], retired: ["app_rw_a", "app_ro_a"] });
    assert.deepEqual(await roles(), [
      "app_ro",
      "app_ro_b",
      "app_ro_c",
      "app_rw",
      "app_rw_b",
      "app_rw_c",
      "app_rw_manual",
    ]);
    assert.ok(await can("app_rw_b", "SELECT * FROM after_users"), "the previous generation still works");
  });

  it("a failure mid-way leaves nothing half-done (one transaction)", async () => {
    const failing: SqlClient = {
      query: (text: string, values?: unknown[]) => {
        if (/COMMENT ON ROLE/.test(text)) throw new Error("connection lost");
        return admin.query(text, values);
      },
    };
    await assert.rejects(
      asAdmin(() => provision(failing, { database: "postgres", users: [{ ...spec("a").users[0], user: "app_rw_d" }] })),
      /connection lost/,
    );
    assert.ok(!(await roles()).includes("app_rw_d"));
  });

  it("refuses an invalid spec before touching the database", async () => {
    await assert.rejects(
      provision(admin, {
        database: "postgres",
        users: [{ group: "app_rw", user: "other", password: "short", access: "readwrite" }],
      }),
      /user 'other': expected a lowercase identifier starting with 'app_rw_'.*password of 'other': expected at least 16/,
    );
  });

  it("the verifier is byte-identical to the one Postgres computes from the same password and salt", async () => {
    await su.query("SET password_encryption = 'scram-sha-256'");
    await su.query("CREATE ROLE scram_probe PASSWORD 'pencil-Pencil-42'");
    const theirs = await stored("scram_probe");
    const m = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(theirs);
    assert.ok(m, theirs);
    assert.equal(scramVerifier("pencil-Pencil-42", Buffer.from(m[2], "base64"), Number(m[1])), theirs);
    await su.query("DROP ROLE scram_probe");
  });

  describe("the CLI", () => {
    const env = () => {
      const dir = mkdtempSync(join(tmpdir(), "dbusers-"));
      writeFileSync(join(dir, "ca.pem"), "-----BEGIN CERTIFICATE-----\nnot a real ca\n-----END CERTIFICATE-----\n");
      return {
        PGHOST: "127.0.0.1",
        PGPORT: String(pg.port),
        PGDATABASE: "postgres",
        PGUSER: "app_admin",
        PGPASSWORD: "master-secret-value",
        APP_RW_USER: "app_rw_e",
        APP_RW_PASSWORD: PW.a,
        APP_RO_USER: "app_ro_e",
        APP_RO_PASSWORD: PW.b,
        PGSSLROOTCERT: join(dir, "ca.pem"),
        DB_USERS_DEADLINE_SECONDS: "1",
      };
    };
    it("exits 2 naming the missing variables, and prints no secret", async () => {
      const out: string[] = [];
      const e: Record<string, string> = { ...env(), PGPASSWORD: "", APP_RO_PASSWORD: "" };
      assert.equal(await main(e, (s) => out.push(s)), 2);
      assert.match(out.join("\n"), /missing environment: PGPASSWORD, APP_RO_USER\/APP_RO_PASSWORD/);
      assert.ok(!out.join("\n").includes(PW.a));
    });
    it("exits 1 on a users Secret of another generation (not synced yet): the Job's next pod reads it again", async () => {
      const out: string[] = [];
      assert.equal(await main({ ...env(), EXPECT_RW_USER: "app_rw_f" }, (s) => out.push(s)), 1);
      assert.match(out.join("\n"), /the users Secret holds app_rw_e, this Job creates app_rw_f/);
    });
    it("exits 2 without a CA bundle: it never connects without verifying the server", async () => {
      const out: string[] = [];
      assert.equal(await main({ ...env(), PGSSLROOTCERT: "/nonexistent/ca.pem" }, (s) => out.push(s)), 2);
      assert.match(out.join("\n"), /cannot read the CA bundle \/nonexistent\/ca.pem/);
    });
    it("exits 1 against a server without TLS, creating nothing and printing no secret", async () => {
      const out: string[] = [];
      assert.equal(await main(env(), (s) => out.push(s)), 1);
      assert.match(out.join("\n"), /db-users: failed: .*SSL/i);
      assert.ok(!(await roles()).includes("app_rw_e"));
      for (const secret of ["master-secret-value", PW.a, PW.b]) assert.ok(!out.join("\n").includes(secret));
    });
  });
});
