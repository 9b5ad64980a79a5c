/**
 * Story: 1.5.0 was released on prod (green). A week later, outside any release window, a data problem is
 * traced to 1.5.0 and the on-call runs `rollout rollback` from a fresh runner. The target comes from the
 * durable ledger (the release before the current one, still running on blue): only release keys change —
 * traffic goes back to blue; no secret, window or data setting is restored; nothing is re-created. Meanwhile
 * the stack's secrets provider may have been changed (old configs in the history can no longer be decrypted).
 */
import * as assert from "node:assert/strict";
import { assertSettled, NEW_IMAGE, OLD_IMAGE, rehearseStory, rollbackChanges, SECRET } from "../../support/twin";

const back = { live: "blue" as const, images: { blue: OLD_IMAGE, green: NEW_IMAGE }, phase: "RolledBack" };

describe("scenario: rollback a week after a release", () => {
  it("returns traffic to blue outside the window, exit 1, gate never blocks, only the listener changes", async () => {
    const s = await rehearseStory({ later: [{ command: "rollback", after: "P7D" }] });
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}`),
      ["start:released", "rollback:rolled-back"],
    );
    assert.equal(s.report.exitCode, 1);
    assertSettled(s, { ...back, lastLedger: { kind: "rollback", outcome: "rolled-back" } });
    assert.equal(s.ledger.at(-1)?.reason?.code, "StackRollback");
    assert.deepEqual(rollbackChanges(s), ["update aws:lb/listener:Listener traffic-https"]);
    for (const r of s.report.rollback.phases) assert.equal(r.gate, "go", "the gate verdict on the rollback config");
    assert.ok(
      !s.report.retained.some((r) => r.includes("1-4-0") && rollbackChanges(s).some((c) => c.includes("Snapshot"))),
    );
  });

  it("a second rollback is refused (exit 2): it never rolls forward or further back than what still runs", async () => {
    const s = await rehearseStory({
      later: [
        { command: "rollback", after: "P7D" },
        { command: "rollback", after: "PT10M" },
      ],
    });
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}`),
      ["start:released", "rollback:rolled-back", "rollback:refused"],
    );
    assert.match(s.report.commands[2].message ?? "", /no earlier good release/);
    assertSettled(s, { ...back, lastLedger: { kind: "rollback", outcome: "rolled-back" } });
  });

  it("works after a secrets-provider change: history is never decrypted, secrets are never restored", async () => {
    const s = await rehearseStory({ secretsProviderChange: true, later: [{ command: "rollback", after: "P7D" }] });
    assert.deepEqual(
      s.report.commands.map((c) => `${c.command}:${c.result}`),
      ["start:released", "rollback:rolled-back"],
    );
    assertSettled(s, { ...back, lastLedger: { kind: "rollback", outcome: "rolled-back" } });
    const stack = s.run.world.backend.stack("prod");
    const last = stack.updates.at(-1);
    const secretValue = last?.config["app:oidcHs256SharedSecret"];
    assert.ok(secretValue?.secret, "the rollback ran with the secret as ciphertext");
    assert.equal(
      stack.secrets.decrypt(secretValue?.value ?? ""),
      SECRET.oidcHs256SharedSecret,
      "the current provider's ciphertext",
    );
    const history = s.run.world.backend.history("prod", { pageSize: 100, showSecrets: true });
    assert.ok(
      history.some((u) => u.config["app:oidcHs256SharedSecret"]?.value === "ERROR_UNABLE_TO_DECRYPT"),
      "the history before the change can no longer be decrypted (what a history-based rollback would have restored)",
    );
  });
});
