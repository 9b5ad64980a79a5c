/**
 * Enforcement timing (docs/policies.md): the pack judges the plan as a fresh `pulumi preview` sends it —
 * computed outputs (ARNs, ids, addresses) and the values derived from them unknown (gate/capture.ts
 * `preview`). A policy that reads an unknown value becomes an advisory "can't run" there; these tests hold
 * the pack to relating resources by URN, tags and inputs instead, so each violating fixture is still caught.
 */
import * as assert from "node:assert/strict";
import type { CapturedPlan } from "../../gate/capture";
import { planStack } from "../../gate/plan";
import { runGate } from "../../gate/run";
import { evaluate, INSIDE_WINDOW, type Pack, sharedPack } from "../support/policy";
import { ROOT, type StackName } from "../support/stacks";
import { sharedEvaluator } from "../support/twin";
import { fixtures } from "./fixtures";

const CANT_RUN = /^can't run policy/;

/** Policies that may need a value only the update computes, each with the reason (docs/policies.md). */
const NEEDS_COMPUTED: Record<string, string> = {};

describe("the pack at preview time: computed values unknown, every mandatory policy still judges", function () {
  this.timeout(180_000);
  const plans = {} as Record<StackName, CapturedPlan>;
  const packs = {} as Record<StackName, Pack>;

  before(async () => {
    for (const stack of ["staging", "prod"] as const) {
      const r = await planStack({ dir: ROOT, stack, preview: true });
      if (!r.ok) throw new Error(JSON.stringify(r.problems));
      plans[stack] = r.plan;
    }
    [packs.staging, packs.prod] = await Promise.all([sharedPack("staging"), sharedPack("prod")]);
  });

  it("the preview plan really has unknowns (ARNs of resources being created, values derived from them)", () => {
    const listener = plans.prod.resources.find((r) => r.name === "traffic-https")!;
    assert.match(JSON.stringify(listener.inputs), /04da6b54-80e4-46f7-96ec-b56ff0331ba9/);
    const db = plans.prod.resources.find((r) => r.name === "db-instance")!;
    assert.equal((db.outputs as Record<string, unknown>).arn, "04da6b54-80e4-46f7-96ec-b56ff0331ba9");
  });

  for (const stack of ["staging", "prod"] as const)
    it(`the committed ${stack} preview: no violation, and no policy that cannot run beyond NEEDS_COMPUTED`, async () => {
      const a = await evaluate(packs[stack], plans[stack]);
      const cantRun = a.diagnostics.filter((d) => CANT_RUN.test(d.message));
      assert.deepEqual(
        cantRun.map((d) => d.policyName).filter((p) => !(p in NEEDS_COMPUTED)),
        [],
        cantRun.map((d) => d.message).join("\n"),
      );
      assert.deepEqual(
        a.diagnostics.filter((d) => !CANT_RUN.test(d.message)).map((d) => `${d.policyName}: ${d.message}`),
        [],
      );
    });

  for (const f of fixtures)
    it(`at preview, ${f.policy} still catches ${f.what} (${f.stack})`, async () => {
      // The resources the fixture changed, then the stack (as an update would): the others are the committed
      // preview's, judged clean by the test above.
      const a = await evaluate(packs[f.stack], f.make(plans[f.stack]), plans[f.stack]);
      const hits = a.diagnostics.filter((d) => d.policyName === f.policy && !CANT_RUN.test(d.message));
      const cant = a.diagnostics.find((d) => d.policyName === f.policy && CANT_RUN.test(d.message));
      assert.ok(
        hits.some((d) => f.message.test(d.message)),
        cant ? `could not run: ${cant.message}` : `messages: ${hits.map((d) => d.message).join(" | ") || "none"}`,
      );
    });

  it("gate --preview reports which policies could not run (none for prod) and stays go", async () => {
    const r = await runGate({
      dir: ROOT,
      stack: "prod",
      preview: true,
      at: new Date(INSIDE_WINDOW.prod),
      evaluator: sharedEvaluator(),
    });
    assert.equal(r.decision, "go", JSON.stringify(r.violations));
    assert.deepEqual(
      r.notRun.map((n) => n.policy),
      [],
    );
  });
});
