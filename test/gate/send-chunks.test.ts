/**
 * The evaluator sends analyze requests in chunks (gate/evaluator.ts sendEach): the event loop turns
 * between chunks, so gRPC writes the first requests and the pack judges them while the gate encodes the rest.
 */
import * as assert from "node:assert/strict";
import type { CapturedResource } from "../../gate/capture";
import { SEND_CHUNK, sendEach } from "../../gate/evaluator";

const resources = (n: number) => Array.from({ length: n }, (_, i) => ({ urn: `urn:${i}` }) as CapturedResource);

describe("analyze requests sent in chunks (gate/evaluator.ts)", () => {
  it("lets the event loop run after each chunk, not only after the last request", async () => {
    const events: string[] = [];
    const turn = () =>
      setImmediate(() => {
        events.push("turn");
        if (events.length < 20) turn();
      });
    turn();
    await sendEach(resources(SEND_CHUNK * 2 + 1), async (r) => {
      events.push(r.urn);
    });
    const firstTurn = events.indexOf("turn");
    assert.equal(firstTurn, SEND_CHUNK, `the loop turned after ${firstTurn} requests`);
    assert.equal(events.indexOf("turn", firstTurn + 1), 2 * SEND_CHUNK + 1);
    assert.deepEqual(
      events.filter((e) => e !== "turn"),
      resources(SEND_CHUNK * 2 + 1).map((r) => r.urn),
      "requests left in plan order",
    );
  });

  it("a request that fails while later chunks are still sent is not an unhandled rejection", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on("unhandledRejection", onUnhandled);
    try {
      const sent = await sendEach(resources(SEND_CHUNK * 3), async (r) => {
        if (r.urn === "urn:0") throw new Error("pack call failed");
        return r.urn;
      });
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(unhandled, []);
      await assert.rejects(Promise.all(sent), /pack call failed/);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});
