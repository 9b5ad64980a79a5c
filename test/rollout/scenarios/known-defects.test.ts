/**
 * Stories the driver does not survive yet. Each is written as it must end and stays pending, with the
 * defect named, until the issue that owns it lands (never weakened or deleted).
 */
import * as assert from "node:assert/strict";
import { assertSettled, NEW_IMAGE, OLD_IMAGE, rehearseStory, stagingImage } from "../../support/twin";

const REPO = NEW_IMAGE.slice(0, NEW_IMAGE.lastIndexOf(":"));

describe("scenario: defects found by the twin (fixed; kept as regressions)", () => {
  it("after a failed migration, the next release (a fixed build) goes through", async () => {
    // Was a defect (#16, item 5): the failed release's version stays in the deployed release keys, so every
    // later up re-awaited the failed Job (the engine retries resources with init errors: Pulumi CLI
    // step_generator.go:2053-2069) and failed — the next release failed at its first stage. Now the
    // rollback removes the Job (app:release.migrationFailed) and the Job carries pulumi.com/replaceUnready.
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
    // The failed release's Job was removed by its rollback (a targeted delete), never re-run.
    const runs = s.report.jobs.filter((j) => j.name === "migrate-1-5-0-9f8e7d6");
    assert.equal(runs.length, 1, "the failing migration ran once");
    assert.deepEqual(s.ledger[0].to.migrationFailed, true);
    assert.equal(s.ledger.at(-1)?.to.migrationFailed, undefined, "the next release migrates again");
  });

  it("releasing the previous build again takes a new snapshot (the retained one keeps its name)", async () => {
    // Was a defect: the pre-release snapshot was named by release id (version + commit) alone, which repeats
    // when the same version and build are released again, while the earlier snapshot stays retained in AWS
    // under that name (DBSnapshotAlreadyExists). The identifier now carries the attempt (app:release.attempt).
    const old = stagingImage("5d6e7f8");
    const s = await rehearseStory(
      { later: [{ command: "start", after: "PT5M", image: old, version: "1.4.0" }] },
      { stack: "staging", image: stagingImage("9f8e7d6") },
    );
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}`),
      ["start:released", "start:released"],
    );
    const snapshots = s.run.world.cloud.retained().filter((p) => p.type === "aws:rds/snapshot:Snapshot");
    assert.ok(
      snapshots.some((p) => /^artifortress-staging-pre-1-4-0-5d6e7f8$/.test(p.name ?? "")),
      "the seed's snapshot is kept",
    );
    const live = [...s.run.world.cloud.physicals.values()].find(
      (p) => p.type === "aws:rds/snapshot:Snapshot" && !p.retained,
    );
    assert.match(
      live?.name ?? "",
      /^artifortress-staging-pre-1-4-0-5d6e7f8-[a-z0-9]+$/,
      "the new attempt's own snapshot",
    );
  });
});
