import * as assert from "node:assert/strict";
import { main } from "../../rollout/cli";
import { AutomationStack, classify } from "../../rollout/pulumi-stack";

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

describe("rollout: the Automation API adapter's up", () => {
  type Fake = { up: (o: { onEvent?: (e: unknown) => void; showSecrets?: boolean }) => Promise<unknown> };
  // The constructor is private (AutomationStack.select builds it from a LocalWorkspace); a stand-in Stack here.
  const make = (s: Fake) =>
    new (AutomationStack as unknown as new (stack: string, s: Fake, packDir: string) => AutomationStack)(
      "prod",
      s,
      "policy",
    );
  const req = { message: "m", configFile: "c", policyPackConfigFile: "p" };

  it("an update that ended well stays a success when reading its outputs afterwards fails (never a rollback)", async () => {
    let showSecrets: boolean | undefined;
    const stack = make({
      up: async (o) => {
        showSecrets = o.showSecrets;
        o.onEvent?.({ resourcePreEvent: { metadata: { op: "update" } } });
        o.onEvent?.({
          summaryEvent: { maybeCorrupt: false, durationSeconds: 3, resourceChanges: { update: 1, same: 130 } },
        });
        throw new Error("code: 255\n stderr: error: getting stack outputs: [500] Internal Server Error");
      },
    });
    assert.deepEqual(await stack.up(req), { changes: { update: 1, same: 130 } });
    assert.equal(showSecrets, false, "the summary is read without --show-secrets");
  });

  it("an update with an error diagnostic is a failure after changes", async () => {
    const stack = make({
      up: async (o) => {
        o.onEvent?.({ resourcePreEvent: { metadata: { op: "update" } } });
        o.onEvent?.({ diagnosticEvent: { message: "error: update failed", severity: "error", color: "never" } });
        o.onEvent?.({ summaryEvent: { maybeCorrupt: false, durationSeconds: 3, resourceChanges: { update: 1 } } });
        throw new Error("error: update failed");
      },
    });
    await assert.rejects(
      stack.up(req),
      (e: Error & { kind?: string; changesStarted?: boolean }) =>
        e.kind === "update-failed" && e.changesStarted === true,
    );
  });
});
