/**
 * gate/plan.ts `planStack`: a config captured once per process. Every caller of the same program, stack,
 * config and mode gets the same frozen plan; anything a capture reads that differs captures again, and a
 * capture that fails is not kept.
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { type PlanResult, planMemo, planStack } from "../../gate/plan";
import { loadStackFiles } from "../../gate/stackfiles";
import { ROOT } from "../support/stacks";

class Thing extends pulumi.CustomResource {
  constructor(name: string, props: pulumi.Inputs) {
    super("test:index:Thing", name, props);
  }
}

/** A program that counts its runs and registers one resource from the stack's config. */
function counted() {
  const counter = { runs: 0, fail: false };
  const program = async () => {
    counter.runs++;
    if (counter.fail) throw new Error("the program failed");
    new Thing("thing", { region: new pulumi.Config("aws").get("region") ?? "none" });
    return {};
  };
  return { counter, program };
}

const planOf = (r: PlanResult) => {
  assert.ok(r.ok, "the committed config does not parse");
  return r.plan;
};

describe("plans captured once per process (gate/plan.ts planStack)", function () {
  this.timeout(60_000);

  it("the same program, stack, config and mode: one capture, one frozen plan for every caller", async () => {
    const { counter, program } = counted();
    const a = planOf(await planStack({ dir: ROOT, stack: "staging", program }));
    const files = loadStackFiles(ROOT, "staging");
    const b = planOf(await planStack({ dir: ROOT, stack: "staging", program, files }));
    assert.equal(counter.runs, 1);
    assert.equal(b, a);
    assert.ok(Object.isFrozen(a.resources[0].inputs), "a shared plan can be edited in place");
    assert.throws(() => {
      (a.resources[0].inputs as Record<string, unknown>).region = "elsewhere";
    }, TypeError);
  });

  it("another config, stack, mode or program captures again", async () => {
    const { counter, program } = counted();
    const first = planOf(await planStack({ dir: ROOT, stack: "staging", program }));
    const other = planOf(
      await planStack({ dir: ROOT, stack: "staging", program, overrides: { api: { replicas: 7 } } }),
    );
    await planStack({ dir: ROOT, stack: "prod", program });
    await planStack({ dir: ROOT, stack: "staging", program, preview: true });
    const files = loadStackFiles(ROOT, "staging");
    await planStack({ dir: ROOT, stack: "staging", program, files: { ...files, project: "other" } });
    await planStack({
      dir: ROOT,
      stack: "staging",
      program,
      files: { ...files, secretKeys: [...(files.secretKeys ?? []), "app:extra"] },
    });
    assert.equal(counter.runs, 6);
    assert.notEqual(other, first);
    const second = counted();
    await planStack({ dir: ROOT, stack: "staging", program: second.program });
    assert.equal(second.counter.runs, 1, "another program got the first one's plan");
  });

  it("an environment variable the providers read (PULUMI_K8S_*, AWS_REGION) set in between captures again", async () => {
    const { counter, program } = counted();
    await planStack({ dir: ROOT, stack: "staging", program });
    process.env.PULUMI_K8S_ENABLE_PATCH_FORCE = "true";
    try {
      await planStack({ dir: ROOT, stack: "staging", program });
    } finally {
      delete process.env.PULUMI_K8S_ENABLE_PATCH_FORCE;
    }
    await planStack({ dir: ROOT, stack: "staging", program });
    assert.equal(counter.runs, 2, "the environment is not in the key, or the first plan was not kept");
  });

  it(`keeps at most planMemo.limit plans (${planMemo.limit}): the least recently asked goes first`, async () => {
    const { counter, program } = counted();
    const limit = planMemo.limit;
    planMemo.limit = 2;
    try {
      const ask = (replicas: number) =>
        planStack({ dir: ROOT, stack: "staging", program, overrides: { api: { replicas } } });
      await ask(1);
      await ask(2);
      await ask(1); // a hit: 1 is now the most recent
      await ask(3); // 2 goes
      assert.equal(counter.runs, 3);
      await ask(1);
      assert.equal(counter.runs, 3, "the plan asked last but one was dropped");
      await ask(2);
      assert.equal(counter.runs, 4, "a dropped plan was still served");
    } finally {
      planMemo.limit = limit;
    }
  });

  it("a capture that fails is not kept: the next call captures again", async () => {
    const { counter, program } = counted();
    counter.fail = true;
    await assert.rejects(planStack({ dir: ROOT, stack: "staging", program }), /the program failed/);
    counter.fail = false;
    const p = planOf(await planStack({ dir: ROOT, stack: "staging", program }));
    assert.equal(counter.runs, 2);
    assert.ok(p.resources.some((r) => r.type === "test:index:Thing"));
  });
});
