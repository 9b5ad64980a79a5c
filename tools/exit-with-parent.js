/**
 * Preloaded into the gate's policy pack process (gate/runtime.ts packEntry). PolicyPackProcess.start
 * (gate/analyzer.ts) gives the pack a pipe as stdin and sets PACK_PARENT_PIPE=1; nothing is ever written to
 * it. When the process that started the pack ends — returns, crashes, or is killed with SIGKILL — the
 * kernel closes the pipe's other end, stdin ends here, and the pack exits instead of serving on as an
 * orphan (a gate killed by SIGTERM, a test worker killed by mocha, a CI job cancelled).
 */
if (process.env.PACK_PARENT_PIPE === "1") {
  const exit = () => process.exit(0);
  process.stdin.on("end", exit);
  process.stdin.on("error", exit);
  process.stdin.resume();
}
