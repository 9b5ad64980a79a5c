/**
 * Story: the prod stack runs 1.4.0 on blue. CI built 1.5.0 (sha-9f8e7d6) and runs `rollout start` in the
 * release window. The driver pauses the worker, deploys green at weight 0 (snapshot, migration, smoke test),
 * moves 10 → 50 → 100 % with bakes, flips live to green, resumes the worker and watches for an hour.
 */
import * as assert from "node:assert/strict";
import { assertSettled, commandResults, NEW_IMAGE, OLD_IMAGE, rehearseStory, type Story } from "../../support/twin";

describe("scenario: a happy prod release", () => {
  let s: Story;
  before(async () => {
    s = await rehearseStory({});
  });

  it("ends released on green with the old image kept on blue, exit 0", () => {
    assert.deepEqual(commandResults(s), ["start:released"]);
    assert.equal(s.report.exitCode, 0);
    assertSettled(s, {
      live: "green",
      images: { blue: OLD_IMAGE, green: NEW_IMAGE },
      phase: "Released",
      lastLedger: { kind: "release", outcome: "released", release: "1.5.0" },
    });
  });

  it("passes the gate at every stage, and each traffic stage changes exactly the production listener", () => {
    assert.ok(s.report.stages.length >= 6);
    for (const st of s.report.stages) if (st.kind !== "watch") assert.equal(st.gate, "go", st.id);
    for (const st of s.report.stages.filter((x) => x.kind === "traffic" || x.kind === "flip"))
      assert.deepEqual(
        st.changes.map((c) => `${c.op} ${c.type} ${c.name}`),
        ["update aws:lb/listener:Listener traffic-https"],
        st.id,
      );
  });

  it("takes the release's snapshot, runs the integrity baseline, its migration, the checks and the smoke test once, against green", () => {
    const deploy = s.report.stages.find((x) => x.id === "deploy");
    const created = deploy?.changes.filter((c) => c.op === "create").map((c) => `${c.type} ${c.name}`);
    assert.deepEqual(created, [
      "aws:rds/snapshot:Snapshot release-snapshot-1-5-0-9f8e7d6",
      "kubernetes:batch/v1:Job integrity-baseline-1-5-0-9f8e7d6-tp1vo01",
      "kubernetes:batch/v1:Job migration-1-5-0-9f8e7d6",
      "kubernetes:batch/v1:Job integrity-verify-1-5-0-9f8e7d6-tp1vo01",
      "kubernetes:batch/v1:Job smoke-test-1-5-0-9f8e7d6",
    ]);
    const jobs = s.report.jobs.filter((j) => j.name.includes("1-5-0"));
    assert.deepEqual(
      jobs.map((j) => [j.name, j.ok]),
      [
        ["integrity-baseline-1-5-0-9f8e7d6-tp1vo01", true],
        ["migrate-1-5-0-9f8e7d6", true],
        ["integrity-verify-1-5-0-9f8e7d6-tp1vo01", true],
        ["smoke-1-5-0-9f8e7d6-green", true],
      ],
    );
    const smoke = s.report.jobs.find((j) => j.name === "smoke-1-5-0-9f8e7d6-green");
    assert.equal(smoke?.color, "green");
    assert.match(smoke?.output ?? "", /1\.5\.0/);
  });

  it("keeps the previous release's snapshot in the account (retainOnDelete) when its resource leaves the state", () => {
    assert.ok(
      s.report.retained.includes("aws:rds/snapshot:Snapshot artifortress-prod-pre-1-4-0-1a2b3c4"),
      s.report.retained.join(", "),
    );
  });
});
