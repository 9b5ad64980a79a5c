/**
 * The publish path (#17): `pulumi policy publish` ships `npm pack` of the pack directory, and a stack
 * that requires the pack gets the tarball extracted and `npm install`ed in an empty directory
 * (pkg/backend/httpstate/policypack.go:432 and :499-567 at v3.248). This test packs the pack the same way
 * (tools/pack-policy.js: the pack type-checked with its own tsconfig.json and compiled to JavaScript),
 * extracts the tarball into an empty directory, provides its declared registry dependencies, and starts it
 * with the command line and environment the Node.js language host uses for a policy pack
 * (sdk/nodejs/cmd/pulumi-language-nodejs/main.go:1548-1700 RunPlugin: the runtime options of the shipped
 * PulumiPolicy.yaml, `node <pack>/node_modules/@pulumi/pulumi/cmd/run-policy-pack <engine> <pack dir>`, cwd
 * the pack dir; run-policy-pack registers ts-node whatever the options, index.js:110 and run.js:145-160).
 * So a pack that imports a file outside policy/, or a package it does not declare, or that needs the
 * TypeScript runner, fails here; one that does not type-check is not packed at all.
 *
 * Dependencies: by default the registry packages are linked from this checkout's node_modules (the same
 * pinned versions policy/package.json declares; node resolves them by real path, so one instance of each).
 * With PACK_TEST_INSTALL=npm (set by .ci/run) the test runs a real `npm install` in the extracted
 * directory instead: what the CLI does.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { PolicyPackProcess, resolvePolicyConfig } from "../../gate/analyzer";
import type { CapturedPlan } from "../../gate/capture";
import { loadStackFiles } from "../../gate/stackfiles";
import { evaluate, INSIDE_WINDOW, type Pack } from "../support/policy";
import { plan, ROOT } from "../support/stacks";
import { fixtures } from "./fixtures";

// tools/pack-policy.js is plain CommonJS (it runs without a TypeScript loader).
const { packPolicy, stagedPolicyYaml } = require("../../tools/pack-policy.js") as {
  packPolicy(out: string, options?: { source?: string; typeCheck?: boolean }): string;
  stagedPolicyYaml(source: string): string;
};

const POLICY_DIR = path.join(ROOT, "policy");
interface PackageJson {
  dependencies: Record<string, string>;
}
const policyPackage = JSON.parse(readFileSync(path.join(POLICY_DIR, "package.json"), "utf8")) as PackageJson;

/** Extracts the tarball (contents under package/) into a fresh empty directory; returns the pack dir. */
function extract(tarball: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "published-pack-"));
  execFileSync("tar", ["xzf", tarball, "-C", dir]);
  return path.join(dir, "package");
}

/**
 * The tarball's declared dependencies: vendored `file:` ones linked inside the pack (what npm does for
 * them), registry ones linked from this checkout — or all `npm install`ed (PACK_TEST_INSTALL=npm).
 */
function installDependencies(dir: string): void {
  if (process.env.PACK_TEST_INSTALL === "npm") {
    // --prefer-offline: the versions resolve as from the registry, tarballs npm ci just cached are not fetched again.
    execFileSync("npm", ["install", "--prefer-offline", "--loglevel=error", "--no-audit", "--no-fund"], {
      cwd: dir,
      stdio: "inherit",
    });
    return;
  }
  const shipped = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as PackageJson;
  for (const [name, spec] of Object.entries(shipped.dependencies)) {
    const link = path.join(dir, "node_modules", name);
    mkdirSync(path.dirname(link), { recursive: true });
    const target = spec.startsWith("file:") ? path.join(dir, spec.slice(5)) : path.join(ROOT, "node_modules", name);
    symlinkSync(target, link, "dir");
  }
}

/**
 * The variables the language host derives from the pack's runtime options (main.go:289-301 parseOptions:
 * `typescript` defaults to true, anything but a boolean is an error; :1588-1590 sets PULUMI_NODEJS_TYPESCRIPT).
 */
