/**
 * Mocha root hooks: the rehearsal evaluator shared by the driver's scenarios and the policy packs shared
 * by the policy specs are closed once, at the end.
 */
import { keepIdlePacks } from "../../gate/pack-pool";
import { closeSharedPacks } from "./policy";
import { closeSharedEvaluator } from "./twin";

export const mochaHooks = {
  beforeAll(): void {
    // Specs' own evaluators (and the CLI's, run in process) reuse the pooled pack processes between them.
    keepIdlePacks(true);
  },
  async afterAll(): Promise<void> {
    closeSharedEvaluator();
    await closeSharedPacks();
    keepIdlePacks(false);
  },
};
