/**
 * Story: a release is under way on prod when (1) the on-call sees a customer problem and runs `rollout
 * rollback` from their laptop — it has its own CI concurrency group, so it does not wait behind the release:
 * it asks the release to stop, the release notices at its next poll and hands over, and traffic goes back to
 * blue; (2) or someone runs `rollout abort`; (3) or the release's CI job is cancelled (GitHub sends SIGINT):
 * the running update is cancelled gracefully (the stack is not left locked) and a later `resume` finishes.
 */
import * as assert from "node:assert/strict";
import { assertSettled, NEW_IMAGE, OLD_IMAGE, rehearseStory } from "../../support/twin";

const back = { live: "blue" as const, images: { blue: OLD_IMAGE, green: NEW_IMAGE }, phase: "RolledBack" };

describe("scenario: a release interrupted by another command or a cancelled job", () => {
  it("an emergency rollback during the 50 % bake preempts the release and restores blue", async () => {
    const s = await rehearseStory({ during: [{ command: "rollback", at: "traffic-50+3m" }] });
    assert.deepEqual(s.report.commands.map((c) => `${c.command}:${c.result}`).sort(), [
      "rollback:rolled-back",
      "start:interrupted",
    ]);
    const byCommand = Object.fromEntries(s.report.commands.map((c) => [c.command, c]));
    assert.equal(byCommand.start.result, "interrupted");
    assert.equal(byCommand.start.exitCode, 5);
    assert.equal(byCommand.rollback.result, "rolled-back");
    assertSettled(s, { ...back, lastLedger: { kind: "release", outcome: "rolled-back" } });
    assert.equal(s.ledger.at(-1)?.reason?.code, "StackRollback");
    const stopped = Date.parse(byCommand.start.endedAt ?? "");
    const asked = Date.parse(byCommand.rollback.startedAt);
    assert.ok(stopped - asked <= 60_000, `the release stopped ${(stopped - asked) / 1000}s after it was asked`);
  });

  it("an abort during the 10 % bake ends aborted (exit 1) with traffic on blue", async () => {
    const s = await rehearseStory({ during: [{ command: "abort", at: "traffic-10+2m", reason: "customer report" }] });
    const byCommand = Object.fromEntries(s.report.commands.map((c) => [c.command, c]));
    assert.equal(byCommand.start.result, "interrupted");
    assert.equal(byCommand.abort.result, "aborted");
    assert.equal(byCommand.abort.exitCode, 1);
    assertSettled(s, { ...back, phase: "Aborted", lastLedger: { kind: "abort", outcome: "aborted" } });
  });

  it("a cancelled CI job (SIGINT) inside the deploy up leaves the stack unlocked; resume finishes the release", async () => {
    const s = await rehearseStory({ cancel: { at: "deploy+30s" } });
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}`),
      ["start:interrupted", "resume:released"],
    );
    assert.equal(s.report.commands[0].exitCode, 5);
    const deploys = s.run.world.backend.stack("prod").updates.filter((u) => u.message.endsWith(": deploy"));
    assert.deepEqual(
      deploys.map((u) => u.result),
      ["failed", "succeeded"],
      "the cancelled deploy, then the resumed one",
    );
    assertSettled(s, {
      live: "green",
      images: { blue: OLD_IMAGE, green: NEW_IMAGE },
      phase: "Released",
      lastLedger: { outcome: "released" },
    });
  });

  it("an unlock of the live release is refused (its heartbeat is fresh): it never cancels a running update", async () => {
    const s = await rehearseStory({ during: [{ command: "unlock", at: "deploy+20s" }] });
    const byCommand = Object.fromEntries(s.report.commands.map((c) => [c.command, c]));
    assert.equal(byCommand.unlock.result, "refused");
    assert.match(byCommand.unlock.message ?? "", /is alive .*'rollout abort' stops it/);
    assert.equal(byCommand.start.result, "released");
    assert.ok(!s.run.world.backend.stack("prod").updates.some((u) => u.error === "cancelled (pulumi cancel)"));
  });
});
