/**
 * The policy pack never reads the release keys from the stack config (policy/lib/stack-config.ts): it
 * judges what the program made of them. So a pack process started with one stage's config judges every
 * other stage exactly as a fresh process started with that stage's config would — which is what the
 * engine does (a new pack per `pulumi up`) and what the rehearsal twin relies on (one pack per rehearsal).
 */
import * as assert from "node:assert/strict";
import type { Analysis } from "../../gate/analyzer";
import type { CapturedPlan } from "../../gate/capture";
import { mutate, type Pack, startPack } from "../support/policy";
import { plan } from "../support/stacks";

const REPO = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/artifortress/api";
/** A mid-release stage: 1.5.0 from 9f8e7d6 on green at 50 %, the worker paused. */
const STAGE = {
  blueGreen: { green: { image: `${REPO}:sha-9f8e7d6` }, canaryWeight: 50 },
  release: { version: "1.5.0", commit: "9f8e7d6" },
  worker: { paused: true },
};

const verdicts = (a: Analysis) => a.diagnostics.map((d) => `${d.policyName} ${d.urn}: ${d.message}`).sort();

async function judge(pack: Pack, p: CapturedPlan): Promise<string[]> {
  return verdicts(await pack.process.analyzeAll(p.resources));
}

describe("policy pack: verdicts do not depend on the release keys the pack process was started with", function () {
  this.timeout(60_000);
  let started: Pack;
  let fresh: Pack;
  before(async () => {
    [started, fresh] = await Promise.all([startPack("prod"), startPack("prod", STAGE)]);
  });
  after(() => {
    started?.process.close();
    fresh?.process.close();
  });

  it("the stage's plan: same verdicts from a pack started with the stack file's release keys", async () => {
    const stage = await plan("prod", STAGE);
    assert.deepEqual(await judge(started, stage), await judge(fresh, stage));
  });

  it("a violating stage (weight on a color that is neither live nor under test): same verdicts, and it is caught", async () => {
    const stage = await plan("prod", STAGE);
    const bad = mutate(
      stage,
      "aws:lb/listener:Listener",
      "traffic-https",
      (x) => (x.tags["rollout/under-test"] = "blue"),
    );
    const a = await judge(started, bad);
    assert.deepEqual(a, await judge(fresh, bad));
    assert.ok(
      a.some((v) => /edge-smoke-tested-weight [\s\S]*sends 50% to green, which is neither the live color/.test(v)),
      a.join("\n"),
    );
  });
});
