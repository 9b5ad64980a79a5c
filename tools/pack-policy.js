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
 * The pack ships compiled: `npm run pack:policy` type-checks policy/ with the pack's own tsconfig.json (a
 * type error stops it, naming the file and line), then ships build/policy's JavaScript (the code the gate
 * and the policy specs judge), and the staged package.json's main is index.js.
 * So the CLI never type-checks the pack at start: its run-policy-pack always registers ts-node with
 * `typeCheck: true` under node (run-policy-pack/index.js:110 `typeScript: !process.versions.bun`,
 * run.js:145-166; the language host's PULUMI_NODEJS_TYPESCRIPT is not read there), and ts-node compiles
 * only .ts files. Type-checking the TypeScript pack cost ~3 s of CPU at every start of the pack (every
 * `pulumi preview` / `up` that requires it: 5.1 s → 2.2 s for the published-pack spec's pack process).
 * TypeScript and ts-node are therefore not runtime dependencies of the shipped pack (the SDK's vendored
 * TypeScript 3.8 / ts-node 7 take the registration: @pulumi/pulumi tsutils.js typeScriptRequireStrings),
 * and the staged PulumiPolicy.yaml says `typescript: false` (the language host reads it,
 * pulumi-language-nodejs main.go:289-301 parseOptions and :1588-1590). policy/ itself stays TypeScript,
 * with its TypeScript dependencies, for `--policy-pack policy`. A refused pack leaves no stage and no
 * tarball behind (the last good ones are removed first); `--out` never empties a directory that is not a
 * staged pack.
 *
 * The pack is staged in build/policy-pack/ (the compiled pack, PulumiPolicy.yaml, the per-stack config
 * files, the vendored shared package) and packed there, as the CLI packs it; the tarball goes to build/
 * (--pack-destination), never into the staged directory a later `pulumi policy publish` packs again.
 * Prints the tarball path on stdout (last line).
 *
 *   node tools/pack-policy.js [--out <dir>]   (default build/policy-pack; exit 1 refused, 2 usage)
 */
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
const SHARED = "@app-rollout/shared";
/** Where the staged pack carries the shared package (inside the tarball, as ordinary files). */
const VENDORED = "vendor/shared";
/** Files of policy/ shipped as they are, beside the compiled pack: metadata and the per-stack config files. */
const POLICY_ENTRIES = ["PulumiPolicy.yaml", "config"];
/** Written first into a stage: a run killed or failed mid-stage leaves a directory the next run may replace. */
const STAGE_MARKER = ".app-rollout-policy-stage";
/** Runtime dependencies of policy/ (its TypeScript runner) that the compiled pack does not need. */
const TYPESCRIPT_ONLY = ["typescript", "ts-node"];

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

/**
 * policy/package.json as shipped: the shared package vendored (`file:vendor/shared`, never a registry
 * name), main the compiled index.js, no TypeScript runner among the dependencies.
 */
function stagedPackageJson(source) {
  const pkg = JSON.parse(fs.readFileSync(path.join(source, "package.json"), "utf8"));
  const dependencies = { ...pkg.dependencies, [SHARED]: `file:${VENDORED}` };
  for (const name of TYPESCRIPT_ONLY) delete dependencies[name];
  // No scripts: the CLI reads the tarball name from `npm pack`'s whole stdout (sdk/nodejs/npm/npm.go:139-161),
  // and npm prints a lifecycle banner there (pulumi/pulumi#6594). The prepack guard is for policy/ only.
  const { scripts: _scripts, ...rest } = pkg;
  const files = ["index.js", "lib", "policies", ...POLICY_ENTRIES, "vendor"];
  return `${JSON.stringify({ ...rest, main: "index.js", files, dependencies }, null, 2)}\n`;
}

/**
 * PulumiPolicy.yaml as shipped: the runtime option `typescript: false` (the pack is JavaScript), also when
 * the runtime is the shorthand `runtime: nodejs` (sdk/go/common/workspace/project.go ProjectRuntimeInfo).
 */
function stagedPolicyYaml(source) {
  const YAML = require("yaml");
  const file = path.join(source, "PulumiPolicy.yaml");
  const doc = YAML.parseDocument(fs.readFileSync(file, "utf8"));
  if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
  const runtime = doc.get("runtime");
  if (typeof runtime === "string") doc.set("runtime", doc.createNode({ name: runtime }));
  else if (!YAML.isMap(runtime)) throw new Error(`${file}: runtime: expected a map with name: nodejs`);
  if (!YAML.isMap(doc.getIn(["runtime", "options"]))) doc.setIn(["runtime", "options"], doc.createNode({}));
  const options = doc.getIn(["runtime", "options"]);
  options.delete("typescript");
  const typescript = doc.createPair("typescript", false);
  typescript.key.commentBefore =
    " The pack is compiled JavaScript (npm run pack:policy, which type-checks it): no TypeScript runner.";
  options.add(typescript);
  return doc.toString({ lineWidth: 0 });
}

/** The pack's source files: what its own tsconfig.json includes. */
function packConfig(source) {
  const ts = require("typescript");
  const parsed = ts.getParsedCommandLineOfConfigFile(
    path.join(source, "tsconfig.json"),
    { noEmit: true },
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(`${source}/tsconfig.json: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
      },
    },
  );
  return parsed;
}

/**
 * Type-checks the pack with its own tsconfig.json (its rootDir is the pack directory, so an import of a file
 * outside it is an error too). Throws with the compiler's diagnostics, file and line, on any error.
 */
function typeCheck(source) {
  const ts = require("typescript");
  const parsed = packConfig(source);
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
  const errors = [...parsed.errors, ...ts.getPreEmitDiagnostics(program)].filter(
    (d) => d.category === ts.DiagnosticCategory.Error,
  );
  if (errors.length === 0) return;
  const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => "\n" };
  throw new Error(`the pack does not type-check (${errors.length} error(s)):\n${ts.formatDiagnostics(errors, host)}`);
}

/**
 * The pack's JavaScript in out, file for file: the transform of build/ (tools/build.js transpile), so the
 * shipped code is the code the gate and the policy specs judge — for policy/ itself, build/policy's very
 * files (rebuilt first when they are not the transform of the sources' current contents, as the gate does:
 * tools/build.js `stale`). Any other file beside the sources (e.g. JSON a policy imports) ships as it is;
 * declaration files (.d.ts) have no JavaScript and stay out.
 */
function emitJavaScript(source, out) {
  const build = require("./build");
  const built = path.resolve(source) === path.join(root, "policy");
  if (built) build.ensureBuild(root);
  const files = packConfig(source).fileNames.filter((f) => !f.endsWith(".d.ts"));
  for (const dir of new Set(files.map((f) => path.relative(source, f).split(path.sep)[0]))) {
    const from = path.join(source, dir);
    if (!fs.statSync(from).isDirectory()) continue;
    fs.cpSync(from, path.join(out, dir), { recursive: true, filter: (f) => !f.endsWith(".ts") });
  }
  for (const file of files) {
    const rel = path.relative(source, file).replace(/\.ts$/, ".js");
    const target = path.join(out, rel);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    if (built) fs.copyFileSync(path.join(root, "build", "policy", rel), target);
    else fs.writeFileSync(target, build.transpile(file));
  }
}

/**
 * Empties out for a new stage, refusing a directory that is not a staged pack of this name (an `--out`
 * mistyped as policy/ or build/ must not be wiped).
 */
function clearStage(out, name) {
  let entries;
  try {
    entries = fs.readdirSync(out);
  } catch {
    return;
  }
  let staged;
  try {
    staged = JSON.parse(fs.readFileSync(path.join(out, "package.json"), "utf8")).name;
  } catch {}
  const isStage =
    fs.existsSync(path.join(out, STAGE_MARKER)) || (staged === name && fs.existsSync(path.join(out, VENDORED)));
  if (entries.length > 0 && !isStage)
    throw new Error(`${out} is not empty and is not a staged ${name} pack: not replacing it (choose another --out)`);
  fs.rmSync(out, { recursive: true, force: true });
}

/** Stages the pack directory (the compiled pack of `source`, the texts written as given); returns its path. */
function stage(out, source, texts) {
  fs.mkdirSync(out, { recursive: true });
  // Not in the tarball: package.json's `files` lists what npm packs.
  fs.writeFileSync(path.join(out, STAGE_MARKER), "");
  emitJavaScript(source, out);
  for (const e of POLICY_ENTRIES) fs.cpSync(path.join(source, e), path.join(out, e), { recursive: true });
  for (const [file, text] of Object.entries(texts)) fs.writeFileSync(path.join(out, file), text);
  copySharedPackage(path.join(out, VENDORED));
  return out;
}

/** The file name `npm pack` gives the tarball of this package.json (`@scope/name` → `scope-name-<version>.tgz`). */
function tarballName(pkg) {
  return `${pkg.name.replace(/^@/, "").replace("/", "-")}-${pkg.version}.tgz`;
}

/**
 * Type-checks, stages and packs; returns the absolute path of the tarball, written beside the staged
 * directory (`--pack-destination`), never inside it: `pulumi policy publish` there runs `npm pack` again.
 * The previous stage and tarball go first: a pack that does not type-check leaves neither behind.
 */
function packPolicy(out = path.join(root, "build", "policy-pack"), options = {}) {
  /** `source`: the pack's directory (@default policy/); `typeCheck` (@default true): see typeCheck(). */
  const { source = path.join(root, "policy"), typeCheck: check = true } = options;
  const pkg = JSON.parse(fs.readFileSync(path.join(source, "package.json"), "utf8"));
  const dest = path.dirname(out);
  clearStage(out, pkg.name);
  fs.rmSync(path.join(dest, tarballName(pkg)), { force: true });
  // Both before anything is written: a malformed PulumiPolicy.yaml stages nothing.
  const texts = { "PulumiPolicy.yaml": stagedPolicyYaml(source), "package.json": stagedPackageJson(source) };
  // The pack's imports of the shared package resolve to its built declarations (shared/dist).
  require("./build").ensureShared(root);
  if (check) typeCheck(source);
  const dir = stage(out, source, texts);
  const windows = process.platform === "win32";
  // npm is npm.cmd on Windows, which node (>= 20.12.2, CVE-2024-27980) runs only through a shell: no
  // argument may need quoting there, so the destination (the stage's parent) is "..".
  const json = execFileSync(
    windows ? "npm.cmd" : "npm",
    ["pack", "--loglevel=error", "--json", "--pack-destination", ".."],
    {
      cwd: dir,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      shell: windows,
    },
  );
  const [info] = JSON.parse(json);
  return path.join(dest, info.filename);
}

module.exports = { packPolicy, stagedPolicyYaml, POLICY_ENTRIES };

if (require.main === module) {
  const args = process.argv.slice(2);
  const i = args.indexOf("--out");
  const usage = "usage: node tools/pack-policy.js [--out <dir>]";
  if (i >= 0 && (args[i + 1] === undefined || args[i + 1].startsWith("-"))) {
    console.error(`pack:policy: --out needs a directory (${usage})`);
    process.exit(2);
  }
  const unknown = args.filter((_, j) => i < 0 || (j !== i && j !== i + 1));
  if (unknown.length > 0) {
    console.error(`pack:policy: unknown argument ${unknown[0]} (${usage})`);
    process.exit(2);
  }
  const out = i >= 0 ? path.resolve(args[i + 1]) : undefined;
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
