/**
 * Story: people hear about every transition of a release through the stack's alert topic (runbook 004
 * "Communication"): start, each stage, completion; a rollback's start (after traffic is already back) and
 * end. A notification that cannot be sent is a warning — the release does not wait for or fail on it.
 */
import * as assert from "node:assert/strict";
import { assertSettled, commandResults, NEW_IMAGE, OLD_IMAGE, rehearseStory } from "../../support/twin";

const released = { live: "green" as const, images: { blue: OLD_IMAGE, green: NEW_IMAGE }, phase: "Released" };

describe("scenario: release notifications", () => {
  it("a release: started, every stage with its weights, released", async () => {
    const s = await rehearseStory({});
    assert.deepEqual(commandResults(s), ["start:released"]);
    const n = s.report.notifications;
    assert.deepEqual(
      n.map((x) => (x.kind === "stage-completed" ? `stage:${x.stage}` : x.kind)),
      ["release-started", ...s.report.stages.map((st) => `stage:${st.id}`), "released"],
    );
    const sub = (stage: string) => n.find((x) => x.stage === stage)?.subject;
    assert.equal(sub("traffic-10"), "[prod] 1.5.0: stage traffic-10 done (blue 90% / green 10%)");
    assert.equal(sub("traffic-50"), "[prod] 1.5.0: stage traffic-50 done (blue 50% / green 50%)");
    assert.equal(n.at(-1)?.subject, "[prod] 1.5.0: released (blue 0% / green 100%)");
    assert.ok(n.every((x) => !x.error && x.subject.length < 100 && /^[\x20-\x7e]+$/.test(x.subject)));
    // Routine events never page: the releases topic (email only), not the alert topic's paging endpoint.
    assert.deepEqual([...new Set(n.map((x) => `${x.topic}:${x.severity}`))], ["artifortress-prod-releases:info"]);
    assertSettled(s, { ...released, lastLedger: { outcome: "released" } });
  });

  it("a rollback: announced after traffic is back (never on the critical path), then its end with the reason", async () => {
    const s = await rehearseStory({ colors: [{ color: "new", from: "traffic-50+1m", errorRate: 0.05 }] });
    assert.deepEqual(commandResults(s), ["start:rolled-back"]);
    const n = s.report.notifications.filter((x) => x.kind.startsWith("roll"));
    assert.deepEqual(
      n.map((x) => x.kind),
      ["rollback-started", "rolled-back"],
    );
    assert.equal(n[0].subject, "[prod] 1.5.0: rolling back (blue 100% / green 0%)");
    assert.deepEqual(
      n.map((x) => `${x.topic}:${x.severity}`),
      ["artifortress-prod-alerts:warning", "artifortress-prod-alerts:warning"],
    );
    const direct = s.run.world.elbCalls.find((c) => c.api === "DescribeListeners");
    assert.ok(direct && Date.parse(n[0].at) >= direct.at, "told after the listener call");
    const body = s.run.world.notifications.find((x) => x.kind === "rolled-back")?.body ?? "";
    assert.match(body, /why: AlarmFired: traffic-50: alarm artifortress-prod-green-rollback is in ALARM/);
  });

  it("the alert topic failing: warnings in the log, the release goes on and is released (exit 0)", async () => {
    const s = await rehearseStory({ notifyFailures: 2 });
    assert.deepEqual(commandResults(s), ["start:released"]);
    assert.equal(s.report.exitCode, 0);
    assert.deepEqual(
      s.report.notifications.filter((x) => x.error).map((x) => x.kind),
      ["release-started", "stage-completed"],
    );
    assert.equal(
      s.run.logs.filter((l) => /warning: notification ".*" not sent: Request could not be completed/.test(l)).length,
      2,
    );
    assertSettled(s, { ...released, lastLedger: { outcome: "released" } });
  });
});
