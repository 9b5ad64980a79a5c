/**
 * Story: staging releases 1.5.0 from CI; the runner is thrown away. A push to main then runs the ordinary
 * staging deploy (`rollout apply`) from a fresh checkout whose stack file still says 1.4.0 on blue, and later
 * CI releases 1.6.0 from yet another fresh runner. The deployed release keys come from the release store, so
 * the apply keeps 1.5.0 on green and the next release goes to blue, the idle color, from 1.5.0.
 * Ten minutes after 1.6.0, the platform team runs `rollout scale-down`: green (1.5.0) runs only
 * `api.idleReplicas`. A day later 1.6.0 is rolled back: the rollback first scales green up again (the
 * Kubernetes provider waits for its pods), and only then moves traffic — never onto a scaled-down color.
 */
import * as assert from "node:assert/strict";
import { assertSettled, rehearseStory, type Story, stagingImage } from "../../support/twin";

const NEW = stagingImage("9f8e7d6");
const NEWER = stagingImage("abc1234");

describe("scenario: a second release from a fresh runner after a release done in CI, scale-down, rollback", () => {
  let s: Story;
  before(async () => {
    s = await rehearseStory(
      {
        later: [
          { command: "apply", after: "PT5M" },
          { command: "start", after: "PT5M", image: NEWER, version: "1.6.0" },
          { command: "scale-down", after: "PT10M" },
          { command: "rollback", after: "P1D" },
        ],
      },
      { stack: "staging", image: NEW },
    );
  });

  it("apply keeps the deployed release, and the next release starts from it", () => {
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}`),
      ["start:released", "apply:applied", "start:released", "scale-down:applied", "rollback:rolled-back"],
    );
    const apply = s.run.world.backend.stack("staging").updates.find((u) => u.message.startsWith("apply "));
    assert.deepEqual(
      apply?.steps.filter((x) => x.op !== "same").map((x) => `${x.op} ${x.name}`),
      [],
      "the apply changed nothing: it deployed the release keys of the store, not git's",
    );
    const second = s.ledger.find((e) => e.kind === "release" && e.release === "1.6.0");
    assert.equal(second?.outcome, "released");
    assert.equal(second?.from.live, "green", "1.6.0 was released from 1.5.0 on green");
    assert.equal(second?.to.images.blue, NEWER);
  });

  it("scale-down shrinks the idle color, and the rollback scales it up before the listener moves", () => {
    const phases = s.report.rollback.phases.map(
      (r) => `${r.phase}: ${r.changes.map((c) => `${c.op} ${c.name}`).join(", ")}`,
    );
    assert.equal(phases.length, 2, phases.join("\n"));
    assert.match(phases[0], /^scale-up: .*update api-green/);
    assert.equal(phases[1], "traffic: update traffic-https");
    assertSettled(s, {
      live: "green",
      images: { blue: NEWER, green: NEW },
      phase: "RolledBack",
      lastLedger: { kind: "rollback", outcome: "rolled-back" },
    });
    assert.equal(s.report.final.release?.scaleDownIdle, false, "no color is left scaled down");
  });
});
