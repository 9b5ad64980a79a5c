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
    // Argo Rollouts' rule: consecutiveErrors (5) > consecutiveErrorLimit (4) fails the analysis.
    assert.match(
      s.ledger.at(-1)?.reason?.detail ?? "",
      /alarm API failed 5 polls in a row during bake at 10% \(app:rollout.consecutiveErrorLimit: 4\)/,
    );
    assert.equal(s.ledger.at(-1)?.reason?.code, "SignalsUnavailable");
  });

  it("no datapoints on the new color is not evidence of health: the release never reaches released", async () => {
    const s = await rehearseStory({ noData: [{ color: "new" }] });
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}`),
      ["start:rolled-back"],
    );
    assertSettled(s, { ...back, lastLedger: { outcome: "rolled-back", stagesReached: ["pause-worker", "deploy"] } });
    const reason = s.ledger.at(-1)?.reason;
    assert.equal(reason?.code, "NoEvidence");
    // 15 min bake + 15 min extension (app:rollout.noDataExtensionMinutes), and the count it saw.
    assert.match(
      reason?.detail ?? "",
      /no evidence after 30 min of bake at 10%: 0 requests on green \(app:rollout.minRequests: 100\)/,
    );
  });
});
