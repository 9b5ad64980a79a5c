/**
 * Story: the release runner dies right after (or inside) the deploy `up`; the operator does not trust the
 * half-done release and runs `abort` instead of `resume`. The dead update may have deployed the new image
 * and its snapshot: the abort starts from the keys that update was applying, not from the store's older
 * ones — so it does not deploy the old release's snapshot and migration again, and the next ordinary
 * `apply`, and the same release started again, go through.
 */
import * as assert from "node:assert/strict";
import { assertSettled, NEW_IMAGE, OLD_IMAGE, rehearseStory } from "../../support/twin";

const aborted = { live: "blue" as const, images: { blue: OLD_IMAGE, green: NEW_IMAGE }, phase: "Aborted" };

describe("scenario: the runner dies in the deploy stage and the operator aborts", () => {
  it("killed right after the deploy up: abort, then apply, touch no snapshot or Job", async () => {
    const s = await rehearseStory({
      crash: { at: "deploy", when: "after", recover: "abort" },
      later: [{ command: "apply", after: "PT5M" }],
    });
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}`),
      ["start:killed", "status:done", "unlock:unlocked", "abort:aborted", "apply:applied"],
    );
    const updates = s.run.world.backend.stack("prod").updates;
    const after = updates.filter((u) => u.startTime >= Date.parse(s.report.commands[3].startedAt));
    const touched = after.flatMap((u) =>
      u.steps.filter((x) => x.op !== "same" && /Snapshot|batch\/v1:Job/.test(x.type)),
    );
    assert.deepEqual(
      touched.map((x) => `${x.op} ${x.name}`),
      [],
      "no snapshot or Job created, replaced or deleted",
    );
    assert.deepEqual(s.report.retained, ["aws:rds/snapshot:Snapshot artifortress-prod-pre-1-4-0-1a2b3c4"]);
    assertSettled(s, aborted);
  });

  it("killed inside the deploy up before its migration Job: abort, then the same release again succeeds", async () => {
    const s = await rehearseStory({
      crash: { at: "deploy", when: "during", afterSteps: 2, recover: "abort" },
      later: [{ command: "start", after: "PT5M" }],
    });
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}`),
      ["start:killed", "status:done", "unlock:unlocked", "abort:aborted", "start:released"],
    );
    assertSettled(s, {
      live: "green",
      images: { blue: OLD_IMAGE, green: NEW_IMAGE },
      phase: "Released",
      lastLedger: { kind: "release", outcome: "released" },
    });
  });
});
