/**
 * The spec of one policy area (compliance-policies: a spec per policy, grouped here by area): every
 * violating fixture of the area's policies, run against the real pack of its stack over gRPC, must be
 * refused by that policy with its message at the stack's enforcement level. Area-specific cases are added
 * by the area's spec file inside the same describe.
 */
import * as assert from "node:assert/strict";
import type { Analysis } from "../../gate/analyzer";
import type { CapturedPlan } from "../../gate/capture";
import type { Area } from "../../policy/lib/define";
import { evaluate, type Pack, sharedPack } from "../support/policy";
import { plan, STACKS, type StackName } from "../support/stacks";
import { fixtures } from "./fixtures";

export function diagnosticsOf(a: Analysis, policy: string) {
  return a.diagnostics.filter((d) => d.policyName === policy);
}

export interface AreaContext {
  packs: Record<StackName, Pack>;
  plans: Record<StackName, CapturedPlan>;
}

/** Describes the area's fixtures; `extra` adds the area's own cases with the started packs and plans. */
export function describeArea(area: Area, extra?: (ctx: AreaContext) => void): void {
  describe(`${area}-* policies (real pack over the analyzer gRPC protocol)`, function () {
    this.timeout(120_000);
    const ctx: AreaContext = { packs: {} as AreaContext["packs"], plans: {} as AreaContext["plans"] };
    before(async () => {
      for (const stack of STACKS) ctx.plans[stack] = await plan(stack);
      for (const stack of STACKS) ctx.packs[stack] = await sharedPack(stack);
    });

    for (const f of fixtures.filter((x) => x.policy.startsWith(`${area}-`))) {
      it(`${f.policy} catches ${f.what} (${f.stack})`, async () => {
        const { packs, plans } = ctx;
        const a = await evaluate(packs[f.stack], f.make(plans[f.stack]), plans[f.stack]);
        const hits = diagnosticsOf(a, f.policy);
        assert.ok(
          hits.length > 0,
          `${f.policy} did not fire; got ${a.diagnostics.map((d) => d.policyName).join(", ") || "nothing"}`,
        );
        assert.ok(
          hits.some((d) => f.message.test(d.message)),
          `messages: ${hits.map((d) => d.message).join(" | ")}`,
        );
        assert.equal(hits[0].enforcementLevel, packs[f.stack].config[f.policy].enforcementLevel);
      });
    }
    extra?.(ctx);
  });
}
