import * as assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { main } from "../../rollout/cli";
import { Ledger } from "../../rollout/ledger";
import { classify } from "../../rollout/pulumi-stack";

describe("rollout: Automation API error classification and the ledger command", () => {
  const cases: [string, string, RegExp][] = [
    [
      "error: [409] Conflict: Another update is currently in progress.",
      "locked",
      /locked by another update.*pulumi cancel --stack prod.*Nothing was changed/,
    ],
    ["error: no stack named 'prod' found", "unknown-stack", /does not exist in the current backend/],
    [
      "error: getting secrets manager: passphrase must be set with PULUMI_CONFIG_PASSPHRASE",
      "decrypt",
      /cannot be decrypted: set PULUMI_CONFIG_PASSPHRASE/,
    ],
    [
      "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions",
      "credentials",
      /run 'pulumi login' and provide AWS credentials/,
    ],
    ["Command failed with ENOENT: pulumi version\nspawn pulumi ENOENT", "cli-missing", /Pulumi CLI is not installed/],
    [
      "error: update failed\n  aws:rds:Instance db-instance: InvalidParameterCombination",
      "update-failed",
      /InvalidParameterCombination/,
    ],
  ];
  for (const [text, kind, message] of cases) {
    it(`classifies "${text.split("\n")[0].slice(0, 50)}…" as ${kind}`, () => {
      const e = classify("prod", new Error(text));
      assert.equal(e.kind, kind);
      assert.match(e.message, message);
    });
  }

  it("history prints the ledger of one stack; bad arguments exit 2 with usage", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "ledger-")), "ledger.jsonl");
    const ledger = new Ledger(file);
    const entry = {
      kind: "release" as const,
      outcome: "rolled-back" as const,
      stack: "prod",
      who: "sam",
      startedAt: "2026-11-25T09:30:00Z",
      endedAt: "2026-11-25T09:48:00Z",
      release: "1.5.0",
      from: { color: "blue", image: "r/api:sha-1a2b3c4" },
      to: { color: "green", image: "r/api:sha-9f8e7d6" },
      stagesReached: ["deploy"],
      reason: "alarm x",
    };
    await ledger.append(entry);
    await ledger.append({ ...entry, stack: "staging" });
    const out: string[] = [];
    assert.equal(
      await main(["history", "--stack", "prod", "--ledger", file], { out: (s) => out.push(s), err: () => undefined }),
      0,
    );
    assert.deepEqual(out, [
      "2026-11-25T09:48:00Z  release  rolled-back 1.5.0  blue(sha-1a2b3c4) → green(sha-9f8e7d6)  by sam  stages: deploy  reason: alarm x",
    ]);
    const err: string[] = [];
    assert.equal(await main(["start", "--stack", "prod"], { out: () => undefined, err: (s) => err.push(s) }), 2);
    assert.match(err.join("\n"), /^start needs --image <ref>/);
  });
});
