/**
 * The specs' shared pack and the evaluators of the mocha process use one pooled pack process per stack
 * (gate/pack-pool.ts). `configure` is global to a process, so the shared handle must judge with its own
 * config even when an evaluator configured the process differently in between.
 */
import * as assert from "node:assert/strict";
import type { PolicyConfig } from "../../gate/analyzer";
import { Evaluator } from "../../gate/evaluator";
import { loadStackFiles } from "../../gate/stackfiles";
import { stackPolicyNames } from "../../rollout/compose";
import { sharedPack, sharedPackPid } from "../support/policy";
import { plan, ROOT } from "../support/stacks";

describe("shared pack handle on a pooled process (test/support/policy.ts)", function () {
  this.timeout(60_000);

  it("an evaluator reuses the shared pack's process, and the handle reconfigures it before its next call", async () => {
    const pack = await sharedPack("prod");
    const committed = await plan("prod");
    const windowViolations = (a: { diagnostics: { policyName: string }[] }) =>
      a.diagnostics.filter((d) => d.policyName === "release-window").length;
    assert.equal(windowViolations(await pack.process.analyzeStack(committed.resources)), 0);

    const evaluator = new Evaluator({ dir: ROOT, stackPolicies: stackPolicyNames() });
    try {
      const late = { ...pack.config, "release-window": { ...pack.config["release-window"] } };
      late["release-window"].properties = { ...late["release-window"].properties, at: "2026-11-26T08:00:00Z" };
      const judged = await evaluator.session(loadStackFiles(ROOT, "prod"), late, (s) =>
        s.analyzeStack(committed.resources),
      );
      assert.equal(windowViolations(judged), 1, "the evaluator's session did not judge with its own config");
      assert.equal(evaluator.stats.packStarts, 0, "the evaluator started a pack although the pool held one");
    } finally {
      evaluator.close();
    }
    assert.equal(
      windowViolations(await pack.process.analyzeStack(committed.resources)),
      0,
      "the shared handle judged with the config the evaluator left in the process",
    );
  });

  it("a configure that fails leaves the handle judging with its last good config, as a process of its own does", async () => {
    const pack = await sharedPack("prod");
    const committed = await plan("prod");
    const bad = { ...pack.config, "release-window": { ...pack.config["release-window"] } };
    bad["release-window"].properties = { ...bad["release-window"].properties, at: 10n };
    await assert.rejects(pack.process.configure(bad), /BigInt/);
    const after = await pack.process.analyzeStack(committed.resources);
    assert.deepEqual(
      after.diagnostics.map((d) => d.policyName),
      [],
      "the handle stayed broken or judged with the config that failed",
    );
  });

  it("a pack process that ends is replaced: the shared handle and an evaluator that used it judge again", async () => {
    const pack = await sharedPack("prod");
    const committed = await plan("prod");
    const files = loadStackFiles(ROOT, "prod");
    const evaluator = new Evaluator({ dir: ROOT, stackPolicies: stackPolicyNames() });
    const judge = () => evaluator.session(files, pack.config, (s) => s.analyzeStack(committed.resources));
    try {
      assert.equal((await judge()).diagnostics.length, 0);
      const pid = await sharedPackPid("prod");
      assert.ok(pid);
      process.kill(pid, "SIGKILL");
      for (let i = 0; i < 100 && (await sharedPackPid("prod")) === pid; i++)
        await new Promise((r) => setTimeout(r, 20));
      assert.notEqual(await sharedPackPid("prod"), pid, "the shared handle still uses the killed process");
      assert.equal((await judge()).diagnostics.length, 0, "the evaluator asked the killed process again");
      assert.equal((await pack.process.analyzeStack(committed.resources)).diagnostics.length, 0);
    } finally {
      evaluator.close();
    }
  });

  it("a session with the config the process has from the evaluator's last session sends no configure", async () => {
    const pack = await sharedPack("prod");
    const committed = await plan("prod");
    const files = loadStackFiles(ROOT, "prod");
    const late = { ...pack.config, "release-window": { ...pack.config["release-window"] } };
    late["release-window"].properties = { ...late["release-window"].properties, at: "2026-11-26T08:00:00Z" };
    const windowViolations = (a: { diagnostics: { policyName: string }[] }) =>
      a.diagnostics.filter((d) => d.policyName === "release-window").length;
    const evaluator = new Evaluator({ dir: ROOT, stackPolicies: stackPolicyNames() });
    const judge = (config: PolicyConfig) =>
      evaluator.session(files, config, (s) => s.analyzeStack(committed.resources));
    try {
      assert.equal(windowViolations(await judge(late)), 1);
      assert.equal(windowViolations(await judge(late)), 1);
      assert.equal(evaluator.stats.configures, 1, "the same config was sent twice");
      assert.equal(windowViolations(await judge(pack.config)), 0, "another config must be sent");
      assert.equal(evaluator.stats.configures, 2);
      // The shared handle configures the process in between: the evaluator must send its config again.
      assert.equal(windowViolations(await pack.process.analyzeStack(committed.resources)), 0);
      assert.equal(windowViolations(await judge(late)), 1);
      await pack.process.analyzeStack(committed.resources);
      assert.equal(windowViolations(await judge(late)), 1, "judged with the config the handle left");
      assert.equal(evaluator.stats.configures, 4);
    } finally {
      evaluator.close();
    }
  });
});
