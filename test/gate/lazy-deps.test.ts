import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ROOT } from "../support/stacks";

/**
 * What a fresh node process with tools/lazy-deps.js has loaded after requiring @pulumi/pulumi and
 * @pulumi/kubernetes's yaml module, then after using what each deferred module serves: the Automation API,
 * `computeCodePaths` (arborist, fdir for the workspaces, normalize-package-data for package.json) in a
 * small npm workspace, and `yaml.parse` with a `files` pattern (glob).
 */
const PROBE = `
const fs = require("node:fs"), path = require("node:path");
const loaded = (re) => Object.keys(require.cache).some((f) => re.test(f));
// The copies the deferring files would load (another package's nested copy, e.g. arborist's glob, is not it).
const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const k8sDir = path.dirname(require.resolve("@pulumi/kubernetes/package.json"));
const entry = (name, from) => require.resolve(name, { paths: [from] });
const FILES = {
  fdir: entry("fdir", path.join(pulumiDir, "runtime", "closure")),
  normalizePackageData: entry("normalize-package-data", path.join(pulumiDir, "runtime", "closure")),
  glob: entry("glob", path.join(k8sDir, "yaml")),
};
const seen = () => ({
  typescript: loaded(/node_modules[\\\\/]typescript[\\\\/]/),
  arborist: loaded(/@npmcli[\\\\/]arborist[\\\\/]/),
  automation: loaded(/@pulumi[\\\\/]pulumi[\\\\/]automation[\\\\/]/),
  ...Object.fromEntries(Object.entries(FILES).map(([k, f]) => [k, f in require.cache])),
});
const pulumi = require("@pulumi/pulumi");
const yaml = require("@pulumi/kubernetes/yaml/yaml");
const before = seen();
const workspace = typeof pulumi.automation.LocalWorkspace.create;
const dir = process.argv[1];
const write = (f, o) => {
  fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
  fs.writeFileSync(path.join(dir, f), JSON.stringify(o));
};
write("package.json", { name: "p", version: "1.0.0", dependencies: { d: "1.0.0" }, workspaces: ["pkgs/*"] });
write("pkgs/a/package.json", { name: "a", version: "1.0.0" });
write("node_modules/d/package.json", { name: "d", version: "1.0.0" });
(async () => {
  // glob.sync through the stand-in (a pattern no file matches: no resource is registered).
  const parsed = typeof yaml.parse({ files: path.join(dir, "none-*.yaml") }).apply;
  const afterParse = seen();
  process.chdir(dir);
  const codePaths = [...(await pulumi.runtime.computeCodePaths()).keys()];
  console.log(JSON.stringify({ before, workspace, parsed, afterParse, codePaths, after: seen() }));
})();
`;

describe("deferred modules (tools/lazy-deps.js)", function () {
  this.timeout(30_000);

  it("@pulumi/pulumi and kubernetes' yaml load without typescript, arborist, the Automation API, fdir, normalize-package-data or glob; each loads and works on first use", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "lazy-deps-"));
    try {
      const out = execFileSync(
        process.execPath,
        ["-r", path.join(ROOT, "tools", "lazy-deps.js"), "-e", PROBE, path.join(dir, "project")],
        { cwd: ROOT, encoding: "utf8" },
      );
      const r = JSON.parse(out) as {
        before: Record<string, boolean>;
        workspace: string;
        parsed: string;
        afterParse: Record<string, boolean>;
        codePaths: string[];
        after: Record<string, boolean>;
      };
      const none = { typescript: false, arborist: false, automation: false, fdir: false, normalizePackageData: false };
      assert.deepEqual(r.before, { ...none, glob: false });
      assert.equal(r.workspace, "function", "pulumi.automation.LocalWorkspace is not usable behind the proxy");
      assert.equal(r.parsed, "function", "yaml.parse with a files pattern did not return an Output");
      assert.deepEqual(r.afterParse, { ...none, automation: true, glob: true }, "yaml.parse loaded glob");
      assert.deepEqual(r.codePaths, ["node_modules/d"], "computeCodePaths did not find the package's dependency");
      assert.deepEqual(r.after, {
        typescript: false,
        arborist: true,
        automation: true,
        fdir: true,
        normalizePackageData: true,
        glob: true,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
