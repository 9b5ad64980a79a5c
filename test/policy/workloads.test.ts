/** The workloads-* policies: their violating fixtures (fixtures/workloads.ts) against the real pack, and their own cases. */
import * as assert from "node:assert/strict";
import { preStopSeconds } from "../../policy/policies/workloads/zero-downtime";
import { describeArea } from "./area";

describeArea("workloads", () => {
  it("workloads-zero-downtime reads every preStop form a pod spec allows", () => {
    const hook = (preStop: unknown) => preStopSeconds({ lifecycle: { preStop } });
    assert.equal(hook({ sleep: { seconds: 40 } }), 40);
    assert.equal(hook({ exec: { command: ["sleep", "40"] } }), 40);
    assert.equal(hook({ exec: { command: ["/bin/sleep", "40"] } }), 40);
    assert.equal(hook({ exec: { command: ["sh", "-c", "sleep 1m"] } }), 60);
    assert.equal(hook({ exec: { command: ["sh", "-c", "'sleep 2m'"] } }), 120);
    assert.equal(hook({ httpGet: { path: "/drain", port: 8080 } }), "unknown", "the app drains itself: not judged");
    assert.equal(hook({ exec: { command: "sleep 40" } }), "unknown", "a malformed command is not read");
    assert.equal(preStopSeconds({}), undefined);
    assert.equal(preStopSeconds({ lifecycle: null }), undefined);
  });
});
