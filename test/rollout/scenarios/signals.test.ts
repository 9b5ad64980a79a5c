/**
 * Story: go/no-go from every gating signal (issue "Signals that see"): the old color, the load balancer,
 * the database and the worker gate too, a quiet canary gets a longer bake before it may advance, and a
 * stack that says so pauses for a person instead of rolling back.
 */
import * as assert from "node:assert/strict";
import { assertSettled, commandResults, IDLE_IMAGE, NEW_IMAGE, OLD_IMAGE, rehearseStory } from "../../support/twin";

const back = { live: "blue" as const, images: { blue: OLD_IMAGE, green: NEW_IMAGE }, phase: "RolledBack" };
const released = { live: "green" as const, images: { blue: OLD_IMAGE, green: NEW_IMAGE }, phase: "Released" };
const untouched = { live: "blue" as const, images: { blue: OLD_IMAGE, green: IDLE_IMAGE }, phase: "Idle" };

describe("scenario: every gating signal", () => {
  it("the old color alarming during the 10 % bake rolls back (the release broke what both colors share)", async () => {
    const s = await rehearseStory({ colors: [{ color: "old", from: "traffic-10", errorRate: 0.08 }] });
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}`),
      ["start:rolled-back"],
    );
    assertSettled(s, { ...back, lastLedger: { outcome: "rolled-back" } });
    assert.equal(s.ledger.at(-1)?.reason?.code, "AlarmFired");
    assert.match(
      s.ledger.at(-1)?.reason?.detail ?? "",
      /artifortress-prod-blue-rollback is in ALARM during bake at 10%/,
    );
  });

  it("a worker that publishes no metrics: preflight refuses (exit 2) — INSUFFICIENT_DATA is not OK", async () => {
    const s = await rehearseStory({ worker: [{ publishes: false }] });
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}:${c.exitCode}`),
      ["start:refused:2"],
    );
    assert.match(s.report.commands[0].message ?? "", /artifortress-prod-worker-backlog INSUFFICIENT_DATA/);
    assertSettled(s, untouched);
    assert.deepEqual(s.ledger, []);
  });

  it("the old color alarming during the deploy: rolled back before the 10 % update moves any traffic", async () => {
    const s = await rehearseStory({ colors: [{ color: "old", from: "pause-worker", errorRate: 0.08 }] });
    assert.deepEqual(commandResults(s), ["start:rolled-back"]);
    assert.match(
      s.ledger.at(-1)?.reason?.detail ?? "",
      /artifortress-prod-blue-rollback is in ALARM before the traffic-10 update/,
    );
    assert.equal(
      s.run.world.updateStarts.some((u) => /traffic-10/.test(u.message)),
      false,
      "no traffic-10 update ran",
    );
    assertSettled(s, { ...back, lastLedger: { outcome: "rolled-back", stagesReached: ["pause-worker", "deploy"] } });
  });

  it("a role without cloudwatch:GetMetricData: preflight refuses (exit 2) instead of every bake rolling back", async () => {
    const s = await rehearseStory({ deniedApis: ["cloudwatch:GetMetricData"] });
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}:${c.exitCode}`),
      ["start:refused:2"],
    );
    assert.match(
      s.report.commands[0].message ?? "",
      /GetMetricData .* was denied \(AccessDenied: .*not authorized to perform: cloudwatch:GetMetricData\)/,
    );
    assertSettled(s, untouched);
  });

  it("the evidence alarm of the new color missing: preflight refuses (its requests cannot be counted)", async () => {
    const s = await rehearseStory({ missingAlarms: ["artifortress-prod-green-error-rate"] });
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}`),
      ["start:refused"],
    );
    assert.match(
      s.report.commands[0].message ?? "",
      /alarm artifortress-prod-green-error-rate does not exist: the requests of the released color cannot be counted/,
    );
    assertSettled(s, untouched);
  });

  it("a missing platform alarm (elb-5xx) refuses the start like a missing color alarm", async () => {
    const s = await rehearseStory({ missingAlarms: ["artifortress-prod-elb-5xx"] });
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}`),
      ["start:refused"],
    );
    assert.match(s.report.commands[0].message ?? "", /artifortress-prod-elb-5xx do not exist in CloudWatch/);
    assertSettled(s, untouched);
  });

  it("failed jobs spiking during the post-deploy watch roll back (the worker gates the watch)", async () => {
    const s = await rehearseStory({ worker: [{ from: "resume-worker+5m", failedJobs: 40 }] });
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}`),
      ["start:rolled-back"],
    );
    assert.match(
      s.ledger.at(-1)?.reason?.detail ?? "",
      /artifortress-prod-worker-failed-jobs is in ALARM during post-deploy watch/,
    );
    assertSettled(s, { ...back, lastLedger: { outcome: "rolled-back" } });
  });

  it("a quiet service: the bake is extended until the canary served app:rollout.minRequests, then it advances", async () => {
    // 50 requests/min: 5/min reach green at 10 %, ~70 published after 15 min, 100 a few minutes later.
    const s = await rehearseStory({ trafficPerMinute: 50 });
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}`),
      ["start:released"],
    );
    assert.ok(
      s.run.logs.some((l) => /bake at 10%: extended .*requests on green \(app:rollout.minRequests: 100\)/.test(l)),
      "the 10 % bake was extended for evidence",
    );
    assertSettled(s, { ...released, lastLedger: { outcome: "released" } });
  });

  it("onNoData pause: the release waits for a person (exit 7), traffic stays; resume bakes the stage again and releases", async () => {
    const s = await rehearseStory({
      config: { "app:rollout": { onNoData: "pause" } },
      noData: [{ color: "new", until: "PT50M" }],
      later: [{ command: "status" }, { command: "resume" }],
    });
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}:${c.exitCode}`),
      ["start:paused:7", "status:done:0", "resume:released:0"],
    );
    assert.ok(s.run.logs.some((l) => /⏸ paused at traffic-10: no evidence after 30 min/.test(l)));
    assertSettled(s, { ...released, lastLedger: { outcome: "released" } });
  });
});

describe("scenario: a bake resumed after the driver died", () => {
  it("is polled live for a full evaluation window before it passes, even when its planned end is long past", async () => {
    const s = await rehearseStory({ crash: { at: "traffic-10", when: "after", noticeAfter: "PT40M" } });
    const resume = s.report.commands.find((c) => c.command === "resume");
    assert.equal(resume?.result, "released");
    const stage = s.run.releaseStatus?.progress["traffic-10"];
    assert.ok(stage?.completedAt && resume?.startedAt);
    const liveMinutes = (Date.parse(stage.completedAt) - Date.parse(resume.startedAt)) / 60_000;
    // The color alarms judge 5 one-minute periods (app:alarms.errorRateMinutes); the bake planned 15 min.
    assert.ok(liveMinutes >= 5, `traffic-10 passed after ${liveMinutes} min of live polling`);
    assertSettled(s, { ...released, lastLedger: { outcome: "released" } });
  });
});
