/**
 * Story: staging released 1.5.0 on green and watched it; ten minutes later the platform team runs
 * `rollout scale-down` so blue (1.4.0) runs only `api.idleReplicas`. A day later 1.5.0 is rolled back: the
 * rollback first scales blue up again (the Kubernetes provider waits for its pods), and only then moves
 * traffic — never onto a color that is scaled down.
 */
import * as assert from "node:assert/strict";
import { assertSettled, rehearseStory, stagingImage } from "../../support/twin";

const NEW = stagingImage("9f8e7d6");
const OLD = stagingImage("1a2b3c4");

describe("scenario: scale-down after a release, then a rollback", () => {
  it("scales the idle color down, and the rollback scales it up before the listener moves", async () => {
    const s = await rehearseStory(
      {
        later: [
          { command: "scale-down", after: "PT10M" },
          { command: "rollback", after: "P1D" },
        ],
      },
      { stack: "staging", image: NEW },
    );
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}`),
      ["start:released", "scale-down:applied", "rollback:rolled-back"],
    );
    const phases = s.report.rollback.map((r) => `${r.phase}: ${r.changes.map((c) => `${c.op} ${c.name}`).join(", ")}`);
    assert.equal(phases.length, 2, phases.join("\n"));
    assert.match(phases[0], /^scale-up: .*update api-blue/);
    assert.equal(phases[1], "traffic: update traffic-https");
    assertSettled(s, {
      live: "blue",
      images: { blue: OLD, green: NEW },
      phase: "RolledBack",
      lastLedger: { kind: "rollback" },
    });
    assert.equal(s.report.final.release?.scaleDownIdle, false, "no color is left scaled down");
  });
});
