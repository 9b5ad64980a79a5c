/**
 * Story: two ways an `up` fails after it started changing resources. (1) The release's migration Job fails:
 * the deploy `up` stops, green never gets traffic. (2) The AWS provider returns an internal error while the
 * traffic-50 `up` updates the listener: the stack may be half-changed with traffic partly on green — the
 * driver must treat that as a failure after changes (roll back), not as "nothing changed".
 */
import * as assert from "node:assert/strict";
import { assertSettled, commandResults, NEW_IMAGE, OLD_IMAGE, rehearseStory } from "../../support/twin";

describe("scenario: an up fails in the middle of a stage", () => {
  it("a failing migration fails the deploy and the release rolls back, with the migration recorded", async () => {
    const s = await rehearseStory({ migrationFails: 'relation "repos" does not exist' });
    assert.deepEqual(commandResults(s), ["start:rolled-back"]);
    const migration = s.report.jobs.find((j) => j.name === "migrate-1-5-0-9f8e7d6");
    assert.equal(migration?.ok, false);
    assert.equal(
      s.report.jobs.some((j) => j.name === "smoke-1-5-0-9f8e7d6-green"),
      false,
      "no smoke test after a failed migration",
    );
    assertSettled(s, {
      live: "blue",
      images: { blue: OLD_IMAGE, green: s.report.final.images.green ?? "" },
      phase: "RolledBack",
      lastLedger: { outcome: "rolled-back" },
    });
    assert.equal(s.ledger.at(-1)?.reason?.code, "UpFailed");
  });

  it("a provider error during traffic-50 rolls back (exit 1), never exits as 'nothing changed'", async () => {
    const s = await rehearseStory({
      providerErrors: [{ step: "traffic-50", message: "InternalFailure: An internal error occurred" }],
    });
    assert.deepEqual(commandResults(s), ["start:rolled-back"]);
    assert.equal(s.report.exitCode, 1);
    assert.equal(s.report.stages.find((x) => x.id === "traffic-50")?.update?.result, "failed");
    assertSettled(s, {
      live: "blue",
      images: { blue: OLD_IMAGE, green: NEW_IMAGE },
      phase: "RolledBack",
      lastLedger: { outcome: "rolled-back" },
    });
    assert.match(s.ledger.at(-1)?.reason?.detail ?? "", /InternalFailure/);
  });
});

describe("scenario: the stack is locked by someone else while the canary takes traffic", () => {
  it("persists a rollback (exit 3 while locked); resume after the lock is gone rolls back, never forward", async () => {
    const s = await rehearseStory({
      foreignLock: { from: "traffic-10+15m", until: "PT3H" },
      later: [{ command: "resume", after: "PT3H" }],
    });
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}`),
      ["start:unavailable", "resume:rolled-back"],
    );
    assert.equal(s.report.commands[0].exitCode, 3);
    assert.match(s.report.commands[0].message ?? "", /\[409\] Conflict: Another update is currently in progress/);
    assertSettled(s, {
      live: "blue",
      images: { blue: OLD_IMAGE, green: NEW_IMAGE },
      phase: "RolledBack",
      lastLedger: { outcome: "rolled-back" },
    });
    assert.equal(s.report.stages.find((x) => x.id === "traffic-50")?.update, undefined, "traffic-50 never ran");
  });
});
