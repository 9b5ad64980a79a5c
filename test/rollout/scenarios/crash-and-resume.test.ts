/**
 * Story: the CI runner running the release is killed (SIGKILL: a preempted VM, a cancelled job that did not
 * get to clean up). Nothing the driver would have done afterwards happens. Ten minutes later an operator on
 * another machine runs `rollout status`, `rollout unlock --run <id>` (which cancels the update the dead run
 * left in progress, unlocking the stack) and `rollout resume`. The release state is in the release store,
 * not on the dead runner, so resume continues where the dead run stopped — and a run killed during a
 * rollback resumes the rollback, never the release.
 */
import * as assert from "node:assert/strict";
import { assertSettled, NEW_IMAGE, OLD_IMAGE, rehearseStory } from "../../support/twin";

const released = { live: "green" as const, images: { blue: OLD_IMAGE, green: NEW_IMAGE }, phase: "Released" };
const rolledBack = { live: "blue" as const, images: { blue: OLD_IMAGE, green: NEW_IMAGE }, phase: "RolledBack" };

describe("scenario: the driver is killed, then an operator resumes", () => {
  for (const stage of ["deploy", "traffic-10", "traffic-50", "traffic-100", "flip", "resume-worker"]) {
    it(`killed right after the ${stage} up: resume finishes the release`, async () => {
      const s = await rehearseStory({ crash: { at: stage, when: "after" } });
      assert.deepEqual(
        s.report.commands.map((c) => `${c.command}:${c.result}`),
        ["start:killed", "status:done", "unlock:unlocked", "resume:released"],
      );
      assertSettled(s, { ...released, lastLedger: { kind: "release", outcome: "released" } });
      const migrations = s.report.jobs.filter((j) => j.name === "migrate-1-5-0-9f8e7d6");
      assert.equal(migrations.length, 1, "the migration ran once");
    });
  }

  it("killed inside the deploy up (stack left locked): unlock cancels the dead update, resume re-applies it", async () => {
    const s = await rehearseStory({ crash: { at: "deploy", when: "during", afterSteps: 2 } });
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}`),
      ["start:killed", "status:done", "unlock:unlocked", "resume:released"],
    );
    assertSettled(s, { ...released, lastLedger: { outcome: "released" } });
    const updates = s.run.world.backend.stack("prod").updates;
    assert.ok(
      updates.some((u) => u.result === "failed" && u.error === "cancelled (pulumi cancel)"),
      "the dead update was cancelled",
    );
  });

  for (const [n, phase] of [
    [1, "traffic"],
    [2, "restore"],
  ] as const) {
    it(`killed during rollback phase ${n} (${phase}): resume finishes the rollback, traffic stays on blue`, async () => {
      const s = await rehearseStory({
        colors: [{ color: "new", from: "traffic-50+1m", errorRate: 0.05 }],
        crash: { at: `rollback-${n}`, when: "during" },
      });
      assert.deepEqual(
        s.report.commands.map((c) => `${c.command}:${c.result}`),
        ["start:killed", "status:done", "unlock:unlocked", "resume:rolled-back"],
      );
      assertSettled(s, { ...rolledBack, lastLedger: { outcome: "rolled-back" } });
      assert.equal(s.ledger.at(-1)?.reason?.code, "AlarmFired");
      const forward = s.run.world.backend
        .stack("prod")
        .updates.filter(
          (u) => u.startTime > Date.parse(s.report.commands[1].startedAt) && u.message.startsWith("rollout "),
        );
      assert.deepEqual(
        forward.map((u) => u.message),
        [],
        "no forward stage ran after the crash",
      );
    });
  }
});
