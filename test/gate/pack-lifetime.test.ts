/**
 * A pack server must not outlive the process that started it, however that process ends: the pack's
 * stdin is a pipe from its parent, and tools/exit-with-parent.js exits when it closes.
 */
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { gone, running } from "../support/processes";

const ROOT = path.join(__dirname, "..", "..");

describe("policy pack process lifetime", function () {
  this.timeout(60_000);

  for (const signal of ["SIGKILL", "SIGTERM"] as const) {
    it(`the pack exits when the process that started it is killed with ${signal}`, async () => {
      const script = `
        const { PolicyPackProcess } = require("./gate/analyzer");
        const { loadStackFiles } = require("./gate/stackfiles");
        const files = loadStackFiles(process.cwd(), "staging");
        PolicyPackProcess.start({ packDir: "policy", project: files.project, stack: "staging", config: files.config })
          .then((p) => p.info().then(() => console.log("pack " + p.pid)));
        setInterval(() => undefined, 1000);`;
      const host = spawn(process.execPath, ["-r", "./tools/ts-register.js", "-e", script], {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "inherit"],
      });
      const pid = await new Promise<number>((resolve, reject) => {
        let out = "";
        host.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          const m = /pack (\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        host.on("exit", (code) => reject(new Error(`host exited (${code}) before the pack served: ${out}`)));
      });
      assert.ok(running(pid), "the pack was not running while its host was");
      host.kill(signal);
      const ended = await gone(pid, 10_000);
      if (!ended) process.kill(pid, "SIGKILL");
      assert.ok(ended, `the pack (pid ${pid}) kept running after its host was killed with ${signal}`);
    });
  }
});
