/**
 * Story (docs/restore.md): an incident in prod; the on-call adds a point-in-time restore beside the live
 * instance with a reviewed config change and `rollout apply`, checks the data, then removes the block and
 * applies again. The second apply must not fail on the restored instance (protected, deletion-protected
 * resources refuse a delete): the stack forgets it and it stays in AWS for a deliberate delete.
 */
import * as assert from "node:assert/strict";
import { rehearseStory } from "../../support/twin";

describe("scenario: restore beside the live instance, then clean up", () => {
  it("apply with the restore block creates it; apply without it forgets it (retained in AWS), both exit 0", async function () {
    // Pending — issue "Deployable for real" (#16, item 4). Found by this scenario: the first apply is refused
    // by the gate (data-backup-coverage: the restored instance is in no AWS Backup selection; the restore
    // procedure of docs/restore.md never worked), and removing the block deletes a protected,
    // deletion-protected instance (refused). Needed: the restored instance in the Backups selection, a
    // clean-up step the twin can play (`pulumi state unprotect`, then the removal forgets the retained
    // instance). Expected:
    this.skip();
    const s = await rehearseStory({
      later: [
        { command: "apply", after: "PT1H", config: { "app:database": { restore: { name: "incident-42" } } } },
        { command: "apply", after: "PT4H", config: { "app:database": { restore: null } } },
      ],
    });
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}:${c.exitCode}`),
      ["start:released:0", "apply:applied:0", "apply:applied:0"],
    );
    const restored = [...s.run.world.cloud.physicals.values()].find(
      (p) => p.type === "aws:rds/instance:Instance" && p.props.identifier === "artifortress-prod-incident-42",
    );
    assert.ok(restored, "the restored instance still exists in AWS");
    assert.equal(restored?.retained, true, "no longer in the stack");
    assert.ok(
      !s.run.world
        .state()
        .some((r) => r.type === "aws:rds/instance:Instance" && r.inputs.identifier === "artifortress-prod-incident-42"),
    );
  });
});
