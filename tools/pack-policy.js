#!/usr/bin/env node
/**
 * `npm run pack:policy`: the policy pack as `pulumi policy publish` ships it — a self-contained npm tarball.
 *
 * What the CLI does (pulumi v3.248): `pulumi policy publish` runs `npm pack` in the pack directory
 * (pkg/backend/httpstate/policypack.go:432 → sdk/nodejs/npm/npm.go:140 `npm pack --loglevel=error`) and
 * uploads the tarball; a stack that requires the pack gets it extracted into ~/.pulumi/policies and
 * `npm install`ed there (policypack.go:499-567, installRequiredPolicy → InstallDependencies). So the
 * tarball must carry everything that is not on the npm registry: the workspace package
 * @app-rollout/shared is bundled (policy/package.json `bundleDependencies`), everything else is a
 * declared dependency.
 *
 * In this workspace policy/node_modules is empty (npm hoists), so `npm pack` in policy/ would bundle
 * nothing. The pack is therefore staged in build/policy-pack/: the policy sources and package.json, plus a
 * real copy (not the workspace symlink) of @app-rollout/shared's published files (package.json + dist/).
 * Then `npm pack` there, exactly as the CLI runs it. Prints the tarball path on stdout (last line).
 *
 *   node tools/pack-policy.js [--out <dir>]   (default build/policy-pack)
 */
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
/** Files of policy/ that make the pack: sources, metadata, the per-stack config files. */
// tsconfig.json is the pack's own compiler config: the CLI's TypeScript runner type-checks the pack with
// ./tsconfig.json (run-policy-pack/run.js:139-160), without this workspace's root tsconfig.
const POLICY_ENTRIES = ["index.ts", "PulumiPolicy.yaml", "package.json", "tsconfig.json", "lib", "policies", "config"];

function copySharedPackage(dest) {
  require("./build").ensureShared(root);
  const src = path.join(root, "shared");
  const pkg = JSON.parse(fs.readFileSync(path.join(src, "package.json"), "utf8"));
  fs.mkdirSync(dest, { recursive: true });
  const { scripts: _scripts, ...published } = pkg;
  fs.writeFileSync(path.join(dest, "package.json"), `${JSON.stringify(published, null, 2)}\n`);
  for (const entry of pkg.files) {
    fs.cpSync(path.join(src, entry), path.join(dest, entry), {
      recursive: true,
      filter: (f) => path.basename(f) !== ".stamp",
    });
  }
}

/** Stages the pack directory; returns its path. */
function stage(out) {
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  for (const e of POLICY_ENTRIES) fs.cpSync(path.join(root, "policy", e), path.join(out, e), { recursive: true });
  copySharedPackage(path.join(out, "node_modules", "@app-rollout", "shared"));
  return out;
}

/** Stages and packs; returns the absolute path of the tarball. */
function packPolicy(out = path.join(root, "build", "policy-pack")) {
  const dir = stage(out);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const json = execFileSync(npm, ["pack", "--loglevel=error", "--json"], { cwd: dir, encoding: "utf8" });
  const [info] = JSON.parse(json);
  return path.join(dir, info.filename);
}

module.exports = { packPolicy, POLICY_ENTRIES };

if (require.main === module) {
  const i = process.argv.indexOf("--out");
  const out = i > 0 ? path.resolve(process.argv[i + 1]) : undefined;
  try {
    const tarball = packPolicy(out);
    console.error(`policy pack staged in ${path.dirname(tarball)}; publish with:`);
    console.error(`  (cd ${path.relative(process.cwd(), path.dirname(tarball))} && pulumi policy publish <org>)`);
    console.log(tarball);
  } catch (e) {
    console.error(`pack:policy failed: ${e.message}`);
    process.exit(1);
  }
}
