/**
 * Mocha root hooks: the rehearsal evaluator shared by the driver's scenarios and the policy packs shared
 * by the policy specs are closed once, at the end of a plain mocha run.
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
    // In mocha's parallel mode root hooks run around every spec file (mocha lib/nodejs/worker.cjs passes
    // them to each file's run): a worker keeps its evaluator and packs for the next file, and its pooled
    // pack processes end with it (gate/pack-pool.ts, tools/exit-with-parent.js).
    if (process.env.MOCHA_WORKER_ID !== undefined) return;
    closeSharedEvaluator();
    await closeSharedPacks();
    keepIdlePacks(false);
  },
};
