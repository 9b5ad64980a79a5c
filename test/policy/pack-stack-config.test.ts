/**
 * One pack process, many stack configs (tools/pack-stack-config.js): the gate's evaluator sends each
 * session's stack config with `configure`, and the pack must then judge exactly as a fresh process started
 * with that config in PULUMI_CONFIG would (what the engine does: a new pack per `pulumi up`). Config B
 * differs from the committed prod config in what a resource policy (workloads-zero-downtime reads
 * api.deregistrationDelaySeconds) and a stack policy (release-window reads release.window) read, so a
 * process that kept its start config would judge the committed plan differently.
 */
import * as assert from "node:assert/strict";
import { type Analysis, PolicyPackProcess } from "../../gate/analyzer";
import type { CapturedPlan } from "../../gate/capture";
import { Evaluator } from "../../gate/evaluator";
import { packEntry } from "../../gate/runtime";
import { loadStackFiles } from "../../gate/stackfiles";
import { stackPolicyNames } from "../../rollout/compose";
import { evaluate, PACK_DIR, type Pack, startPack } from "../support/policy";
import { plan, ROOT } from "../support/stacks";

const B = {
  api: { deregistrationDelaySeconds: 300 },
  release: { window: { start: "2026-11-26T09:00:00Z", end: "2026-11-26T12:00:00Z" } },
};

const verdicts = (a: Analysis) => a.diagnostics.map((d) => `${d.policyName} ${d.urn}: ${d.message}`).sort();

async function judge(pack: Pack, p: CapturedPlan): Promise<string[]> {
  return verdicts(await evaluate(pack, p));
}

describe("policy pack: a process switched to another stack config judges as a fresh one started with it", function () {
  this.timeout(60_000);
  let switching: Pack;
  let freshA: Pack;
  let freshB: Pack;
  before(async () => {
    [switching, freshA, freshB] = await Promise.all([startPack("prod"), startPack("prod"), startPack("prod", B)]);
  });
  after(() => {
    for (const p of [switching, freshA, freshB]) p?.process.close();
  });

  it("A → B → A: the committed plan gets B's verdicts, then A's again", async () => {
    const committed = await plan("prod");
    const a = await judge(freshA, committed);
    const b = await judge(freshB, committed);
    assert.ok(
      b.some((v) => v.startsWith("workloads-zero-downtime ")),
      `B's delay of 300 s should fail the API's preStop: ${b.join("\n")}`,
    );
    assert.ok(
      b.some((v) => v.startsWith("release-window ")),
      `B's window is a day later: ${b.join("\n")}`,
    );
    assert.notDeepEqual(a, b);

    const filesB = loadStackFiles(ROOT, "prod", B);
    await switching.process.configure(switching.config, { config: filesB.config, secretKeys: filesB.secretKeys });
    assert.deepEqual(await judge(switching, committed), b);
    const filesA = loadStackFiles(ROOT, "prod");
    await switching.process.configure(switching.config, { config: filesA.config, secretKeys: filesA.secretKeys });
    assert.deepEqual(await judge(switching, committed), a);
  });

  it("the evaluator: one pack process for both configs, and no verdict of one config served for the other", async () => {
    const evaluator = new Evaluator({ dir: ROOT, stackPolicies: stackPolicyNames() });
    try {
      const committed = await plan("prod");
      const run = (files: ReturnType<typeof loadStackFiles>) =>
        evaluator.session(files, freshA.config, async (s) =>
          verdicts({
            diagnostics: [
              ...(await s.analyze(committed.resources)).diagnostics,
              ...(await s.analyzeStack(committed.resources)).diagnostics,
            ],
            notApplicable: [],
          }),
        );
      const a = await run(loadStackFiles(ROOT, "prod"));
      const b = await run(loadStackFiles(ROOT, "prod", B));
      assert.deepEqual(a, await judge(freshA, committed));
      assert.deepEqual(b, await judge(freshB, committed));
      assert.equal(evaluator.stats.packLeases, 1, "the evaluator used more than one pack process");
      assert.ok(evaluator.stats.packStarts <= 1);
      assert.equal(evaluator.stats.analyzeHits, 0, "a verdict memoized under A answered for B");
    } finally {
      evaluator.close();
    }
  });

  it("a pack started with its own command line cannot switch, and says so instead of judging its old config", async () => {
    const files = loadStackFiles(ROOT, "prod");
    const other = await PolicyPackProcess.start({
      packDir: PACK_DIR,
      project: files.project,
      stack: "prod",
      config: files.config,
      command: { args: packEntry(PACK_DIR) },
    });
    try {
      assert.equal(other.acceptsStackConfig, false);
      await assert.rejects(
        other.configure(freshA.config, { config: loadStackFiles(ROOT, "prod", B).config }),
        /cannot switch its stack config/,
      );
    } finally {
      other.close();
    }
  });
});
