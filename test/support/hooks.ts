/**
 * Mocha root hooks: the rehearsal evaluator shared by the driver's scenarios and the policy packs shared
 * by the policy specs are closed once, at the end.
 */
import { closeSharedPacks } from "./policy";
import { closeSharedEvaluator } from "./twin";

export const mochaHooks = {
  async afterAll(): Promise<void> {
    closeSharedEvaluator();
    await closeSharedPacks();
  },
};
