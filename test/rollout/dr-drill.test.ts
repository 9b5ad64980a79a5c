/**
 * The DR drill (rollout/dr-drill/) against a model of the RDS Query API on loopback driven by the real
 * AWS SDK client (test/support/fake-rds.ts), a real Postgres as the restored instance (PGlite over the
 * wire) and a virtual clock.
 */
import * as assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { rootCertificates } from "node:tls";
import { RDSClient } from "@aws-sdk/client-rds";
import type { Client } from "pg";
import type { IntegrityCheck } from "../../dbchecks/checks";
import { runChecks } from "../../dbchecks/checks";
import { parseSecret, RdsDrDatabases, tlsCheckRunner } from "../../rollout/dr-drill/aws";
import { drillMain, drillSettings } from "../../rollout/dr-drill/cli";
import { DRILL_TAG, type DrillDeps, type DrillSettings, drillIdentifier, runDrill } from "../../rollout/dr-drill/drill";
import type { CheckRunner, SecretJson } from "../../rollout/dr-drill/ports";
import type { Clock } from "../../rollout/ports";
import { withoutBackoff } from "../support/aws-retry";
import { FakeRds } from "../support/fake-rds";
import { type LocalPostgres, startPostgres } from "../support/postgres";
import { ROOT, validConfig } from "../support/stacks";

const START = Date.parse("2026-12-01T06:00:00Z");
const SOURCE_ARN = "arn:aws:rds:eu-west-1:123456789012:auto-backup:ab-prodexample";
const PASSWORD = "Q".repeat(40);

function virtualClock(): Clock & { t: number } {
  const c = {
    t: START,
    now: () => new Date(c.t),
    sleep: async (ms: number) => {
      c.t += ms;
    },
  };
  return c;
}

