/**
 * Story: two CI jobs (a re-run and the original) start the same release on prod at the same moment. The lease
 * in the release store admits exactly one; the other is refused (exit 2) naming the holder, and changes nothing.
 */
import * as assert from "node:assert/strict";
import { assertSettled, NEW_IMAGE, OLD_IMAGE, rehearseStory } from "../../support/twin";

describe("scenario: two starts at once", () => {
  it("one releases, the other is refused with exit 2 and changes nothing", async () => {
    const s = await rehearseStory({ concurrentStart: true });
    const results = s.report.commands.map((c) => c.result).sort();
    assert.deepEqual(results, ["refused", "released"]);
    const refused = s.report.commands.find((c) => c.result === "refused");
    assert.equal(refused?.exitCode, 2);
    assert.match(refused?.message ?? "", /stack prod is held by start run \S+ by rehearsal:start-\d/);
    assertSettled(s, {
      live: "green",
      images: { blue: OLD_IMAGE, green: NEW_IMAGE },
      phase: "Released",
      lastLedger: { kind: "release", outcome: "released" },
    });
    assert.equal(s.ledger.length, 1, "one release in the ledger");
    const deploys = s.run.world.backend.stack("prod").updates.filter((u) => u.message.endsWith(": deploy"));
    assert.equal(deploys.length, 1, "one deploy update");
  });
});
