/**
 * Stories the driver does not survive yet. Each is written as it must end and stays pending, with the
 * defect named, until the issue that owns it lands (never weakened or deleted).
 */
import * as assert from "node:assert/strict";
import { assertSettled, NEW_IMAGE, OLD_IMAGE, rehearseStory, stagingImage } from "../../support/twin";

const REPO = NEW_IMAGE.slice(0, NEW_IMAGE.lastIndexOf(":"));

describe("scenario: known defects (pending)", () => {
  it("after a failed migration, the next release (a fixed build) goes through", async function () {
    // Pending — issue "Deployable for real" (#16, item 5): the migration Job has no pulumi.com/replaceUnready
    // and the failed release's version stays in the deployed release keys, so every later up re-awaits the
    // failed Job (pulumi-kubernetes await; Pulumi CLI step_generator.go:2053-2069) and fails: the next
    // release fails at its first stage. Expected:
    this.skip();
    const fixed = `${REPO}:sha-fe12345`;
    const s = await rehearseStory({
      migrationFails: 'relation "repos" does not exist',
      later: [{ command: "start", after: "PT10M", image: fixed, version: "1.5.1" }],
    });
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}`),
      ["start:rolled-back", "start:released"],
    );
    assertSettled(s, { live: "green", images: { blue: OLD_IMAGE, green: fixed }, phase: "Released" });
  });

  it("releasing the previous image again (what a stack rollback recommends when its color moved on) works", async function () {
    // Pending — the pre-release snapshot is named by release id (version + commit), which repeats when the same
    // version and image are released again; the earlier release's snapshot is retained in AWS under that
    // name, so the deploy fails with DBSnapshotAlreadyExists (RDS CreateDBSnapshot). Needs a per-attempt
    // part in the snapshot identifier (e.g. the run id as a release key). Today the retry also ends
    // rollback-failed: the deploy stopped before the migration Job existed, and the worker (its image built
    // from the release commit) depends on that Job, so the targeted restore up is refused by the engine
    // (step_generator.go:1659-1663). Expected:
    this.skip();
    const old = stagingImage("5d6e7f8");
    const s = await rehearseStory(
      { later: [{ command: "start", after: "PT5M", image: old, version: "1.4.0" }] },
      { stack: "staging", image: stagingImage("9f8e7d6") },
    );
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}`),
      ["start:released", "start:released"],
    );
  });
});
