#!/usr/bin/env node
/**
 * `npm test`: the mocha suite on every core (at most 2), in mocha's parallel mode: each worker process
 * takes the next spec file when it finishes one, so the cores stay busy to the end whatever a file costs
 * (fixed groups split by a weight per file were 10-15 s apart). Files go out heaviest first (longest
 * processing time first), by a weight per file. A worker keeps its module cache, shared evaluator and
 * pooled pack processes from one file to the next (test/support/hooks.ts); its pack processes end with
 * it (gate/pack-pool.ts, tools/exit-with-parent.js). Mocha prints each file's report when it completes.
 *
 * `npm test -- <mocha args>` (e.g. `-g "fast traffic"` or a file) runs one plain mocha process instead;
 * `TEST_JOBS=<n>` overrides the number of workers (1: one plain mocha process). Parallel mode refuses
 * `.only` (mocha: "'.only' is not supported in parallel mode"): run the file with `npm test -- <file>`.
 */
const { spawn } = require("node:child_process");
const { readdirSync, statSync } = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const root = path.join(__dirname, "..");
const mocha = path.join(root, "node_modules", "mocha", "bin", "mocha.js");
const args = process.argv.slice(2);

function specs(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return specs(full);
    return name.endsWith(".test.ts") ? [path.relative(root, full)] : [];
  });
}

/** About one second of a worker's time in weight units (the whole suite weighs ~736,000 for ~150 s). */
const SECOND = 4900;

/** Rehearsal scenarios and the pack-heavy suites cost far more per byte than unit tests. */
function weight(file) {
  const bytes = statSync(path.join(root, file)).size;
  // With PACK_TEST_INSTALL=npm (CI) the published pack test runs `npm install` and every fixture: 11 s
  // alone instead of 4 s.
  if (process.env.PACK_TEST_INSTALL === "npm" && file.endsWith("published-pack.test.ts")) return bytes * 2 + 7 * SECOND;
  if (file.includes("/scenarios/")) return bytes * 3.5;
  if (/test\/(gate|policy|rollout)\//.test(file)) return bytes * 2;
  return bytes;
}

/** mocha with these arguments, its output straight to ours; resolves to its exit code and wall time. */
function run(mochaArgs) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [mocha, ...mochaArgs], { cwd: root, stdio: "inherit" });
    child.on("close", (code, signal) =>
      resolve({ code: code ?? (signal ? 1 : 0), seconds: (Date.now() - started) / 1000 }),
    );
  });
}

async function main() {
  // Once, before the workers start: two processes must not rebuild shared/dist at the same time, nor
  // both transpile build/ (the pack's code, built by whichever worker starts a pack first) on a cold checkout.
  const build = require("./build");
  build.ensureShared(root);
  build.ensureBuild(root);
  if (args.length > 0) {
    // Only options (e.g. -g): the whole suite; a file or directory argument: just that.
    const named = args.some((a) => !a.startsWith("-") && /\.ts$|^test\//.test(a));
    const r = await run(named ? args : [...args, ...specs(path.join(root, "test"))]);
    process.exit(r.code);
  }
  const cores =
    Number(process.env.TEST_JOBS) || Math.min(2, Math.max(1, os.availableParallelism?.() ?? os.cpus().length));
  const files = specs(path.join(root, "test")).sort((a, b) => weight(b) - weight(a) || a.localeCompare(b));
  const parallel = cores > 1 ? ["--parallel", "--jobs", String(cores)] : [];
  const r = await run([...parallel, ...files]);
  console.log(`npm test: ${files.length} spec files, ${cores} worker(s), ${r.seconds.toFixed(1)} s`);
  process.exit(r.code);
}

main();
