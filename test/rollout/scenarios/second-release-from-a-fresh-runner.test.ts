/**
 * Story: staging releases 1.5.0 from CI; the runner is thrown away. A push to main then runs the ordinary
 * staging deploy (`rollout apply`) from a fresh checkout whose stack file still says 1.4.0 on blue, and later
 * CI releases 1.6.0 from yet another fresh runner. The deployed release keys come from the release store, so
 * the apply keeps 1.5.0 on green and the next release goes to blue, the idle color, from 1.5.0.
 */
import * as assert from "node:assert/strict";
import { assertSettled, rehearseStory, stagingImage } from "../../support/twin";

const NEW = stagingImage("9f8e7d6");
const NEWER = stagingImage("abc1234");

describe("scenario: a second release from a fresh runner after a release done in CI", () => {
  it("apply keeps the deployed release, and the next release starts from it", async () => {
    const s = await rehearseStory(
      {
        later: [
          { command: "apply", after: "PT5M" },
          { command: "start", after: "PT5M", image: NEWER, version: "1.6.0" },
        ],
      },
      { stack: "staging", image: NEW },
    );
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}`),
      ["start:released", "apply:applied", "start:released"],
    );
    const apply = s.run.world.backend.stack("staging").updates.find((u) => u.message.startsWith("apply "));
    assert.deepEqual(
      apply?.steps.filter((x) => x.op !== "same").map((x) => `${x.op} ${x.name}`),
      [],
      "the apply changed nothing: it deployed the release keys of the store, not git's",
    );
    assertSettled(s, {
      live: "blue",
      images: { blue: NEWER, green: NEW },
      phase: "Released",
      lastLedger: { kind: "release", outcome: "released", release: "1.6.0" },
    });
    assert.equal(s.ledger.at(-1)?.from.live, "green", "1.6.0 was released from 1.5.0 on green");
  });
});
