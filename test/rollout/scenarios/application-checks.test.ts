/**
 * Story: the application's own signals gate the release (runbook 001 §4.7–4.8, §5, §6.4): the admin ops
 * summary is read at preflight (the privileged endpoint must answer) and compared after each stage; the
 * smoke flow (auth, repo read, draft/publish) runs inside the cluster before any traffic moves; after a
 * rollback, readiness and the summary are recorded in the ledger. The admin token comes from Secrets
 * Manager at run time and appears in no record, log, argv or manifest.
 */
import * as assert from "node:assert/strict";
import { assertSettled, commandResults, IDLE_IMAGE, NEW_IMAGE, OLD_IMAGE, rehearseStory } from "../../support/twin";

const back = { live: "blue" as const, images: { blue: OLD_IMAGE, green: NEW_IMAGE }, phase: "RolledBack" };

describe("scenario: the application's own checks", () => {
  it("failed search jobs climbing during the 10 % bake: rolled back, the counter named in the ledger", async () => {
    const s = await rehearseStory({ ops: [{ counter: "searchJobs.failed", perMinute: 2, from: "traffic-10" }] });
    assert.deepEqual(commandResults(s), ["start:rolled-back"]);
    const last = s.ledger.at(-1);
    assert.equal(last?.reason?.code, "OpsRegression");
    assert.match(
      last?.reason?.detail ?? "",
      /ops summary after traffic-10: searchJobs\.failed rose from 3 to \d+ \(\+\d+, allowed \+5\)/,
    );
    // After the rollback: readiness and the ops summary of what serves traffic now, in the ledger.
    assert.equal(last?.checksAfter?.ready, "ok");
    assert.equal(
      typeof (last?.checksAfter?.opsSummary as { searchJobs?: { failed?: number } })?.searchJobs?.failed,
      "number",
    );
    assertSettled(s, { ...back, lastLedger: { outcome: "rolled-back" } });
  });

  it("the smoke flow's publish step failing on the new color: the deploy fails before any traffic moved", async () => {
    const s = await rehearseStory({ colors: [{ color: "new", flowFails: "publish" }] });
    assert.deepEqual(commandResults(s), ["start:rolled-back"]);
    const smoke = s.report.jobs.find((j) => j.name === "smoke-1-5-0-9f8e7d6-green");
    assert.equal(smoke?.ok, false);
    assert.match(
      smoke?.output ?? "",
      /smoke flow failed at step publish \(POST \/v1\/drafts\/d-\d+\/publish\): HTTP 500, expected 200/,
    );
    assert.equal(s.ledger.at(-1)?.reason?.code, "UpFailed");
    assert.deepEqual(s.ledger.at(-1)?.stagesReached, ["pause-worker"]);
    // 002 §5: the smoke output (success or failure) goes into the ledger with the deploy events.
    assert.equal(s.ledger.at(-1)?.smoke?.job, "smoke-1-5-0-9f8e7d6-green");
    assert.equal(s.ledger.at(-1)?.smoke?.ok, false);
    assert.match(s.ledger.at(-1)?.smoke?.detail ?? "", /smoke flow failed at step publish/);
    assert.ok(
      s.report.stages.filter((st) => st.kind === "traffic").every((st) => !st.update),
      "no traffic update ran",
    );
    assertSettled(s, { ...back, lastLedger: { outcome: "rolled-back" } });
  });

  it("no access to the admin token (Secrets Manager denied): preflight refuses (exit 2), nothing changes", async () => {
    const s = await rehearseStory({ deniedApis: ["secretsmanager:GetSecretValue"] });
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}:${c.exitCode}`),
      ["start:refused:2"],
    );
    assert.match(
      s.report.commands[0].message ?? "",
      /the admin ops summary cannot be read \(runbook 001 §4\.7: validate the privileged endpoint before releasing\): Secrets Manager GetSecretValue was denied/,
    );
    assertSettled(s, { live: "blue", images: { blue: OLD_IMAGE, green: IDLE_IMAGE }, phase: "Idle" });
  });

  it("a critical counter the ops summary does not report: refused at preflight (exit 2), not after traffic moved", async () => {
    const s = await rehearseStory({
      config: { "app:checks": { opsSummary: { critical: [{ counter: "searchJobs.lost", maxIncrease: 0 }] } } },
    });
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}:${c.exitCode}`),
      ["start:refused:2"],
    );
    assert.match(
      s.report.commands[0].message ?? "",
      /app:checks\.opsSummary\.critical names searchJobs\.lost, which the ops summary/,
    );
  });

  it("a counter that went down (a reset after pods restarted) is a new baseline, not a pass forever nor a rollback", async () => {
    const s = await rehearseStory({
      ops: [{ counter: "searchJobs.failed", perMinute: -1, from: "traffic-10", until: "traffic-10+3m" }],
    });
    assert.deepEqual(commandResults(s), ["start:released"]);
    assert.ok(
      s.run.logs.some((l) => /searchJobs\.failed went down after traffic-10 \(a reset\): new baseline/.test(l)),
    );
  });

  it("a clean release checks the summary after every traffic stage, the flip and the watch, and leaks no token", async () => {
    const s = await rehearseStory({});
    assert.deepEqual(commandResults(s), ["start:released"]);
    const reads = s.run.world.apiLog.filter((c) => c.api === "https:GET ops summary").length;
    // preflight + traffic-10/50/100 + flip + watch
    assert.equal(reads, 6);
    assert.deepEqual(
      { job: s.ledger.at(-1)?.smoke?.job, ok: s.ledger.at(-1)?.smoke?.ok },
      { job: "smoke-1-5-0-9f8e7d6-green", ok: true },
    );
    assertSettled(s, { live: "green", images: { blue: OLD_IMAGE, green: NEW_IMAGE }, phase: "Released" });
  });
});

describe("scenario: post-deploy checks (rollout check, hourly for 24 h)", () => {
  it("healthy an hour after the release (exit 0); the new color not ready 3 h later: paged (exit 8); after 24 h nothing to check", async () => {
    const s = await rehearseStory({
      colors: [{ color: "new", from: "PT4H", until: "PT5H", notReady: true }],
      later: [
        { command: "check", after: "PT1H" },
        { command: "check", after: "PT2H" },
        { command: "check", after: "P1D" },
      ],
    });
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}:${c.exitCode}`),
      ["start:released:0", "check:done:0", "check:unhealthy:8", "check:done:0"],
    );
    const paged = s.report.notifications.filter((n) => n.kind === "post-deploy-check-failed");
    assert.equal(paged.length, 1);
    assert.match(paged[0].subject, /^\[prod\] 1\.5\.0: post-deploy check FAILED/);
    const body = s.run.world.notifications.find((n) => n.kind === "post-deploy-check-failed")?.body ?? "";
    assert.match(body, /why: readiness: \/health\/ready answered HTTP 503/);
    assert.ok(s.run.logs.some((l) => /No release on prod in the last 24 h: nothing to check/.test(l)));
    assertSettled(s, { live: "green", images: { blue: OLD_IMAGE, green: NEW_IMAGE }, phase: "Released" });
  });

  it("a check while a release is under way leaves it to the driver (no page, exit 0)", async () => {
    const s = await rehearseStory({ during: [{ command: "check", at: "traffic-50+2m" }] });
    const check = s.report.commands.find((c) => c.command === "check");
    assert.equal(check?.result, "done");
    assert.ok(s.run.logs.some((l) => /A rollout is under way on prod \(Progressing\): the driver watches it/.test(l)));
    assert.equal(s.report.notifications.filter((n) => n.kind === "post-deploy-check-failed").length, 0);
  });
});
