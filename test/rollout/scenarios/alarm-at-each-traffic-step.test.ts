/**
 * Story: 1.5.0 goes out on prod and the new color starts failing 5 % of its requests a minute into one of the
 * traffic steps. The new color's rollback alarm (5xx rate > 1 % for 5 min) fires during the bake; the driver
 * moves all traffic back to blue (only the production listener changes), then restores the worker. The
 * rollback never re-creates a snapshot, never re-runs a migration and never re-runs a smoke test.
 */
import * as assert from "node:assert/strict";
import {
  assertSettled,
  commandResults,
  IDLE_IMAGE,
  NEW_IMAGE,
  OLD_IMAGE,
  rehearseStory,
  rollbackChanges,
} from "../../support/twin";

describe("scenario: the new color's rollback alarm fires at a traffic step", () => {
  for (const step of ["traffic-10", "traffic-50", "traffic-100"]) {
    it(`${step}: rolled back to blue (exit 1), only the listener and the worker change`, async () => {
      const s = await rehearseStory({ colors: [{ color: "new", from: `${step}+1m`, errorRate: 0.05 }] });
      assert.deepEqual(commandResults(s), ["start:rolled-back"]);
      assert.equal(s.report.exitCode, 1);
      assertSettled(s, {
        live: "blue",
        images: { blue: OLD_IMAGE, green: NEW_IMAGE },
        phase: "RolledBack",
        lastLedger: { kind: "release", outcome: "rolled-back", release: "1.5.0" },
      });
      assert.equal(s.ledger.at(-1)?.reason?.code, "AlarmFired");
      assert.match(s.ledger.at(-1)?.reason?.detail ?? "", /artifortress-prod-green-rollback is in ALARM/);
      const stage = s.report.stages.find((x) => x.id === step);
      assert.equal(stage?.completed, false, `${step} did not complete`);
      assert.deepEqual(rollbackChanges(s), [
        "update aws:lb/listener:Listener traffic-https",
        "update kubernetes:apps/v1:Deployment worker-deployment",
      ]);
      for (const rb of s.report.rollback.phases) assert.equal(rb.gate, "go", rb.phase);
      const smokes = s.report.jobs.filter((j) => j.name.startsWith("smoke-"));
      assert.deepEqual(
        smokes.map((j) => j.name),
        ["smoke-1-4-0-1a2b3c4-blue", "smoke-1-5-0-9f8e7d6-green"],
        "one smoke test per release, each against its own color",
      );
      assert.notEqual(s.report.final.images.green, IDLE_IMAGE);
      assert.ok(
        (s.ledger.at(-1)?.trafficRestoredAfterSeconds ?? 999) < 120,
        `traffic restored after ${s.ledger.at(-1)?.trafficRestoredAfterSeconds}s`,
      );
    });
  }
});
