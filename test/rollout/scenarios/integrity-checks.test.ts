/**
 * Story (runbook 004 "verify data integrity"): the release's migration runs against the twin's real
 * Postgres. (1) It drops a table the app needs: the integrity checks after the migration fail, the deploy
 * `up` fails before green gets any traffic, the release rolls back. (2) A benign migration: released.
 */
import * as assert from "node:assert/strict";
import { assertSettled, commandResults, NEW_IMAGE, OLD_IMAGE, rehearseStory } from "../../support/twin";

describe("scenario: data integrity checks around the migration (real Postgres in the twin)", () => {
  it("a migration that drops a table fails the checks: no traffic to green, rolled back, the check named", async () => {
    const s = await rehearseStory({ migrationSql: "DROP TABLE artifacts" });
    assert.deepEqual(commandResults(s), ["start:rolled-back"]);
    // The release's jobs (the seed deployment of 1.4.0 ran its own before): baseline and checks keyed by the
    // release attempt the driver set.
    const names = s.report.jobs.map((j) => `${j.name}:${j.ok}`).filter((n) => n.includes("1-5-0"));
    assert.deepEqual(
      names.map((n) => n.replace(/-[a-z0-9]{7}:/, ":")).filter((n) => /^(integrity|migrate)/.test(n)),
      ["integrity-baseline-1-5-0-9f8e7d6:true", "migrate-1-5-0:true", "integrity-verify-1-5-0-9f8e7d6:false"],
    );
    const verify = s.report.jobs.find((j) => j.name.startsWith("integrity-verify-1-5-0"));
    assert.match(
      String(verify?.output),
      /app-tables-kept FAILED: expected at least the pre-migration value, found 1 \(baseline 2\)/,
    );
    assert.ok(!names.some((n) => n.startsWith("smoke-")), "no smoke test, no traffic: green never served");
    assertSettled(s, {
      live: "blue",
      images: { blue: OLD_IMAGE, green: s.report.final.images.green ?? "" },
      phase: "RolledBack",
      lastLedger: { outcome: "rolled-back" },
    });
    assert.equal(s.ledger.at(-1)?.reason?.code, "UpFailed");
  });

  it("a benign migration passes the checks and the release goes through", async () => {
    const s = await rehearseStory({ migrationSql: "ALTER TABLE repos ADD COLUMN description text" });
    assert.deepEqual(commandResults(s), ["start:released"]);
    const verify = s.report.jobs.find((j) => j.name.startsWith("integrity-verify-1-5-0"));
    assert.equal(verify?.ok, true);
    assert.match(String(verify?.output), /invalid-indexes passed: expected no rows, found 0 row\(s\)/);
    assert.equal(s.report.final.images.green, NEW_IMAGE);
  });
});
