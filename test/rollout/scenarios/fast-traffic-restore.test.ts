/**
 * Story: the new color alarms during the 50 % bake. Traffic goes back with one ELBv2 ModifyListener call
 * (verified with DescribeListeners) at the poll that sees the alarm — before any program evaluation or
 * `pulumi up` — and the rollback's targeted `up` then writes the same weights into the stack, so state and
 * listener agree. If the direct call fails, the `up` restores traffic as before.
 */
import * as assert from "node:assert/strict";
import { LISTENER } from "../../../rollout/twin/world";
import {
  assertSettled,
  commandResults,
  NEW_IMAGE,
  OLD_IMAGE,
  rehearseStory,
  rollbackChanges,
} from "../../support/twin";

const back = { live: "blue" as const, images: { blue: OLD_IMAGE, green: NEW_IMAGE }, phase: "RolledBack" };
const alarmAt50 = { colors: [{ color: "new" as const, from: "traffic-50+1m", errorRate: 0.05 }] };

describe("scenario: fast traffic restore", () => {
  it("an alarm at 50 %: one ModifyListener within one poll of the alarm; the up that follows changes only the listener", async () => {
    const s = await rehearseStory(alarmAt50);
    assert.deepEqual(commandResults(s), ["start:rolled-back"]);
    assertSettled(s, { ...back, lastLedger: { outcome: "rolled-back" } });
    const rb = s.report.rollback;
    assert.equal(rb.restoredBy, "listener");
    // From the alarm entering ALARM to traffic back: the poll's check-in and the poll, the persisted rollback
    // (store), one listener call and its verification — no program evaluation, no pulumi up, no notification.
    assert.deepEqual(rb.criticalPathCalls, [
      "store:heartbeat",
      "cloudwatch:DescribeAlarms",
      "store:read",
      "store:save",
      "store:heartbeat",
      "elasticloadbalancing:ModifyListener",
      "elasticloadbalancing:DescribeListeners",
    ]);
    // The alarm is evaluated at a minute boundary; the driver polls every 15 s (app:rollout.pollSeconds).
    assert.ok((rb.trafficRestoredAfterSeconds ?? 999) <= 16, `restored after ${rb.trafficRestoredAfterSeconds}s`);
    assert.deepEqual(rollbackChanges(s), [
      "update aws:lb/listener:Listener traffic-https",
      "update kubernetes:apps/v1:Deployment worker-deployment",
    ]);
    // Before the reconcile up the weights were already back: the first listener change after the alarm was
    // the direct call, not an update.
    const w = s.run.world;
    const firstUp = w.updateStarts.find((u) => /rollback/.test(u.message));
    const direct = w.elbCalls.find((c) => c.api === "ModifyListener");
    assert.ok(direct && firstUp && direct.at < firstUp.at, "ModifyListener ran before the first rollback up");
    assert.deepEqual(w.weightsAt(direct.at), { blue: 100, green: 0 });
    // State and the real listener agree at the end.
    const state = w.state().find((r) => r.type === LISTENER && r.name === "traffic-https");
    const physical = state?.physicalId ? w.cloud.physicals.get(state.physicalId) : undefined;
    assert.deepEqual(physical?.props.defaultActions, state?.inputs.defaultActions);
  });

  it("ModifyListener fails: the traffic phase's up restores traffic (fallback), the rollback still succeeds", async () => {
    const s = await rehearseStory({ ...alarmAt50, listenerFailures: 1 });
    assert.deepEqual(commandResults(s), ["start:rolled-back"]);
    assertSettled(s, { ...back, lastLedger: { outcome: "rolled-back" } });
    assert.equal(s.report.rollback.restoredBy, "up");
    assert.match(s.report.rollback.fastRestoreError ?? "", /ThrottlingException|Rate exceeded/);
    assert.ok(
      s.report.rollback.criticalPathCalls?.some((c) => c.startsWith("pulumi up (rollback")),
      "the up was on the critical path",
    );
  });
});
