/**
 * tools/young-gen.js: the rehearsal commands run in a child node with a larger young generation. Each case
 * runs a small entry point that hands its command over as bin/rollout.js does, and checks what a caller
 * sees: the child's flags, its exit code or signal, signals passed on, and no orphan when the parent dies.
 */
import * as assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const YOUNG_GEN = path.join(__dirname, "..", "..", "tools", "young-gen.js");

describe("a larger young generation for the rehearsal commands (tools/young-gen.js)", function () {
  this.timeout(30_000);
  let dir: string;
  let entry: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "young-gen-"));
    entry = path.join(dir, "entry.js");
    // The command's behaviour: report its flags and pid, then end as asked (exit code, signal, or wait).
    writeFileSync(
      entry,
      `if (!require(${JSON.stringify(YOUNG_GEN)}).inYoungGeneration(process.argv, ["rehearse", "plan"])) {
        const [, , command, how] = process.argv;
        console.log(JSON.stringify({ command, flags: process.execArgv, pid: process.pid }));
        if (how === "signal") process.kill(process.pid, "SIGTERM");
        else if (how === "wait") {
          process.on("SIGTERM", () => { console.log("child got SIGTERM"); process.exit(7); });
          setInterval(() => undefined, 1000);
        } else process.exitCode = Number(how ?? 0);
      }`,
    );
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const run = (args: string[], env: Record<string, string> = {}, flags: string[] = []) =>
    spawnSync(process.execPath, [...flags, entry, ...args], { encoding: "utf8", env: { ...process.env, ...env } });
  const report = (stdout: string) => JSON.parse(stdout.split("\n")[0]) as { flags: string[]; pid: number };

  it("runs rehearse and plan in a child with --max-semi-space-size=64, with the child's exit code", () => {
    for (const command of ["rehearse", "plan"]) {
      const r = run([command, "3"]);
      assert.equal(r.status, 3, r.stderr);
      assert.deepEqual(report(r.stdout).flags, ["--max-semi-space-size=64"]);
    }
  });

  it("keeps other commands, a flag already given and APP_ROLLOUT_YOUNG_GEN=0 in this process", () => {
    assert.deepEqual(report(run(["start", "0"]).stdout).flags, []);
    assert.deepEqual(report(run(["rehearse", "0"], {}, ["--max-semi-space-size=32"]).stdout).flags, [
      "--max-semi-space-size=32",
    ]);
    assert.deepEqual(report(run(["rehearse", "0"], { NODE_OPTIONS: "--max-semi-space-size=32" }).stdout).flags, []);
    assert.deepEqual(report(run(["rehearse", "0"], { APP_ROLLOUT_YOUNG_GEN: "0" }).stdout).flags, []);
  });

  it("ends by the signal that ended the child", () => {
    const r = run(["rehearse", "signal"]);
    assert.equal(r.signal, "SIGTERM");
  });

  /** Starts the entry with a command that waits; resolves with the process once the child reported. */
  async function started(): Promise<{ parent: ChildProcess; child: number; out: string[] }> {
    const parent = spawn(process.execPath, [entry, "rehearse", "wait"], { stdio: ["ignore", "pipe", "inherit"] });
    const out: string[] = [];
    const child = await new Promise<number>((resolve) =>
      parent.stdout?.on("data", (d: Buffer) => {
        out.push(...d.toString().trim().split("\n"));
        if (out.length === 1) resolve(report(out[0]).pid);
      }),
    );
    return { parent, child, out };
  }

  it("passes SIGTERM on to the child and ends with its exit code", async () => {
    const { parent, child, out } = await started();
    assert.notEqual(child, parent.pid);
    parent.kill("SIGTERM");
    const code = await new Promise<number | null>((resolve) => parent.once("exit", (c) => resolve(c)));
    assert.equal(code, 7);
    assert.ok(out.includes("child got SIGTERM"), out.join("\n"));
  });

  it("leaves no orphan: the child ends when its parent is killed with SIGKILL", async () => {
    const { parent, child } = await started();
    parent.kill("SIGKILL");
    // Gone, or a zombie its new parent (init) has not reaped yet: either way it runs no more.
    const alive = () => {
      try {
        return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${child}/stat`, "utf8"));
      } catch {
        return false;
      }
    };
    const deadline = Date.now() + 5000;
    while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const orphan = alive();
    if (orphan) process.kill(child, "SIGKILL"); // it holds this spec's pipe: mocha would wait for it
    assert.equal(orphan, false, `child ${child} still ran`);
  });
});
