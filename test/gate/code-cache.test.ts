/**
 * tools/code-cache.js: the V8 code cache of the gate, the driver and the gate's pack. Each case runs a
 * fresh node process with the cache installed in a temporary directory, as bin/gate.js does.
 */
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
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

  /** Runs main.js of the fixture directory under the cache named "spec" (`then`: code run after the install). */
  function run(extra: Record<string, string> = {}, flags: string[] = [], then = ""): Run {
    const r = spawnSync(
      process.execPath,
      [...flags, "-e", `require(${JSON.stringify(CODE_CACHE)}).install("spec"); ${then}; require("./main.js")`],
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
  it("keys an entry by the text node read: a file replaced while it loads is compiled anew next run", () => {
    // Another gate's build.js renames a new file into place between node's read and the compile: this run
    // runs the text node read (as node would), the next one the new file's.
    write("main.js", 'console.log(require("./v").v);');
    write("v.js", 'exports.v = "old";');
    const swap = `const M = require("node:module"), fs = require("node:fs"), inner = M.prototype._compile;
      M.prototype._compile = function (c, f, fmt) {
        if (f.endsWith("v.js") && !fs.existsSync("swapped")) {
          fs.writeFileSync("swapped", ""); fs.writeFileSync("v.new", 'exports.v = "new";'); fs.renameSync("v.new", "v.js");
        }
        return inner.call(this, c, f, fmt);
      }`;
    assert.equal(run({}, [], swap).out, "old");
    assert.equal(readFileSync(path.join(dir, "v.js"), "utf8"), 'exports.v = "new";');
    assert.equal(run().out, "new", "the code of the text it was made from is not served for another text");
    assert.equal(run().stats.hits, 2);
  });

  it("hands ES module syntax in a .js back to node, which loads it as a module", () => {
    write("main.js", 'console.log(JSON.stringify({ ...require("./esm.js") }));');
    write("esm.js", "export const x = 1;");
    const plain = run({ APP_ROLLOUT_CODE_CACHE: "0" }).out;
    assert.equal(plain, '{"x":1}');
    assert.equal(run().out, plain);
    assert.equal(run().out, plain);
  });

  it("leaves to node every module that may import(): comments inside, or code it evaluates", () => {
    write(
      "main.js",
      `Promise.all([require("./a").load(), require("./b").load()]).then((m) => console.log(m.map((x) => typeof x.cpus).join()));`,
    );
    write("a.js", 'exports.load = () => import/* lazy */("node:os");');
    write("b.js", 'const load = new Function("s", "return import(s)"); exports.load = () => load("node:os");');
    for (let i = 0; i < 2; i++) assert.equal(run().out, "function,function");
  });

  it("leaves modules to node while source maps are enabled (node caches each module's map in its compile)", () => {
    const map = {
      version: 3,
      file: "sm.js",
      sources: ["sm.ts"],
      names: [],
      mappings: ";;AACA,oBAEC;AAHD,kBAAkB;AAClB,SAAgB,IAAI;IAClB,MAAM,IAAI,KAAK,CAAC,MAAM,CAAC,CAAC;AAC1B,CAAC",
    };
    write(
      "sm.js",
      `"use strict";\nObject.defineProperty(exports, "__esModule", { value: true });\nexports.boom = boom;\n// original source\nfunction boom() {\n    throw new Error("boom");\n}\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString("base64")}`,
    );
    write(
      "main.js",
      `try { require("./sm").boom(); } catch (e) { console.log(e.stack.split("\\n")[1].trim()); }
       console.log(!!require("node:module").findSourceMap(require.resolve("./sm.js")));`,
    );
    const plain = run({ APP_ROLLOUT_CODE_CACHE: "0" }, ["--enable-source-maps"]).out;
    assert.match(plain, /sm\.ts:3:\d+\)\ntrue$/);
    for (let i = 0; i < 2; i++) assert.equal(run({}, ["--enable-source-maps"]).out, plain);
  });

  it("reports columns on a module's first line as node does", () => {
    write("main.js", 'try { require("./l1"); } catch (e) { console.log(e.stack.split("\\n")[1].trim()); }');
    write("l1.js", 'const a = 1; throw new Error("x" + a);');
    const plain = run({ APP_ROLLOUT_CODE_CACHE: "0" }).out;
    assert.match(plain, /l1\.js:1:20\)$/);
    assert.equal(run().out, plain);
    assert.equal(run().stats.hits, 2);
    assert.equal(run().out, plain, "from cached data too");
  });

  it("stays out under --experimental-policy: node's integrity check still refuses a tampered module", () => {
    write("main.js", 'try { console.log(require("./pol.js")); } catch (e) { console.log("refused:", e.code); }');
    write("pol.js", 'module.exports = "tampered";');
    const main = readFileSync(path.join(dir, "main.js"));
    const integrity = (b: Buffer) => `sha256-${createHash("sha256").update(b).digest("base64")}`;
    const url = (f: string) => `file://${path.join(dir, f)}`;
    write(
      "policy.json",
      JSON.stringify({
        scopes: { "file:": { integrity: true, dependencies: true } },
        resources: {
          [url("main.js")]: { integrity: integrity(main), dependencies: true },
          [url("pol.js")]: { integrity: `sha256-${"A".repeat(43)}=`, dependencies: true },
        },
      }),
    );
    const flags = ["--experimental-policy=policy.json"];
    const plain = run({ APP_ROLLOUT_CODE_CACHE: "0" }, flags).out;
    assert.equal(plain, "refused: ERR_MANIFEST_ASSERT_INTEGRITY");
    for (let i = 0; i < 2; i++) assert.equal(run({}, flags).out, plain);
    assert.deepEqual(cacheFiles(), []);
  });

  it("uses no cache in a directory others may write, and creates its own 0700", () => {
    write("main.js", 'console.log(require("./lib").v);');
    write("lib.js", "exports.v = 3;");
    run();
    assert.equal(statSync(cacheDir).mode & 0o777, 0o700);
    assert.equal(run().stats.hits, 2);
    chmodSync(cacheDir, 0o777);
    const open = run();
    assert.equal(open.out, "3");
    assert.deepEqual(open.stats, { hits: 0, compiled: 2, rejected: 0 }, "a planted cache would be read here");
  });

  it("keeps the 6 most recently written cache files of an executable and removes stale temporary files", () => {
    write("main.js", "console.log('ok');");
    mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
    const stale = path.join(cacheDir, "spec-v0-x64-0.bin.123.abc.tmp");
    writeFileSync(stale, "");
    utimesSync(stale, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    for (let n = 0; n < 8; n++) run({}, [`--stack-size=${900 + n}`]);
    assert.equal(cacheFiles().length, 6);
    assert.ok(!readdirSync(cacheDir).includes(path.basename(stale)));
  });
  it("gives a module's require.resolve node's own argument errors", () => {
    write("main.js", 'try { require.resolve(42); } catch (e) { console.log(e.code + ": " + e.message); }');
    const plain = run({ APP_ROLLOUT_CODE_CACHE: "0" }).out;
    assert.match(plain, /^ERR_INVALID_ARG_TYPE: The "request" argument must be of type string/);
    for (let i = 0; i < 2; i++) assert.equal(run().out, plain);
  });
});
