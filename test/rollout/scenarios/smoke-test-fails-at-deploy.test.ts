/**
 * Story: CI tagged the image 1.5.0 but the build inside reports 1.4.9 on /version. The deploy stage's in-cluster
 * smoke test (a Job against green's Service) fails, so the deploy `up` fails before the production listener
 * moves: no production traffic ever reached green. The driver rolls back (nothing to move: blue kept 100 %).
 */
import * as assert from "node:assert/strict";
import { assertSettled, commandResults, NEW_IMAGE, OLD_IMAGE, rehearseStory } from "../../support/twin";

describe("scenario: the smoke test fails at deploy", () => {
  it("fails the deploy up before traffic moves and ends rolled back on blue (exit 1)", async () => {
    const s = await rehearseStory({ images: { [NEW_IMAGE]: { version: "1.4.9" } } });
    assert.deepEqual(commandResults(s), ["start:rolled-back"]);
    const deploy = s.report.stages.find((x) => x.id === "deploy");
    assert.equal(deploy?.update?.result, "failed");
    const smoke = s.report.jobs.find((j) => j.name === "smoke-1-5-0-9f8e7d6-green");
    assert.equal(smoke?.ok, false);
    assert.match(smoke?.output ?? "", /1\.4\.9/);
    assert.ok(
      !deploy?.changes.some((c) => c.type === "aws:lb/listener:Listener" && c.name === "traffic-https"),
      "the production listener was not touched by the failed deploy",
    );
    for (const st of s.report.stages.filter((x) => x.kind === "traffic")) assert.equal(st.update, undefined, st.id);
    assertSettled(s, {
      live: "blue",
      images: { blue: OLD_IMAGE, green: NEW_IMAGE },
      phase: "RolledBack",
      lastLedger: { kind: "release", outcome: "rolled-back" },
    });
    assert.equal(s.ledger.at(-1)?.reason?.code, "UpFailed");
  });
});
