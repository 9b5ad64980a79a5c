/**
 * Mocha root hooks: the rehearsal evaluator shared by the driver's scenarios and the policy packs shared
 * by the policy specs are closed once, at the end of a plain mocha run. ./policy and ./twin are required
 * only then (already loaded by the specs that use them): in parallel mode mocha's main process loads this
 * file too, and their module graphs (the SDK, grpc, the driver) cost it ~1 s of CPU for nothing.
 */
import { keepIdlePacks } from "../../gate/pack-pool";

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
    (require("./twin") as typeof import("./twin")).closeSharedEvaluator();
    await (require("./policy") as typeof import("./policy")).closeSharedPacks();
    keepIdlePacks(false);
  },
};