function languageHostEnv(dir: string): Record<string, string> {
  const yaml = YAML.parse(readFileSync(path.join(dir, "PulumiPolicy.yaml"), "utf8")) as {
    runtime?: { options?: { typescript?: unknown } };
  };
  const typescript = yaml.runtime?.options?.typescript ?? true;
  if (typeof typescript !== "boolean") throw new Error("typescript option must be a boolean");
  return typescript ? { PULUMI_NODEJS_TYPESCRIPT: "true" } : {};
}

/** Starts the extracted pack with the language host's command line and configures it like the engine. */
async function startPublished(dir: string, stack: "prod"): Promise<Pack> {
  const files = loadStackFiles(ROOT, stack, {});
  const process = await PolicyPackProcess.start({
    packDir: dir,
    project: files.project,
    stack,
    config: files.config,
    secretKeys: files.secretKeys,
    startTimeoutMs: 180_000,
    command: {
      args: [path.join(dir, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack"), "127.0.0.1:1", dir],
      env: { ...languageHostEnv(dir), PULUMI_NODEJS_DRY_RUN: "true" },
    },
  });
  try {
    const info = await process.info();
    const file = JSON.parse(readFileSync(path.join(dir, "config", `${stack}.json`), "utf8"));
    const config = resolvePolicyConfig(info, file, { "release-window": { at: INSIDE_WINDOW[stack] } });
    await process.configure(config);
    return { process, info, config };
  } catch (e) {
    // Started but not handed out: nobody else would end it, and mocha would wait for it.
    process.close();
    throw e;
  }
}

/** Every .ts file under a directory. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const f = path.join(dir, e);
    if (e === "node_modules") return [];
    return statSync(f).isDirectory() ? sources(f) : f.endsWith(".ts") ? [f] : [];
  });
}

/** Module specifiers of a file's import/require/export-from statements. */
function imports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const re = /(?:\bfrom\s+|\brequire\(\s*|\bimport\(\s*|^import\s+)["']([^"']+)["']/gm;
  return [...text.matchAll(re)].map((m) => m[1]);
}

/** The package a bare specifier names ("@scope/name/x" → "@scope/name"). */
function packageOf(spec: string): string {
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

describe("published policy pack (npm pack → empty directory → the CLI's run-policy-pack)", function () {
  this.timeout(300_000);

  it("policy/ imports nothing outside itself but declared packages (the shared package and @pulumi/*)", () => {
    const outside: string[] = [];
    const undeclared: string[] = [];
    for (const file of sources(POLICY_DIR)) {
      for (const spec of imports(file)) {
        const where = `${path.relative(ROOT, file)}: ${spec}`;
        if (spec.startsWith(".")) {
          const target = path.resolve(path.dirname(file), spec);
          if (path.relative(POLICY_DIR, target).startsWith("..")) outside.push(where);
        } else if (!spec.startsWith("node:") && !(packageOf(spec) in policyPackage.dependencies)) {
          undeclared.push(where);
        }
      }
    }
    assert.deepEqual(outside, [], "relative imports leaving policy/");
    assert.deepEqual(undeclared, [], "imports of packages policy/package.json does not declare");
    assert.deepEqual(
      Object.keys(policyPackage.dependencies).sort(),
      ["@app-rollout/shared", "@pulumi/policy", "@pulumi/pulumi", "ts-node", "typescript"],
      "runtime dependencies of the pack",
    );
  });

  it("refuses `npm pack` in policy/ itself: there the shared package would come from a registry", () => {
    assert.throws(
      () => execFileSync("npm", ["pack", "--dry-run", "--loglevel=error"], { cwd: POLICY_DIR, stdio: "pipe" }),
      (e: Error & { stderr?: Buffer }) =>
        /publish the tarball of npm run pack:policy/.test(String(e.stderr)) || assert.fail(String(e.stderr)),
    );
  });

  describe("the tarball, extracted and started like the CLI does", () => {
    let dir = "";
    /** The tarball's entries (package/<path>). */
    let listing: string[] = [];
    let pack: Pack | undefined;
    let prod: CapturedPlan;

    before(async () => {
      const stageRoot = mkdtempSync(path.join(tmpdir(), "policy-pack-stage-"));
      // As `npm run pack:policy` packs it, but for its type-check of policy/ (~3 s of CPU): that is
      // `npm run typecheck` (tsc -p policy/tsconfig.json), and the refusal is the last case below.
      const tarball = packPolicy(path.join(stageRoot, "policy-pack"), { typeCheck: false });
      listing = execFileSync("tar", ["tzf", tarball], { encoding: "utf8" }).split("\n").filter(Boolean);
      dir = extract(tarball);
      rmSync(stageRoot, { recursive: true, force: true });
      installDependencies(dir);
      [prod, pack] = await Promise.all([plan("prod"), startPublished(dir, "prod")]);
    });
    after(() => {
      pack?.process.close();
      if (dir) rmSync(path.dirname(dir), { recursive: true, force: true });
    });

    it("carries the shared package inside, vendored (no registry lookup), and nothing else of the workspace", () => {
      const shipped = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as PackageJson;
      assert.equal(shipped.dependencies["@app-rollout/shared"], "file:vendor/shared");
      // The CLI takes npm pack's whole stdout as the tarball name: a lifecycle script's banner breaks publish.
      assert.equal(
        (shipped as { scripts?: unknown }).scripts,
        undefined,
        "no lifecycle scripts in the shipped package.json",
      );
      assert.ok(statSync(path.join(dir, "vendor", "shared", "dist", "index.js")).isFile(), "vendored shared package");
      const top = new Set(listing.map((f) => f.split("/")[1]));
      assert.deepEqual(
        [...top].sort(),
        ["PulumiPolicy.yaml", "config", "index.js", "lib", "package.json", "policies", "vendor"],
        "the tarball's top level: the pack, nothing else of the workspace (no node_modules, no nested tarball)",
      );
    });

    it("ships the pack compiled: JavaScript main, no TypeScript source, no TypeScript runner to install", () => {
      const shipped = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as PackageJson & {
        main: string;
      };
      assert.equal(shipped.main, "index.js");
      assert.deepEqual(
        listing.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")),
        [],
        "TypeScript sources in the tarball (the CLI would type-check them at every start)",
      );
      const compiled = listing.filter((f) => f.endsWith(".js") && !f.startsWith("package/vendor/"));
      assert.equal(compiled.length, sources(POLICY_DIR).length, "one compiled file per source file of policy/");
      const differing = compiled
        .map((f) => f.slice("package/".length))
        .filter((f) => !readFileSync(path.join(dir, f)).equals(readFileSync(path.join(ROOT, "build", "policy", f))));
      assert.deepEqual(differing, [], "shipped files that are not the code the gate judges (build/policy)");
      assert.deepEqual(Object.keys(shipped.dependencies).sort(), [
        "@app-rollout/shared",
        "@pulumi/policy",
        "@pulumi/pulumi",
      ]);
      assert.deepEqual(languageHostEnv(dir), {}, "PulumiPolicy.yaml runtime option typescript: false");
    });

    it("serves every policy and passes the committed prod plan", async () => {
      assert.ok(pack);
      assert.equal(pack.info.name, "app-readiness");
      assert.ok(pack.info.policies.length >= 40, `${pack.info.policies.length} policies`);
      const a = await pack.process.analyzeAll(prod.resources);
      assert.deepEqual(
        a.diagnostics.map((d) => `${d.policyName}: ${d.message}`),
        [],
      );
    });

    it("refuses the prod violating fixtures (all with PACK_TEST_INSTALL=npm, one per area otherwise), naming the policy and the reason", async () => {
      assert.ok(pack);
      const published = pack;
      // All of them on the CI step that installs from the registry (the publish path proper); in npm test
      // (linked dependencies) the first fixture of each policy area, so the tarball is exercised end to end
      // in every area without re-running the whole fixture library the area specs already run.
      const full = process.env.PACK_TEST_INSTALL === "npm";
      const prodFixtures = fixtures
        .filter((x) => x.stack === "prod")
        .filter((x, i, all) => full || all.findIndex((y) => y.policy.split("-")[0] === x.policy.split("-")[0]) === i);
      const missed = await Promise.all(
        prodFixtures.map(async (f) => {
          const a = await evaluate(published, f.make(prod), prod);
          const hits = a.diagnostics.filter((d) => d.policyName === f.policy);
          const level = published.config[f.policy].enforcementLevel;
          if (hits.some((d) => f.message.test(d.message) && d.enforcementLevel === level)) return [];
          return [`${f.policy} (${f.what}): got ${hits.map((d) => d.message).join(" | ") || "nothing"}`];
        }),
      );
      assert.ok(prodFixtures.length >= (full ? 30 : 6), `${prodFixtures.length} prod fixtures`);
      assert.deepEqual(missed.flat(), []);
    });
  });

  /** A small pack source in a fresh directory: policy/'s metadata and config, and this index.ts. */
  function smallPack(index: string): { work: string; source: string } {
    const work = mkdtempSync(path.join(tmpdir(), "policy-pack-small-"));
    const source = path.join(work, "policy");
    mkdirSync(path.join(source, "config"), { recursive: true });
    for (const f of ["PulumiPolicy.yaml", "package.json", "tsconfig.json"])
      writeFileSync(path.join(source, f), readFileSync(path.join(POLICY_DIR, f)));
    writeFileSync(path.join(source, "index.ts"), index);
    return { work, source };
  }

  it("packs nothing from a pack that does not type-check, names the file and the error, and removes the last pack", () => {
    const { work, source } = smallPack('export const retentionDays: number = "35";\n');
    const out = path.join(work, "policy-pack");
    // What an earlier run left: a whole stage and its tarball (publishing them after a refusal would ship
    // the old pack), or the start of a stage a killed or failed run left (it must not block the next run).
    const earlier = {
      "a whole stage": () => {
        mkdirSync(path.join(out, "vendor", "shared"), { recursive: true });
        writeFileSync(path.join(out, "package.json"), JSON.stringify({ name: "app-readiness-policies" }));
        writeFileSync(path.join(work, "app-readiness-policies-1.0.0.tgz"), "previous tarball");
      },
      "a stage cut short": () => {
        // A run that fails mid-stage (here: config/ is missing, so its copy fails after the JavaScript).
        rmSync(path.join(source, "config"), { recursive: true });
        assert.throws(() => packPolicy(out, { source, typeCheck: false }), /ENOENT.*config/);
        assert.ok(readdirSync(out).includes("index.js"), "the failed run left its stage");
        mkdirSync(path.join(source, "config"));
      },
    };
    try {
      for (const [what, leave] of Object.entries(earlier)) {
        leave();
        assert.throws(
          () => packPolicy(out, { source }),
          (e: Error) =>
            /does not type-check \(1 error/.test(e.message) &&
            /index\.ts\(1,14\): error TS2322: Type 'string' is not assignable to type 'number'/.test(e.message),
          what,
        );
        assert.deepEqual(readdirSync(work).sort(), ["policy"], `${what}: no staged directory, no tarball`);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it("refuses to stage into a directory that is not a staged pack (it would be emptied), before any work", () => {
    const { work, source } = smallPack("export const ok = true;\n");
    try {
      assert.throws(
        () => packPolicy(source, { source }),
        /is not empty and is not a staged app-readiness-policies pack/,
      );
      assert.deepEqual(readdirSync(source).sort(), [
        "PulumiPolicy.yaml",
        "config",
        "index.ts",
        "package.json",
        "tsconfig.json",
      ]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it("ships PulumiPolicy.yaml with typescript: false whatever the runtime's shape", () => {
    const { work, source } = smallPack("");
    const shipped = (yaml: string) => {
      writeFileSync(path.join(source, "PulumiPolicy.yaml"), yaml);
      return YAML.parse(stagedPolicyYaml(source)) as { description?: string; runtime: unknown };
    };
    try {
      const real = YAML.parse(readFileSync(path.join(POLICY_DIR, "PulumiPolicy.yaml"), "utf8"));
      assert.deepEqual(shipped(readFileSync(path.join(POLICY_DIR, "PulumiPolicy.yaml"), "utf8")), {
        ...real,
        runtime: { ...real.runtime, options: { ...real.runtime.options, typescript: false } },
      });
      assert.deepEqual(shipped("runtime: nodejs\n").runtime, { name: "nodejs", options: { typescript: false } });
      assert.deepEqual(shipped("runtime:\n  name: nodejs\n  options:\n    typescript: true\n").runtime, {
        name: "nodejs",
        options: { typescript: false },
      });
      assert.throws(() => shipped("runtime: [nodejs]\n"), /PulumiPolicy\.yaml: runtime: expected a map/);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
