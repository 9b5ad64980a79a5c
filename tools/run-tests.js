#!/usr/bin/env node
/**
 * `npm test`: the mocha suite on every core. A rehearsal spends about half its wall time waiting for the
 * policy pack process (a real gRPC analyzer server), so one mocha process leaves a core idle; the spec
 * files are split into one group per core (at most 2), balanced by a weight per file, and each group runs
 * in its own mocha process with its own warm evaluator. Their reports are printed one after the other;
 * the exit code is the first non-zero one.
 *
 * `npm test -- <mocha args>` (e.g. `-g "fast traffic"` or a file) runs one plain mocha process instead;
 * `TEST_JOBS=<n>` overrides the number of groups (measured here: 3 is slower than 2 on 2 cores).
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

/** About one second of a group's time in weight units (the whole suite weighs ~736,000 for ~150 s). */
const SECOND = 4900;

/** Rehearsal scenarios and the pack-heavy suites cost far more per byte than unit tests. */
function weight(file) {
  const bytes = statSync(path.join(root, file)).size;
  // With PACK_TEST_INSTALL=npm (CI) the published pack test runs `npm install` and every fixture: 20 s
  // alone instead of 6 s.
  if (process.env.PACK_TEST_INSTALL === "npm" && file.endsWith("published-pack.test.ts"))
    return bytes * 2 + 14 * SECOND;
  if (file.includes("/scenarios/")) return bytes * 3.5;
  if (/test\/(gate|policy|rollout)\//.test(file)) return bytes * 2;
  return bytes;
}

function groups(files, n) {
  const out = Array.from({ length: n }, () => ({ files: [], weight: 0 }));
  for (const f of [...files].sort((a, b) => weight(b) - weight(a) || a.localeCompare(b))) {
    const lightest = out.reduce((a, b) => (b.weight < a.weight ? b : a));
    lightest.files.push(f);
    lightest.weight += weight(f);
  }
  return out.filter((g) => g.files.length > 0);
}

function run(files, stdio) {
  return new Promise((resolve) => {
    const chunks = [];
    const started = Date.now();
    const child = spawn(process.execPath, [mocha, ...files], { cwd: root, stdio: stdio ?? ["ignore", "pipe", "pipe"] });
    child.stdout?.on("data", (d) => chunks.push(d));
    child.stderr?.on("data", (d) => chunks.push(d));
    child.on("close", (code, signal) =>
      resolve({
        code: code ?? (signal ? 1 : 0),
        output: Buffer.concat(chunks),
        seconds: (Date.now() - started) / 1000,
      }),
    );
  });
}

async function main() {
  // Once, before the groups start: two mocha processes must not rebuild shared/dist at the same time.
  require("./build").ensureShared(root);
  if (args.length > 0) {
    // Only options (e.g. -g): the whole suite; a file or directory argument: just that.
    const named = args.some((a) => !a.startsWith("-") && /\.ts$|^test\//.test(a));
    const r = await run(named ? args : [...args, ...specs(path.join(root, "test"))], "inherit");
    process.exit(r.code);
  }
  const cores =
    Number(process.env.TEST_JOBS) || Math.min(2, Math.max(1, os.availableParallelism?.() ?? os.cpus().length));
  const parts = groups(specs(path.join(root, "test")), cores);
  if (parts.length === 1) process.exit((await run(parts[0].files, "inherit")).code);
  const results = await Promise.all(parts.map((g) => run(g.files)));
  let code = 0;
  results.forEach((r, i) => {
    const head = `mocha group ${i + 1}/${results.length} (${parts[i].files.length} files, ${r.seconds.toFixed(1)} s)`;
    process.stdout.write(`\n===== ${head} =====\n`);
    process.stdout.write(r.output);
    if (r.code !== 0 && code === 0) code = r.code;
  });
  process.exit(code);
}

main();
