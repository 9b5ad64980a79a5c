import * as assert from "node:assert/strict";
import { main } from "../../rollout/cli";
import { classify } from "../../rollout/pulumi-stack";

describe("rollout: Automation API error classification", () => {
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

  it("bad arguments exit 2 with the usage", async () => {
    const err: string[] = [];
    assert.equal(await main(["start", "--stack", "prod"], { out: () => undefined, err: (x) => err.push(x) }), 2);
    assert.match(err.join("\n"), /^start needs --image <ref>/);
    assert.match(err.join("\n"), /Usage: npm run rollout/);
  });
});
