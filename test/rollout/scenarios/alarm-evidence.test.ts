/**
 * Story: what the driver sees when CloudWatch cannot vouch for the new color.
 * - The new color's rollback alarm was deleted by hand: DescribeAlarms simply omits it. A missing alarm is no
 *   evidence of health: preflight refuses the release (a poll that finds it missing mid-release rolls back).
 * - DescribeAlarms throttles a couple of polls: retried, the release goes on; throttled for the whole bake: the
 *   release cannot be watched and rolls back.
 * - The new color gets no traffic datapoints at all (a quiet service; metrics are not reported without
 *   requests), so its alarms — notBreaching on missing data — stay OK: the driver must not take "no data" as
 *   healthy (issue "Signals that see").
 */
import * as assert from "node:assert/strict";
import { assertSettled, IDLE_IMAGE, NEW_IMAGE, OLD_IMAGE, rehearseStory } from "../../support/twin";

const back = { live: "blue" as const, images: { blue: OLD_IMAGE, green: NEW_IMAGE }, phase: "RolledBack" };

describe("scenario: alarms without evidence", () => {
  it("a missing rollback alarm is never taken as OK: preflight refuses the start (exit 2), nothing changes", async () => {
    const s = await rehearseStory({ missingAlarms: ["artifortress-prod-green-rollback"] });
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}`),
      ["start:refused"],
    );
    assert.match(s.report.commands[0].message ?? "", /artifortress-prod-green-rollback do not exist in CloudWatch/);
    assertSettled(s, { live: "blue", images: { blue: OLD_IMAGE, green: IDLE_IMAGE }, phase: "Idle" });
    assert.deepEqual(s.ledger, []);
  });

  it("two throttled polls are retried and the release goes on", async () => {
    const s = await rehearseStory({ throttle: { calls: [3, 4] } });
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}`),
      ["start:released"],
    );
    const errors = s.report.stages.flatMap((st) => st.alarms).filter((a) => a.error);
    assert.equal(errors.length, 2);
    assertSettled(s, { live: "green", images: { blue: OLD_IMAGE, green: NEW_IMAGE }, phase: "Released" });
  });

  it("throttled through a whole bake: the release cannot be watched and rolls back", async () => {
    const s = await rehearseStory({ throttle: { calls: [], from: "traffic-10", until: "end" } });
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}`),
      ["start:rolled-back"],
    );
    assertSettled(s, { ...back, lastLedger: { outcome: "rolled-back" } });
    assert.match(s.ledger.at(-1)?.reason?.detail ?? "", /alarm API failed 3 polls in a row/);
  });

  it("no datapoints on the new color is not evidence of health", async function () {
    // Pending until issue #15 ("Signals that see") lands: today the driver fails a stage only on ALARM, and the
    // new color's alarms treat missing data as notBreaching, so a release without a single request on green
    // completes. The expected behaviour is below.
    this.skip();
    const s = await rehearseStory({ noData: [{ color: "new" }] });
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}`),
      ["start:rolled-back"],
    );
    assertSettled(s, { ...back, lastLedger: { outcome: "rolled-back" } });
  });
});
