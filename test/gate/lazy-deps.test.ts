import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { ROOT } from "../support/stacks";

/** What a fresh node process with tools/lazy-deps.js has loaded after `require("@pulumi/pulumi")`, then after use. */
const PROBE = `
const loaded = (re) => Object.keys(require.cache).some((f) => re.test(f));
const seen = () => ({
  typescript: loaded(/node_modules[\\\\/]typescript[\\\\/]/),
  arborist: loaded(/@npmcli[\\\\/]arborist[\\\\/]/),
  automation: loaded(/@pulumi[\\\\/]pulumi[\\\\/]automation[\\\\/]/),
});
const pulumi = require("@pulumi/pulumi");
const before = seen();
const workspace = typeof pulumi.automation.LocalWorkspace.create;
const afterAutomation = seen();
console.log(JSON.stringify({ before, workspace, afterAutomation }));
`;

describe("deferred modules (tools/lazy-deps.js)", function () {
  this.timeout(30_000);

  it("@pulumi/pulumi loads without typescript, arborist or the Automation API, and each still loads on first use", () => {
    const out = execFileSync(process.execPath, ["-r", path.join(ROOT, "tools", "lazy-deps.js"), "-e", PROBE], {
      cwd: ROOT,
      encoding: "utf8",
    });
    const r = JSON.parse(out) as {
      before: Record<string, boolean>;
      workspace: string;
      afterAutomation: Record<string, boolean>;
    };
    assert.deepEqual(r.before, { typescript: false, arborist: false, automation: false });
    assert.equal(r.workspace, "function", "pulumi.automation.LocalWorkspace is not usable behind the proxy");
    assert.equal(r.afterAutomation.automation, true);
  });
});
