/**
 * bin/rollout.js as it is run — through its #! line (npm's bin link) and `npm run rollout` — starts node
 * with the larger young generation its rehearsal needs (docs/gate.md "Profile"). A preload given through
 * NODE_OPTIONS reports the node flags of the process the executable became.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const ROOT = path.join(__dirname, "..", "..");

describe("the rollout executable", function () {
  this.timeout(30_000);
  let dir: string;
  let probe: string;

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "rollout-bin-"));
    probe = path.join(dir, "probe.js");
    writeFileSync(probe, 'process.stderr.write("execArgv=" + JSON.stringify(process.execArgv) + "\\n");');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const flagsOf = (cmd: string, args: string[]) => {
    const env = { ...process.env, NODE_OPTIONS: `--require ${probe}` };
    const r = spawnSync(cmd, args, { cwd: ROOT, env, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Usage: npm run rollout/m);
    // The last process to report is the one that ran the command (npm itself is a node process too).
    const reports = [...r.stderr.matchAll(/execArgv=(.*)/g)];
    return JSON.parse(reports.at(-1)?.[1] ?? "null") as string[];
  };

  it("run as an executable, starts node with --max-semi-space-size=64", () => {
    assert.deepEqual(flagsOf(path.join(ROOT, "bin", "rollout.js"), ["--help"]), ["--max-semi-space-size=64"]);
  });

  it("npm run rollout runs the executable, so it gets the flag too", () => {
    assert.deepEqual(flagsOf("npm", ["run", "-s", "rollout", "--", "--help"]), ["--max-semi-space-size=64"]);
  });
});
