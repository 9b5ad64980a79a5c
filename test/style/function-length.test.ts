import * as assert from "node:assert/strict";
import * as path from "node:path";
import { longFunctions, sourceFiles } from "../../tools/function-lengths";

const ROOT = path.join(__dirname, "..", "..");
/** Every source directory of the project. */
const HELD = [
  "bin",
  "components",
  "config",
  "dbchecks",
  "dbusers",
  "gate",
  "policy",
  "program",
  "rollout",
  "smoke",
  "tools",
];

describe("style: no function over 60 lines", () => {
  it(`holds in ${HELD.join(", ")}`, () => {
    const found = HELD.flatMap((d) => sourceFiles(path.join(ROOT, d))).flatMap((f) => longFunctions(f, 60));
    assert.deepEqual(
      found.map((f) => `${path.relative(ROOT, f.file)}:${f.line} ${f.name} (${f.lines} lines)`),
      [],
    );
  });

  it("the checker finds a long function (it would not pass vacuously)", () => {
    const long = longFunctions(path.join(ROOT, "tools", "function-lengths.ts"), 5);
    assert.ok(long.some((f) => f.name === "longFunctions"));
  });
});