describe("DR drill: restore the latest replicated recovery point in the DR region, check it, report RPO", function () {
  this.timeout(60_000);
  let pg: LocalPostgres;
  let su: Client;
  let rds: FakeRds;
  let clock: ReturnType<typeof virtualClock>;
  let url: string;
  let logs: string[];
  let secret: Record<string, string>;
  const targets: { user: string; password: string; host: string; port: number }[] = [];

  /** The checks run as the read-only user (PGlite serves one session: the role is played with SET ROLE). */
  const pgRunner: CheckRunner = async (t, checks) => {
    targets.push(t);
    await su.query(`SET ROLE ${t.user}`);
    try {
      return await runChecks(su, checks, "restore", "dr-drill");
    } finally {
      await su.query("RESET ROLE");
    }
  };
  const secrets: SecretJson = {
    read: async (id) => {
      if (id !== "artifortress/prod/db-users") throw new Error(`ResourceNotFoundException: ${id}`);
      return secret;
    },
  };
  const deps = (over: Partial<DrillDeps> = {}): DrillDeps => ({
    rds: new RdsDrDatabases(
      new RDSClient({ region: "eu-west-1", endpoint: url, credentials: { accessKeyId: "x", secretAccessKey: "y" } }),
    ),
    secrets,
    runChecks: pgRunner,
    clock,
    log: (s) => logs.push(s),
    ...over,
  });
  const settings = (over: Partial<DrillSettings> = {}): DrillSettings => ({
    ...drillSettings(validConfig("prod"), "prod", "eu-central-1", { keep: false, timeoutMinutes: 120 }),
    ...over,
  });
  const addBackup = (lagMinutes: number, status = "replicating") =>
    rds.backups.push({
      arn: SOURCE_ARN,
      identifier: "artifortress-prod",
      region: "eu-central-1",
      status,
      earliest: new Date(START - 21 * 86_400_000),
      latest: new Date(START - lagMinutes * 60_000),
    });

  before(async () => {
    pg = await startPostgres();
    su = await pg.connect();
    await su.query("CREATE ROLE app_ro_g1 LOGIN");
    await su.query("CREATE TABLE repos (id int primary key); INSERT INTO repos VALUES (1), (2)");
    await su.query("GRANT SELECT ON repos TO app_ro_g1");
  });
  after(async () => {
    await su.end();
    await pg.stop();
  });
  beforeEach(async () => {
    clock = virtualClock();
    rds = new FakeRds(() => clock.t);
    rds.subnetGroups.add("artifortress-dr-db");
    rds.securityGroups.add("sg-0d1e2f3a4b5c6d7e8");
    rds.endpoint = { address: "127.0.0.1", port: pg.port };
    // Other instances and backups of the region (other teams), across more than one page of 100.
    for (let i = 0; i < 120; i++)
      rds.backups.push({ arn: `arn:other-${i}`, identifier: `other-${i}`, region: "eu-central-1", status: "active" });
    url = await rds.start();
    logs = [];
    secret = { APP_RO_USER: "app_ro_g1", APP_RO_PASSWORD: PASSWORD };
    targets.length = 0;
  });
  afterEach(() => rds.stop());

  it("passes: restores the newest recovery point into the DR network, checks it as the read-only user, reports data age and restore time, deletes the scratch instance", async () => {
    addBackup(4);
    const r = await runDrill(deps(), settings());
    assert.equal(r.outcome, "passed", r.problems.join("\n"));
    assert.equal(r.dataAgeSeconds, 240);
    assert.equal(r.rpoTargetSeconds, 900, "app:backups.crossRegionCopy.rpoTargetMinutes (15)");
    assert.deepEqual(r.warnings, []);
    assert.equal(r.restoreSeconds, 1500, "25 minutes of creating, polled every 30 s");
    assert.equal(r.instance, drillIdentifier("artifortress-prod", new Date(START)));
    const restore = rds.calls.find((c) => c.action === "RestoreDBInstanceToPointInTime")!.params;
    assert.equal(restore.SourceDBInstanceAutomatedBackupsArn, SOURCE_ARN);
    assert.equal(restore.UseLatestRestorableTime, "true");
    assert.equal(restore.DBSubnetGroupName, "artifortress-dr-db");
    assert.equal(restore["VpcSecurityGroupIds.VpcSecurityGroupId.1"], "sg-0d1e2f3a4b5c6d7e8");
    assert.equal(restore.DeletionProtection, "false");
    assert.equal(restore.PubliclyAccessible, "false");
    assert.equal(restore.BackupRetentionPeriod, "0");
    assert.deepEqual(rds.instances.get(r.instance!)?.tags, { [DRILL_TAG]: "artifortress-prod", purpose: "dr-drill" });
    assert.equal(rds.instances.get(r.instance!)?.status, "deleting");
    assert.equal(r.deleted, true);
    assert.deepEqual(
      targets.map((t) => t.user),
      ["app_ro_g1"],
    );
    assert.ok(r.checks.some((c) => c.name === "invalid-indexes" && c.ok));
    assert.ok(
      r.checks.some((c) => c.name === "app-tables-kept" && c.skipped),
      "no baseline on a restore",
    );
    assert.ok(
      !JSON.stringify([r, logs, rds.calls]).includes(PASSWORD),
      "the password is in no report, log or AWS call",
    );
  });

  it("a killed drill's instance is deleted first; other stacks' and untagged instances are left alone", async () => {
    addBackup(2);
    const leftover = { identifier: "artifortress-prod-drill-20260901060000", status: "available", createdAt: 0 };
    rds.instances.set(leftover.identifier, { ...leftover, tags: { [DRILL_TAG]: "artifortress-prod" } });
    rds.instances.set("artifortress-staging-drill-1", {
      ...leftover,
      identifier: "artifortress-staging-drill-1",
      tags: { [DRILL_TAG]: "artifortress-staging" },
    });
    rds.instances.set("billing", { ...leftover, identifier: "billing", tags: {} });
    const r = await runDrill(deps(), settings());
    assert.equal(r.outcome, "passed", r.problems.join("\n"));
    assert.deepEqual(r.leftovers, [leftover.identifier]);
    const deletes = rds.calls.filter((c) => c.action === "DeleteDBInstance").map((c) => c.params.DBInstanceIdentifier);
    assert.deepEqual(deletes, [leftover.identifier, r.instance]);
  });

  it("replication stopped (retained backups): failed, nothing restored, says what to re-apply", async () => {
    addBackup(60 * 24 * 3, "retained");
    const r = await runDrill(deps(), settings());
    assert.equal(r.outcome, "failed");
    assert.match(r.problems[0], /replication of artifortress-prod to eu-west-1 has stopped \(status retained\)/);
    assert.ok(!rds.calls.some((c) => c.action === "RestoreDBInstanceToPointInTime"));
  });

  it("no replicated backups at all: failed, names the config key", async () => {
    const r = await runDrill(deps(), settings());
    assert.equal(r.outcome, "failed");
    assert.match(
      r.problems[0],
      /no automated backups of artifortress-prod \(eu-central-1\) are replicated to eu-west-1: apply app:database.crossRegionPitr/,
    );
  });

  it("data older than the runbook's 5 minutes but within the target: passes with a warning", async () => {
    addBackup(8);
    const r = await runDrill(deps(), settings());
    assert.equal(r.outcome, "passed", r.problems.join("\n"));
    assert.deepEqual(r.warnings, [
      "data age 480 s is above the runbook's 5-minute replication cadence (within the 900 s target)",
    ]);
  });

  it("replicated backups with AWS's capitalization (Replicating) are found; a replication still pending is not 'stopped'", async () => {
    addBackup(3, "Replicating");
    assert.equal((await runDrill(deps(), settings())).outcome, "passed");
    rds.backups.splice(rds.backups.length - 1, 1);
    addBackup(3, "pending");
    const r = await runDrill(deps(), settings());
    assert.equal(r.outcome, "failed");
    assert.match(r.problems[0], /replication is starting/);
  });

  it("security groups of another VPC: failed (the DR region is not ready), not 'AWS unavailable'", async () => {
    addBackup(3);
    rds.securityGroups.clear();
    const r = await runDrill(deps(), settings());
    assert.equal(r.outcome, "failed");
    assert.match(r.problems[0], /the DR region refused the restore: InvalidParameterCombination/);
  });

  it("interrupted while the restore runs (SIGINT/SIGTERM): stops waiting and deletes the scratch instance", async () => {
    addBackup(3);
    const controller = new AbortController();
    const slow: Clock = {
      now: clock.now,
      sleep: async (ms) => {
        clock.t += ms;
        if (clock.t > START + 10 * 60_000) controller.abort();
      },
    };
    const r = await runDrill(deps({ clock: slow, signal: controller.signal }), settings());
    assert.equal(r.outcome, "failed");
    assert.match(r.problems[0], /interrupted while artifortress-prod-drill-\d+ was creating/);
    assert.equal(r.deleted, true);
  });

  it("a users secret that is not JSON: failed, and the error never quotes the secret", async () => {
    assert.throws(
      () => parseSecret(`APP_RO_PASSWORD=${PASSWORD}`, "artifortress/prod/db-users"),
      (e: Error) => {
        assert.match(e.message, /artifortress\/prod\/db-users is not a JSON object/);
        assert.ok(!e.message.includes("APP_RO"));
        return true;
      },
    );
  });

  it("the data is older than the RPO target: failed with the data age, still checked and cleaned up", async () => {
    addBackup(20);
    const r = await runDrill(deps(), settings());
    assert.equal(r.outcome, "failed");
    assert.equal(r.dataAgeSeconds, 1200);
    assert.match(
      r.problems.join("\n"),
      /data age 1200 s exceeds the RPO target of 900 s \(app:backups.crossRegionCopy.rpoTargetMinutes\)/,
    );
    assert.ok(r.checks.length > 0);
    assert.equal(r.deleted, true);
  });

  it("a check fails on the DR copy: failed, names the check and what it found", async () => {
    addBackup(3);
    const checks: IntegrityCheck[] = [
      { name: "repos-present", query: "SELECT count(*) FROM repos", expect: { value: 3 } },
    ];
    const r = await runDrill(deps(), settings({ checks }));
    assert.equal(r.outcome, "failed");
    assert.deepEqual(r.problems, ["integrity check repos-present FAILED on the DR copy: expected 3, found 2"]);
  });

  it("the restore ends incompatible-restore: failed, the scratch instance is deleted", async () => {
    addBackup(3);
    rds.restoreEndsIn = "incompatible-restore";
    const r = await runDrill(deps(), settings());
    assert.equal(r.outcome, "failed");
    assert.match(r.problems[0], /the restore of artifortress-prod-drill-\d+ ended incompatible-restore/);
    assert.equal(r.deleted, true);
  });

  it("the DR DB subnet group does not exist: failed (the DR region is not ready), no instance made", async () => {
    addBackup(3);
    rds.subnetGroups.clear();
    const r = await runDrill(deps(), settings());
    assert.equal(r.outcome, "failed");
    assert.match(r.problems[0], /the DR region refused the restore: DBSubnetGroupNotFoundFault/);
    assert.equal(rds.instances.size, 0);
  });

  it("the restore outlasts --timeout: failed, the instance is deleted all the same", async () => {
    addBackup(3);
    rds.restoreMs = 3 * 60 * 60_000;
    const r = await runDrill(deps(), settings({ timeoutMinutes: 60 }));
    assert.equal(r.outcome, "failed");
    assert.match(r.problems[0], /was still creating when the drill's time ran out/);
    assert.equal(r.deleted, true);
  });

  it("throttled twice: the SDK retries and the drill passes; throttled for good: unavailable (exit 3 in the CLI)", async () => {
    addBackup(3);
    // The client's own retry strategy, without its real-time backoff (test/support/aws-retry.ts).
    const client = () =>
      withoutBackoff(
        new RDSClient({ region: "eu-west-1", endpoint: url, credentials: { accessKeyId: "x", secretAccessKey: "y" } }),
      );
    rds.throttle = 2;
    const passed = await runDrill(deps({ rds: new RdsDrDatabases(await client()) }), settings());
    assert.equal(passed.outcome, "passed");
    const [first, second, third] = rds.calls.map((c) => c.action);
    assert.ok(
      rds.throttle === 0 && first === second && second === third,
      "the SDK sent the throttled call again, twice",
    );
    rds.throttle = 1000;
    const before = rds.calls.length;
    const r = await runDrill(deps({ rds: new RdsDrDatabases(await client()) }), settings());
    assert.equal(r.outcome, "unavailable");
    assert.deepEqual(
      rds.calls.slice(before).map((c) => c.action),
      Array(3).fill("DescribeDBInstances"),
      "the SDK's default 3 attempts, then the drill gives up",
    );
    assert.match(r.problems[0], /Rate exceeded/);
  });

  it("the users secret lacks the read-only password: failed before any connection, no secret printed", async () => {
    addBackup(3);
    secret = { APP_RO_USER: "app_ro_g1" };
    const r = await runDrill(deps(), settings());
    assert.equal(r.outcome, "failed");
    assert.match(r.problems[0], /artifortress\/prod\/db-users has no APP_RO_USER \/ APP_RO_PASSWORD/);
    assert.deepEqual(targets, []);
  });

  it("the real check runner insists on TLS: a server without it is refused and the password is never logged", async () => {
    addBackup(3);
    const dir = mkdtempSync(path.join(tmpdir(), "ca-"));
    const ca = path.join(dir, "ca.pem");
    writeFileSync(ca, rootCertificates[0]);
    const r = await runDrill(deps({ runChecks: tlsCheckRunner(ca, (s) => logs.push(s)) }), settings());
    assert.equal(r.outcome, "error");
    assert.match(r.problems.join("\n"), /does not support SSL/);
    assert.equal(r.deleted, true);
    assert.ok(!JSON.stringify([r, logs]).includes(PASSWORD));
  });

  it("CLI: JSON report on stdout and exit 0; exit 8 when it failed; exit 2 with the fix when the stack has no DR region", async () => {
    addBackup(3);
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (s: string) => out.push(s), err: (s: string) => err.push(s) };
    const code = await drillMain(["--stack", "prod", "--dir", ROOT, "--format", "json"], io, async () => deps());
    assert.equal(code, 0, err.join("\n"));
    assert.equal(JSON.parse(out.join("\n")).outcome, "passed");
    rds.backups.length = 0;
    assert.equal(await drillMain(["--stack", "prod", "--dir", ROOT], io, async () => deps()), 8);
    assert.match(out.join("\n"), /DR drill of artifortress-prod in eu-west-1: FAILED/);
    rds.instances.set("artifortress-prod-drill-20260101060000", {
      identifier: "artifortress-prod-drill-20260101060000",
      status: "available",
      createdAt: 0,
      tags: { [DRILL_TAG]: "artifortress-prod" },
    });
    assert.equal(await drillMain(["--stack", "prod", "--dir", ROOT, "--sweep"], io, async () => deps()), 0);
    assert.match(
      out.join("\n"),
      /scratch instance\(s\) of artifortress-prod deleted or deleting: .*artifortress-prod-drill-20260101060000/,
    );
    assert.equal(rds.instances.get("artifortress-prod-drill-20260101060000")?.status, "deleting");
    err.length = 0;
    assert.equal(await drillMain(["--stack", "staging", "--dir", ROOT], io, async () => deps()), 2);
    assert.match(
      err.join("\n"),
      /pulumi config set --path 'app:backups.crossRegionCopy.region' eu-west-1 --stack staging/,
    );
  });

  it("after a restore cutover the drill follows the primary; prod without restoreInto is refused with the key", () => {
    const c = validConfig("prod");
    c.database.restore = { name: "incident-42", cutover: true };
    assert.equal(
      drillSettings(c, "prod", "eu-central-1", { keep: false, timeoutMinutes: 1 }).source,
      "artifortress-prod-incident-42",
    );
    delete c.backups.crossRegionCopy!.restoreInto;
    assert.throws(
      () => drillSettings(c, "prod", "eu-central-1", { keep: false, timeoutMinutes: 1 }),
      /app:backups.crossRegionCopy.restoreInto is not set for prod/,
    );
  });
});
