/**
 * A larger young generation for the commands that run a whole release in-process (`rollout rehearse`,
 * `rollout plan`: every stage captures the program under the mocks, which allocates heavily). With V8's
 * default young generation a third of such a run was scavenges; with `--max-semi-space-size=64` (the test
 * suite's own setting, .mocharc.json) a prod rehearsal spends ~60 % less time in GC (docs/gate.md
 * "Profile"). V8 sizes its heap when the process starts — `v8.setFlagsFromString` later has no effect on
 * it — so such a command runs in a child node with the flag, and this process only waits for it:
 * - the child gets this process's node flags, arguments, environment, working directory and stdio;
 * - SIGINT, SIGTERM and SIGHUP are passed on to it (a terminal's Ctrl-C reaches both: the offline commands
 *   end on the first), and this process ends as the child did: its exit code, or the same signal;
 * - the child ends when this process does, even by SIGKILL (an IPC channel it watches; unref'd, so it
 *   never keeps the child alive).
 * Nothing is re-run when the flag is already given (node flags or NODE_OPTIONS), or with
 * APP_ROLLOUT_YOUNG_GEN=0.
 */
const { spawn } = require("node:child_process");

const SEMI_SPACE_MB = 64;
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"];
const CHILD = "APP_ROLLOUT_YOUNG_GEN_CHILD";

function hasFlag() {
  const args = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)];
  return args.some((a) => /^--max-semi-space-size\b/.test(a));
}

/** In the child: end when the process that started it is gone. */
function watchParent() {
  if (process.env[CHILD] !== "1" || !process.channel) return;
  delete process.env[CHILD];
  process.channel.unref();
  process.on("disconnect", () => process.kill(process.pid, "SIGTERM"));
}

/**
 * Runs `argv` (process.argv) in a child node with the larger young generation when its command is one of
 * `commands`; returns true when it did (this process then ends as the child does), false to run here.
 */
function inYoungGeneration(argv, commands) {
  watchParent();
  if (!commands.includes(argv[2]) || process.env.APP_ROLLOUT_YOUNG_GEN === "0" || hasFlag()) return false;
  const child = spawn(
    process.execPath,
    [...process.execArgv, `--max-semi-space-size=${SEMI_SPACE_MB}`, ...argv.slice(1)],
    {
      stdio: ["inherit", "inherit", "inherit", "ipc"],
      env: { ...process.env, [CHILD]: "1" },
    },
  );
  const forward = (signal) => child.kill(signal);
  for (const s of SIGNALS) process.on(s, forward);
  child.on("error", (e) => {
    process.stderr.write(`cannot start node for ${argv[2]}: ${e.message}\n`);
    process.exit(1);
  });
  child.on("exit", (code, signal) => {
    if (signal) {
      for (const s of SIGNALS) process.removeListener(s, forward);
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code ?? 1);
  });
  return true;
}

module.exports = { inYoungGeneration, SEMI_SPACE_MB };
