/**
 * Story (docs/restore.md "Cut over"): the restored instance holds the good data; the on-call cuts the
 * application over to it by config, then retires and forgets the original in two more reviewed changes.
 * Each step is a `rollout apply` in the twin: the real program, the real pack, Pulumi's protect and
 * retain-on-delete, RDS deletion protection.
 */
import * as assert from "node:assert/strict";
import { rehearseStory } from "../../support/twin";

const RESTORE = { name: "incident-42" };
const step = (restore: Record<string, unknown>) => ({
  command: "apply" as const,
  after: "PT1M",
  config: { "app:database": { restore: { ...RESTORE, ...restore } } },
});
const RESTORED = "artifortress-prod-incident-42";

describe("scenario: cut the application over to a restored instance, then retire the original", () => {
  it("restore → cutover → retire the original → forget it: every apply exits 0; the app's users Job ran against the restored instance; AWS keeps the original", async () => {
    const s = await rehearseStory({
      later: [
        step({}),
        step({ cutover: true }),
        step({ cutover: true, original: "retire" }),
        step({ cutover: true, original: "forget" }),
      ],
    });
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}:${c.exitCode}`),
      ["start:released:0", "apply:applied:0", "apply:applied:0", "apply:applied:0", "apply:applied:0"],
    );
    const state = s.run.world.state();
    const restored = state.find((r) => r.inputs.identifier === RESTORED)!;
    assert.equal(restored.options.protect, true, "the new primary is protected");
    const restoredAddress = (restored.outputs as { address: string }).address;
    const usersRuns = s.run.world.cloud.jobRuns.filter((j) => j.name.startsWith("db-users-"));
    const jobs = state.filter((r) => r.type === "kubernetes:batch/v1:Job");
    const usersJob = jobs.find((j) => (j.inputs.metadata as { name: string }).name.startsWith("db-users-"))!;
    assert.match(JSON.stringify(usersJob.inputs), new RegExp(restoredAddress.replace(/\./g, "\\.")));
    assert.ok(usersRuns.length >= 2, "the users Job ran again for the new primary");
    assert.ok(!state.some((r) => r.inputs.identifier === "artifortress-prod"), "the original is forgotten");
    const original = [...s.run.world.cloud.physicals.values()].find(
      (p) => p.type === "aws:rds/instance:Instance" && p.props.identifier === "artifortress-prod",
    );
    assert.equal(original?.retained, true, "still in AWS");
    assert.equal(original?.deletedAt, undefined);
    assert.equal(original?.props.deletionProtection, true, "AWS still refuses to delete it");
  });

  it("the way back: cutover then cutover: false exits 0; this release's snapshot is neither moved nor taken twice", async () => {
    // Was a defect found by the review: the cutover replaced the release's snapshot (a second one of the new
    // primary, the first retained), and going back failed on DBSnapshotAlreadyExists.
    const s = await rehearseStory({ later: [step({}), step({ cutover: true }), step({ cutover: false })] });
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}:${c.exitCode}`),
      ["start:released:0", "apply:applied:0", "apply:applied:0", "apply:applied:0"],
    );
    const snapshots = [...s.run.world.cloud.physicals.values()].filter(
      (p) => p.type === "aws:rds/snapshot:Snapshot" && String(p.props.dbSnapshotIdentifier).includes("1-5-0"),
    );
    assert.deepEqual(
      snapshots.map((p) => String(p.props.dbInstanceIdentifier)),
      ["artifortress-prod"],
      "one snapshot of the release, of the instance it was taken of",
    );
    const updates = s.run.world.backend.stack("prod").updates;
    const replication = updates
      .flatMap((u) => u.steps)
      .filter((x) => x.name === "db-backup-replication" && x.op !== "same")
      .map((x) => x.op);
    assert.deepEqual(
      replication,
      ["create", "replace", "replace"],
      "the DR replication follows the primary by replacement",
    );
  });

  it("forgetting the original without retiring it first is refused (protected), nothing is deleted", async () => {
    const s = await rehearseStory({
      later: [step({}), step({ cutover: true }), step({ cutover: true, original: "forget" })],
    });
    assert.notEqual(s.report.commands.at(-1)!.exitCode, 0);
    const update = s.run.world.backend.stack("prod").updates.at(-1)!;
    assert.deepEqual(
      update.steps.filter((x) => x.op === "refused").map((x) => `${x.name} ${x.error}`),
      ["db-instance protected"],
    );
    assert.ok(
      s.run.world.state().some((r) => r.inputs.identifier === "artifortress-prod"),
      "still in the stack",
    );
  });
});
