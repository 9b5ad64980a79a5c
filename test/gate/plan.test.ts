/**
 * gate/plan.ts `planStack`: a config captured once per process. Every caller of the same program, stack,
 * config and mode gets the same frozen plan; anything a capture reads that differs captures again, and a
 * capture that fails is not kept.
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { type PlanResult, planStack } from "../../gate/plan";
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
