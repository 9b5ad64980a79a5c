/**
 * Story (docs/restore.md): an incident in prod; the on-call adds a point-in-time restore beside the live
 * instance with a reviewed config change and `rollout apply`, checks the data, then removes the block and
 * applies again.
 */
import * as assert from "node:assert/strict";
import { rehearseStory } from "../../support/twin";

const RESTORE = { "app:database": { restore: { name: "incident-42" } } };

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

  it("apply without the block afterwards forgets the restored instance (retained in AWS), exit 0", async function () {
    // Pending — issue "Deployable for real" (#16, item 4): in prod the restored instance is protected, so the
    // removal is refused ("marked for protection") until a person runs `pulumi state unprotect`, which the
    // twin cannot play yet (no such command). Expected, once it can:
    this.skip();
    const s = await rehearseStory({
      later: [
        { command: "apply", after: "PT1H", config: RESTORE },
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
    assert.equal(restored?.retained, true, "still in AWS, no longer in the stack");
  });
});
