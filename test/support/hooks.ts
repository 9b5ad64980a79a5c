/** Mocha root hooks: the rehearsal evaluator shared by the driver's scenarios is closed once, at the end. */
import { closeSharedEvaluator } from "./twin";

export const mochaHooks = {
  afterAll(): void {
    closeSharedEvaluator();
  },
};
