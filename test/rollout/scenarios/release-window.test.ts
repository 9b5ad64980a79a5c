/**
 * Story: the release window for prod is 09:00–12:00. A release needs 15 + 15 + 15 minutes of bakes and a
 * 60-minute watch. Started at 10:30 it would flip and watch after the window closed, so preflight refuses it
 * (exit 2, nothing changed); started after the window it is refused too. Rollbacks are never blocked by the
 * window (see rollback-a-week-later).
 */
import * as assert from "node:assert/strict";
import { assertSettled, IDLE_IMAGE, OLD_IMAGE, rehearseStory } from "../../support/twin";

const untouched = { live: "blue" as const, images: { blue: OLD_IMAGE, green: IDLE_IMAGE }, phase: "Idle" };

describe("scenario: the release window", () => {
  it("a start whose bakes and watch would run past the window's end is refused before any change", async () => {
    const s = await rehearseStory({}, { at: new Date("2026-11-25T10:30:00Z") });
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}`),
      ["start:refused"],
    );
    assert.equal(s.report.exitCode, 2);
    assert.match(
      s.report.commands[0].message ?? "",
      /needs 105 min of bakes and watch.*after the window closes at 2026-11-25T12:00:00Z/s,
    );
    assertSettled(s, untouched);
    assert.deepEqual(s.ledger, [], "a refused start writes no ledger entry");
    assert.equal(s.run.world.backend.stack("prod").updates.length, 1, "only the seed deployment");
  });

  it("a start after the window is refused, naming the window key", async () => {
    const s = await rehearseStory({}, { at: new Date("2026-11-25T12:05:00Z") });
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}`),
      ["start:refused"],
    );
    assert.match(s.report.commands[0].message ?? "", /outside the approved release window .*app:release\.window/);
    assertSettled(s, untouched);
  });
});
