/**
 * A rehearsal starts its pack before the first capture (rollout/rehearse/runner.ts), so the pack process
 * loads while the world is built and the program runs, as the gate's does (gate/run.ts).
 */
import * as assert from "node:assert/strict";
import { Evaluator } from "../../gate/evaluator";
import type { StackFiles } from "../../gate/stackfiles";
import { stackPolicyNames } from "../../rollout/compose";
import { rehearse } from "../../rollout/rehearse/runner";
import { parseScenario } from "../../rollout/rehearse/scenario";
import { ROOT } from "../support/stacks";
import { NEW_IMAGE } from "../support/twin";

class StopAtFirstCapture extends Error {}

describe("rehearsal: the pack starts before the first capture", function () {
  this.timeout(60_000);

  it("asks the evaluator to warm this stack's pack before it plans anything", async () => {
    const events: string[] = [];
    const evaluator = new Evaluator({ dir: ROOT, stackPolicies: stackPolicyNames() });
    const warm = evaluator.warm.bind(evaluator);
    evaluator.warm = (files: StackFiles) => {
      events.push(`warm ${files.stack}`);
      return warm(files);
    };
    evaluator.plan = () => {
      events.push("plan");
      throw new StopAtFirstCapture();
    };
    try {
      // The capture refused, the release fails its first step (however it reports that): only the order matters.
      await rehearse({
        dir: ROOT,
        stack: "prod",
        image: NEW_IMAGE,
        version: "1.5.0",
        scenario: parseScenario({}),
        evaluator,
      })
        .then((run) => run.world.close())
        .catch(() => undefined);
    } finally {
      evaluator.close();
    }
    assert.equal(events[0], "warm prod", `events: ${events.join(", ")}`);
    assert.ok(events.includes("plan"), "the rehearsal never planned");
  });
});
