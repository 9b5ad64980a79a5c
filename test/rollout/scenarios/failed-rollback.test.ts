/**
 * Story: the new color alarms at 50 %, and the rollback's own traffic update fails (the ELBv2 API returns an
 * internal error). The rollback is left failed (exit 4): a human must act. While it is failed, a new `start`
 * is refused (exit 2) — the stack is not where it should be. `rollout abort` retries the rollback from the
 * durable status, and it succeeds.
 */
import * as assert from "node:assert/strict";
import { assertSettled, NEW_IMAGE, OLD_IMAGE, rehearseStory } from "../../support/twin";

describe("scenario: a failed rollback", () => {
  it("exits 4, blocks start until abort retries it successfully", async () => {
    const s = await rehearseStory({
      colors: [{ color: "new", from: "traffic-50+1m", errorRate: 0.05 }],
      providerErrors: [{ step: "rollback-traffic", message: "InternalFailure: ModifyListener failed" }],
      later: [
        { command: "start", after: "PT5M" },
        { command: "abort", after: "PT1M", reason: "retry the failed rollback" },
      ],
    });
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}`),
      ["start:rollback-failed", "start:refused", "abort:rolled-back"],
    );
    assert.equal(s.report.commands[0].exitCode, 4);
    assert.equal(s.report.commands[1].exitCode, 2);
    assert.match(s.report.commands[1].message ?? "", /the last rollback on prod failed/);
    assertSettled(s, {
      live: "blue",
      images: { blue: OLD_IMAGE, green: NEW_IMAGE },
      phase: "RolledBack",
      lastLedger: { outcome: "rolled-back" },
    });
    assert.deepEqual(
      s.ledger.map((e) => e.outcome),
      ["rollback-failed", "rolled-back"],
    );
    // The rollback owner is paged through the alert topic when the rollback fails, and told when it is done.
    const told = s.report.notifications.filter((n) => !n.kind.startsWith("stage"));
    assert.deepEqual(
      told.map((n) => n.kind),
      ["release-started", "rollback-started", "rollback-failed", "rolled-back"],
    );
    assert.match(told.find((n) => n.kind === "rollback-failed")?.subject ?? "", /^\[prod\] 1\.5\.0: ROLLBACK FAILED/);
  });
});
