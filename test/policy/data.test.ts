/** The data-* policies: their violating fixtures (fixtures/data.ts) against the real pack, and their own cases. */
import * as assert from "node:assert/strict";
import { evaluate, mutate } from "../support/policy";
import { describeArea, diagnosticsOf } from "./area";
import { T } from "./fixtures";

describeArea("data", ({ packs, plans }) => {
  it("data-deletion-safety: a restored instance in clean-up may drop protect while it keeps deletion protection", async () => {
    const retiring = mutate(plans.prod, T.db, "db-instance", (x, r) => {
      x.tags = { ...(x.tags ?? {}), "rollout/restore-state": "retiring" };
      r.options.protect = false;
    });
    assert.deepEqual(diagnosticsOf(await evaluate(packs.prod, retiring, plans.prod), "data-deletion-safety"), []);
  });
});
