#!/usr/bin/env node
/**
 * `npm run pack:policy`: the policy pack as `pulumi policy publish` ships it — a self-contained npm tarball.
 *
 * What the CLI does (pulumi v3.248): `pulumi policy publish` runs `npm pack` in the pack directory
 * (pkg/backend/httpstate/policypack.go:432 → sdk/nodejs/npm/npm.go:140 `npm pack --loglevel=error`) and
 * uploads the tarball; a stack that requires the pack gets it extracted into ~/.pulumi/policies and
 * `npm install`ed there (policypack.go:499-567, installRequiredPolicy → InstallDependencies). So the
 * tarball must carry everything that is not on the npm registry. The workspace package
 * @app-rollout/shared is vendored: its published files (package.json + dist/) are copied to
 * vendor/shared and the staged package.json depends on `file:vendor/shared`, so an install never asks a
 * registry for that name (bundleDependencies would not do: npm bundles nothing from a workspace, whose
 * node_modules is hoisted, an unclaimed scope on the registry is a dependency-confusion risk, and yarn
 * classic fetches bundled dependencies anyway — PulumiPolicy.yaml pins npm as the package manager).
 * policy/package.json's prepack refuses `npm pack` in policy/ itself.
 *
 * The pack is staged in build/policy-pack/ (the policy files, its own tsconfig.json, the vendored shared
 * package) and packed there, as the CLI packs it; the tarball goes to build/ (--pack-destination), never
 * into the staged directory a later `pulumi policy publish` packs again. Prints the tarball path on
 * stdout (last line).
 *
 *   node tools/pack-policy.js [--out <dir>]   (default build/policy-pack)
 */
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
const SHARED = "@app-rollout/shared";
/** Where the staged pack carries the shared package (inside the tarball, as ordinary files). */
const VENDORED = "vendor/shared";
/** Files of policy/ that make the pack: sources, metadata, the per-stack config files. */
// tsconfig.json is the pack's own compiler config: the CLI's TypeScript runner type-checks the pack with
// ./tsconfig.json (run-policy-pack/run.js:139-160), without this workspace's root tsconfig.
const POLICY_ENTRIES = ["index.ts", "PulumiPolicy.yaml", "package.json", "tsconfig.json", "lib", "policies", "config"];

/** The shared package's published files (package.json without scripts, dist/) copied to dest. */
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

/** policy/package.json with the shared package vendored: `file:vendor/shared`, never a registry name. */
function stagedPackageJson() {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, "policy", "package.json"), "utf8"));
  pkg.dependencies = { ...pkg.dependencies, [SHARED]: `file:${VENDORED}` };
  // No scripts: the CLI reads the tarball name from `npm pack`'s whole stdout (sdk/nodejs/npm/npm.go:139-161),
  // and npm prints a lifecycle banner there (pulumi/pulumi#6594). The prepack guard is for policy/ only.
  delete pkg.scripts;
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

/** Stages the pack directory; returns its path. */
function stage(out) {
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  for (const e of POLICY_ENTRIES) fs.cpSync(path.join(root, "policy", e), path.join(out, e), { recursive: true });
  fs.writeFileSync(path.join(out, "package.json"), stagedPackageJson());
  copySharedPackage(path.join(out, VENDORED));
  return out;
}

/**
 * Stages and packs; returns the absolute path of the tarball, written beside the staged directory
 * (`--pack-destination`), never inside it: `pulumi policy publish` there runs `npm pack` again.
 */
function packPolicy(out = path.join(root, "build", "policy-pack")) {
  const dir = stage(out);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const dest = path.dirname(dir);
  const json = execFileSync(npm, ["pack", "--loglevel=error", "--json", "--pack-destination", dest], {
    cwd: dir,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const [info] = JSON.parse(json);
  return path.join(dest, info.filename);
}

module.exports = { packPolicy, POLICY_ENTRIES };

if (require.main === module) {
  const i = process.argv.indexOf("--out");
  const out = i > 0 ? path.resolve(process.argv[i + 1]) : undefined;
  try {
    const tarball = packPolicy(out);
    const staged = out ?? path.join(root, "build", "policy-pack");
    console.error(`policy pack staged in ${staged}; publish with:`);
    console.error(`  (cd ${path.relative(process.cwd(), staged)} && pulumi policy publish <org>)`);
    console.log(tarball);
  } catch (e) {
    console.error(`pack:policy failed: ${e.message}`);
    process.exit(1);
  }
}
