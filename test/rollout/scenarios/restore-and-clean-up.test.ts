/**
 * Story (docs/restore.md): an incident in prod; the on-call adds a point-in-time restore beside the live
 * instance with a reviewed config change and `rollout apply`, checks the data, then cleans up in two
 * deliberate steps: `retire: true` (Pulumi protect lifted, AWS deletion protection kept), then the block
 * removed (the stack forgets the instance; it stays in AWS until someone deletes it there on purpose).
 */
import * as assert from "node:assert/strict";
import { rehearseStory } from "../../support/twin";

const RESTORE = { "app:database": { restore: { name: "incident-42" } } };
/** Clean-up step 1 (docs/restore.md): the same block with `retire: true`. */
const RETIRE = { "app:database": { restore: { name: "incident-42", retire: true } } };

describe("scenario: restore beside the live instance, then clean up", () => {
  it("apply with the restore block: the restored instance beside the live one, in the backup selection (exit 0)", async () => {
    // Was a defect found by this scenario: the gate refused the restore block (data-backup-coverage: the
    // restored instance was in no AWS Backup selection), so the procedure of docs/restore.md never worked.
    const s = await rehearseStory({ later: [{ command: "apply", after: "PT1H", config: RESTORE }] });
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}:${c.exitCode}`),
      ["start:released:0", "apply:applied:0"],
    );
    const state = s.run.world.state();
    const restored = state.find(
      (r) => r.type === "aws:rds/instance:Instance" && r.inputs.identifier === "artifortress-prod-incident-42",
    );
    assert.ok(restored, "created by the apply");
    assert.equal(restored.options.protect, true);
    assert.equal(restored.options.retainOnDelete, true);
    const selection = state.find((r) => r.type === "aws:backup/selection:Selection");
    assert.ok(selection?.propertyDependencies.resources?.includes(restored.urn), "backed up like the live instance");
  });

  it("restore from the previous release's pre-release snapshot: the gate lets it through, the restored instance is checked (exit 0)", async () => {
    // Taken before 1.4.0's migration, retained in AWS when 1.5.0 replaced it in the program.
    const snapshot = "artifortress-prod-pre-1-4-0-1a2b3c4";
    const s = await rehearseStory({
      later: [
        {
          command: "apply",
          after: "PT1M",
          config: { "app:database": { restore: { name: "pre-1-4-0", snapshotIdentifier: snapshot } } },
        },
      ],
    });
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}:${c.exitCode}`),
      ["start:released:0", "apply:applied:0"],
    );
    const state = s.run.world.state();
    const restored = state.find((r) => r.inputs.identifier === "artifortress-prod-pre-1-4-0");
    assert.equal(restored?.inputs.snapshotIdentifier, snapshot);
    assert.equal(restored?.inputs.restoreToPointInTime, undefined);
    assert.ok(
      state.some(
        (r) =>
          r.type === "kubernetes:batch/v1:Job" &&
          String(r.inputs.metadata && (r.inputs.metadata as { name?: string }).name).startsWith("integrity-restore-"),
      ),
      "the integrity checks run against the restored instance",
    );
  });

  it("a snapshot that does not exist: the apply fails as RDS does (DBSnapshotNotFound), no restored instance (exit non-zero)", async () => {
    // The release's own snapshot carries its attempt suffix: the name without it is not in the account.
    const s = await rehearseStory({
      later: [
        {
          command: "apply",
          after: "PT1M",
          config: {
            "app:database": {
              restore: { name: "pre-1-5-0", snapshotIdentifier: "artifortress-prod-pre-1-5-0-9f8e7d6" },
            },
          },
        },
      ],
    });
    assert.notEqual(s.report.commands.at(-1)!.exitCode, 0);
    const update = s.run.world.backend.stack("prod").updates.at(-1)!;
    assert.match(
      JSON.stringify(update.steps.filter((x) => x.error)),
      /DBSnapshotNotFound: DBSnapshot not found: artifortress-prod-pre-1-5-0-9f8e7d6/,
    );
    assert.ok(!s.run.world.state().some((r) => r.inputs.identifier === "artifortress-prod-pre-1-5-0"));
  });

  it("clean-up as written: retire (protect lifted), then remove the block: the stack forgets the instance, AWS keeps it", async () => {
    const s = await rehearseStory({
      later: [
        // All inside the approved window (09:00–12:00; the release ends ~10:57): a prod apply outside it is
        // refused by release-window, the clean-up included.
        { command: "apply", after: "PT1M", config: RESTORE },
        { command: "apply", after: "PT1M", config: RETIRE },
        { command: "apply", after: "PT1M", config: { "app:database": { restore: null } } },
      ],
    });
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}:${c.exitCode}`),
      ["start:released:0", "apply:applied:0", "apply:applied:0", "apply:applied:0"],
    );
    const restored = [...s.run.world.cloud.physicals.values()].find(
      (p) => p.type === "aws:rds/instance:Instance" && p.props.identifier === "artifortress-prod-incident-42",
    );
    assert.equal(restored?.retained, true, "still in AWS, no longer in the stack");
    assert.equal(restored?.props.deletionProtection, true, "AWS still refuses to delete it");
    assert.ok(
      !s.run.world.state().some((r) => r.inputs.identifier === "artifortress-prod-incident-42"),
      "forgotten by the stack",
    );
    const live = s.run.world.state().find((r) => r.inputs.identifier === "artifortress-prod");
    assert.equal(live?.options.protect, true, "the live instance keeps protect");
  });

  it("skipping the retire step: removing the block is refused (protected), nothing is deleted (exit non-zero)", async () => {
    const s = await rehearseStory({
      later: [
        { command: "apply", after: "PT1M", config: RESTORE },
        { command: "apply", after: "PT1M", config: { "app:database": { restore: null } } },
      ],
    });
    const last = s.report.commands.at(-1)!;
    assert.notEqual(last.exitCode, 0);
    const update = s.run.world.backend.stack("prod").updates.at(-1)!;
    assert.deepEqual(
      update.steps.filter((x) => x.op === "refused").map((x) => `${x.name} ${x.error}`),
      ["db-restore-incident-42 protected"],
      "refused because the instance is protected, not for another reason",
    );
    assert.ok(
      s.run.world.state().some((r) => r.inputs.identifier === "artifortress-prod-incident-42"),
      "still in the stack",
    );
    const restored = [...s.run.world.cloud.physicals.values()].find(
      (p) => p.props.identifier === "artifortress-prod-incident-42",
    );
    assert.ok(restored && !restored.retained && restored.deletedAt === undefined, "still in AWS, untouched");
  });
});
