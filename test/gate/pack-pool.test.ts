import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { EventEmitter } from "node:events";
import * as path from "node:path";
import type { PolicyPackProcess } from "../../gate/analyzer";
import { closeIdlePacks, keepIdlePacks, leasePack } from "../../gate/pack-pool";
import { gone } from "../support/processes";

/** Stands in for a pack process: the pool only calls info, close and onExit. */
class StubProcess {
  closed = false;
  private readonly exits = new EventEmitter();
  constructor(readonly id: number) {}
  async info() {
    return { name: `stub-${this.id}`, version: "0", policies: [] };
  }
  close() {
    this.closed = true;
    this.exits.emit("exit");
  }
  onExit(f: () => void) {
    this.exits.once("exit", f);
  }
}

function starter() {
  const started: StubProcess[] = [];
  const start = async () => {
    const p = new StubProcess(started.length + 1);
    started.push(p);
    return p as unknown as PolicyPackProcess;
  };
  return { started, start };
}

let n = 0;
const freshKey = () => `pack-pool-test-${process.pid}-${++n}`;

describe("pack pool (gate/pack-pool.ts): one pack process per key for every evaluator of a process", () => {
  // The root hook keeps idle packs for the whole run; these specs check both modes.
  afterEach(() => keepIdlePacks(true));

  it("leases of one key share one process; another key gets its own", async () => {
    const { started, start } = starter();
    const key = freshKey();
    const a = leasePack(key, start);
    const b = leasePack(key, start);
    const c = leasePack(freshKey(), start);
    assert.equal((await a.pack).process, (await b.pack).process);
    assert.notEqual((await a.pack).process, (await c.pack).process);
    assert.equal(started.length, 2);
    for (const l of [a, b, c]) l.release();
  });

  it("the last release closes the process; with idle packs kept it serves the next lease until closeIdlePacks", async () => {
    keepIdlePacks(false);
    const { started, start } = starter();
    const key = freshKey();
    const a = leasePack(key, start);
    const b = leasePack(key, start);
    await a.pack;
    a.release();
    a.release(); // idempotent: b still holds the process
    assert.equal(started[0].closed, false, "closed while a lease was still held");
    b.release();
    await new Promise((r) => setImmediate(r));
    assert.equal(started[0].closed, true, "the last release left the process running");

    keepIdlePacks(true);
    const c = leasePack(key, start);
    await c.pack;
    c.release();
    const d = leasePack(key, start);
    assert.equal((await d.pack).process, (await c.pack).process, "an idle kept process was not reused");
    d.release();
    closeIdlePacks();
    await new Promise((r) => setImmediate(r));
    assert.equal(started.length, 2);
    assert.equal(started[1].closed, true);
  });

  it("exclusive uses run one after another, in the order they were asked for", async () => {
    const { start } = starter();
    const key = freshKey();
    const a = leasePack(key, start);
    const b = leasePack(key, start);
    const log: string[] = [];
    const use = (lease: typeof a, name: string, ms: number) =>
      lease.exclusive(async () => {
        log.push(`${name} in`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`${name} out`);
      });
    await Promise.all([use(a, "a", 20), use(b, "b", 1), use(a, "c", 1)]);
    assert.deepEqual(log, ["a in", "a out", "b in", "b out", "c in", "c out"]);
    // A failed use does not block the next one.
    await assert.rejects(
      a.exclusive(async () => Promise.reject(new Error("boom"))),
      /boom/,
    );
    assert.equal(await b.exclusive(async () => "next"), "next");
    a.release();
    b.release();
  });

  it("a process that ended, or failed to start, is not handed to the next lease", async () => {
    const { started, start } = starter();
    const key = freshKey();
    const a = leasePack(key, start);
    await a.pack;
    started[0].close(); // killed from outside while leased
    const b = leasePack(key, start);
    assert.notEqual((await b.pack).process, (await a.pack).process);
    assert.equal(started.length, 2);

    const failing = freshKey();
    const broken = leasePack(failing, () => Promise.reject(new Error("pack did not start")));
    await assert.rejects(broken.pack, /did not start/);
    const retry = leasePack(failing, start);
    assert.equal((await retry.pack).info.name, "stub-3");
    for (const l of [a, b, broken, retry]) l.release();
  });

  it("a pooled process still running when its host exits is killed, not left serving", async () => {
    // A host that leases a process (here a real child: `sleep`) and exits without releasing it.
    const root = path.join(__dirname, "..", "..");
    const script = `
      const { spawn } = require("node:child_process");
      const { leasePack } = require("./gate/pack-pool");
      const child = spawn("sleep", ["60"], { stdio: "ignore" });
      const stub = {
        info: async () => ({ name: "stub", version: "0", policies: [] }),
        close: () => child.kill(),
        onExit: (f) => child.once("exit", f),
      };
      leasePack("exit-test", async () => stub).pack.then(() => {
        console.log(child.pid);
        process.exit(0);
      });`;
    const out = execFileSync(process.execPath, ["-r", "./tools/ts-register.js", "-e", script], {
      cwd: root,
      encoding: "utf8",
    });
    const pid = Number(out.trim());
    assert.ok(pid > 0, `no pid printed: ${out}`);
    const alive = !(await gone(pid, 1000));
    if (alive) process.kill(pid, "SIGKILL");
    assert.equal(alive, false, "the pooled process outlived its host");
  });
});
