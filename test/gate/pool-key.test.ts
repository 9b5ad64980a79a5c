import * as assert from "node:assert/strict";
import * as path from "node:path";
import { packPoolKey } from "../../gate/evaluator";
import { loadStackFiles } from "../../gate/stackfiles";
import { ROOT } from "../support/stacks";

const PACK = path.join(ROOT, "policy");
/** Another pack's directory (the key only compares paths: nothing is read from it). */
const OTHER_PACK = path.join(ROOT, "another-pack");

describe("pack pool key (gate/evaluator.ts packPoolKey), asked at every session", () => {
  it("is the same for the same files, and for files loaded again with the same content", () => {
    const files = loadStackFiles(ROOT, "prod");
    const first = packPoolKey(PACK, files);
    assert.deepEqual(packPoolKey(PACK, files), first);
    assert.deepEqual(packPoolKey(PACK, loadStackFiles(ROOT, "prod")), first);
  });

  it("changes its config key with a human key, not with the release keys the pack never reads", () => {
    const files = loadStackFiles(ROOT, "prod");
    const base = packPoolKey(PACK, files);
    const replicas = loadStackFiles(ROOT, "prod", { api: { replicas: 7 } });
    assert.notEqual(packPoolKey(PACK, replicas).configKey, base.configKey);
    assert.equal(packPoolKey(PACK, replicas).key, base.key, "this project's pack switches config: one process");
    const release = loadStackFiles(ROOT, "prod", { release: { version: "9.9.9" } });
    assert.equal(packPoolKey(PACK, release).configKey, base.configKey);
  });

  it("is asked again for another pack directory with the same files", () => {
    const files = loadStackFiles(ROOT, "prod");
    const ours = packPoolKey(PACK, files);
    const theirs = packPoolKey(OTHER_PACK, files);
    assert.notEqual(theirs.key, ours.key);
    assert.deepEqual(packPoolKey(PACK, files), ours);
    // Another pack cannot switch its stack config: a process per config it reads.
    const replicas = loadStackFiles(ROOT, "prod", { api: { replicas: 7 } });
    assert.notEqual(packPoolKey(OTHER_PACK, replicas).key, theirs.key);
  });
});
