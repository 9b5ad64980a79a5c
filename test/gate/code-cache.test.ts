/**
 * tools/code-cache.js: the V8 code cache of the gate, the driver and the gate's pack. Each case runs a
 * fresh node process with the cache installed in a temporary directory, as bin/gate.js does.
 */
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const CODE_CACHE = path.join(__dirname, "..", "..", "tools", "code-cache.js");

interface Run {
  out: string;
  stats: { hits: number; compiled: number; rejected: number };
}

describe("V8 code cache (tools/code-cache.js)", function () {
  this.timeout(30_000);
  let dir: string;
  let cacheDir: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "code-cache-"));
    cacheDir = path.join(dir, "cache");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const env = (extra: Record<string, string> = {}) => ({
    ...process.env,
    APP_ROLLOUT_CODE_CACHE_DIR: cacheDir,
    GATE_TIMINGS: "1",
    ...extra,
  });

  /** Runs main.js of the fixture directory under the cache named "spec". */
  function run(extra: Record<string, string> = {}): Run {
    const r = spawnSync(
      process.execPath,
      ["-e", `require(${JSON.stringify(CODE_CACHE)}).install("spec"); require("./main.js")`],
      {
        cwd: dir,
        env: env(extra),
        encoding: "utf8",
      },
    );
    assert.equal(r.status, 0, r.stderr);
    const m = /code cache spec: (\d+) hits, (\d+) compiled, (\d+) rejected/.exec(r.stderr);
    return {
      out: r.stdout.trim(),
      stats: m
        ? { hits: Number(m[1]), compiled: Number(m[2]), rejected: Number(m[3]) }
        : { hits: 0, compiled: 0, rejected: 0 },
    };
  }

  const write = (name: string, text: string) => writeFileSync(path.join(dir, name), text);
  const cacheFiles = () => {
    try {
      return readdirSync(cacheDir).filter((f) => f.endsWith(".bin"));
    } catch {
      return [];
    }
  };

  it("serves modules from the cache on the second run, with node's module semantics", () => {
    write(
      "main.js",
      `const lib = require("./lib");
       console.log(JSON.stringify({ v: lib.v, self: lib.self, file: path(lib.file), dir: lib.dir === __dirname,
         resolved: path(require.resolve("./lib")), main: require.main === undefined, cached: !!require.cache[require.resolve("./lib")] }));
       function path(p) { return require("node:path").basename(p); }`,
    );
    write(
      "lib.js",
      "exports.v = 41 + 1; exports.self = this === module.exports; exports.file = __filename; exports.dir = __dirname;",
    );
    const first = run();
    const second = run();
    assert.equal(first.stats.compiled, 2);
    assert.equal(first.stats.hits, 0);
    assert.deepEqual(second.stats, { hits: 2, compiled: 0, rejected: 0 });
    assert.equal(second.out, first.out);
    assert.deepEqual(JSON.parse(second.out), {
      v: 42,
      self: true,
      file: "lib.js",
      dir: true,
      resolved: "lib.js",
      main: true,
      cached: true,
    });
  });

  it("never serves a file's old code after it changed to a same-length text, even with its mtime restored", () => {
    // V8 checks only the source length of cached data: the key (size, mtime, ctime, inode) must catch this.
    write("main.js", 'console.log(require("./lib").v);');
    write("lib.js", "exports.v = 1;");
    assert.equal(run().out, "1");
    assert.equal(run().stats.hits, 2);
    const before = statSync(path.join(dir, "lib.js"));
    write("lib.js", "exports.v = 2;");
    utimesSync(path.join(dir, "lib.js"), before.atime, before.mtime);
    const changed = run();
    assert.equal(changed.out, "2");
    assert.equal(changed.stats.compiled, 1, "the changed file is compiled again");
    assert.equal(run().out, "2");
  });

  it("ignores a damaged cache file and rewrites it", () => {
    write("main.js", 'console.log(require("./lib").v);');
    write("lib.js", "exports.v = 7;");
    run();
    const [file] = cacheFiles();
    const bytes = readFileSync(path.join(cacheDir, file));
    bytes[bytes.length - 10] ^= 0xff;
    writeFileSync(path.join(cacheDir, file), bytes);
    const damaged = run();
    assert.equal(damaged.out, "7");
    assert.deepEqual(damaged.stats, { hits: 0, compiled: 2, rejected: 0 });
    assert.equal(run().stats.hits, 2);
    writeFileSync(path.join(cacheDir, file), "not a cache");
    assert.equal(run().out, "7");
  });

  it("leaves hashbang files and import() to work as under node", () => {
    write("main.js", 'require("./tool"); import("./esm.mjs").then((m) => console.log(m.v));');
    write("tool.js", "#!/usr/bin/env node\nconsole.log('tool');");
    write("esm.mjs", "export const v = 'esm';");
    const first = run();
    assert.equal(first.out, "tool\nesm");
    assert.equal(first.stats.compiled, 1, "main.js, left to node (it calls import()); tool.js starts with #!");
    const second = run();
    assert.equal(second.out, "tool\nesm");
    assert.deepEqual(second.stats, { hits: 1, compiled: 0, rejected: 0 }, "main.js: known to be left to node");
  });

  it("reports a module's errors with its file and line", () => {
    write("main.js", 'try { require("./bad"); } catch (e) { console.log(e.stack.split("\\n")[1].trim()); }');
    write("bad.js", "\n\nthrow new Error('boom');");
    const first = run();
    assert.match(first.out, /bad\.js:3:/);
    assert.equal(run().out, first.out);
  });

  it("APP_ROLLOUT_CODE_CACHE=0 turns it off", () => {
    write("main.js", "console.log('ok');");
    assert.equal(run({ APP_ROLLOUT_CODE_CACHE: "0" }).out, "ok");
    assert.deepEqual(cacheFiles(), []);
  });

  it("a process stopped with SIGTERM writes its cache and still ends by SIGTERM (the gate stops its pack so)", async () => {
    write("main.js", "exports.v = 1; console.log('ready'); setInterval(() => undefined, 1000);");
    const child = spawn(
      process.execPath,
      ["-e", `require(${JSON.stringify(CODE_CACHE)}).install("spec", { flushOnSigterm: true }); require("./main.js")`],
      { cwd: dir, env: env(), stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
    child.kill("SIGTERM");
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_, s) => resolve(s)));
    assert.equal(signal, "SIGTERM");
    assert.equal(cacheFiles().length, 1);
  });

  it("drops an entry no run used for 8 writes of the cache", () => {
    write("main.js", 'if (process.env.OLD) require("./old"); require("./gen" + process.env.N);');
    write("old.js", "exports.v = 1;");
    write("gen0.js", "exports.v = 1;");
    run({ OLD: "1", N: "0" });
    const names = () => {
      const [file] = cacheFiles();
      const c = require(CODE_CACHE).read(path.join(cacheDir, file)) as { entries: Map<string, unknown> };
      return [...c.entries.keys()].map((f) => path.basename(f));
    };
    assert.ok(names().includes("old.js"));
    for (let n = 1; n <= 8; n++) {
      write(`gen${n}.js`, "exports.v = 1;");
      run({ N: String(n) });
      assert.equal(names().includes("old.js"), n < 8, `after write ${n + 1}`);
    }
  });
});
