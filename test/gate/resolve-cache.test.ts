/**
 * tools/resolve-cache.js: module resolution kept across runs of the gate, the driver and the pack. Each case
 * runs a fresh node process resolving from a temporary project with its own watched files; it counts the
 * lookups node itself made, so "served" and "resolved again" are observed, not assumed.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const RESOLVE_CACHE = path.join(__dirname, "..", "..", "tools", "resolve-cache.js");

describe("resolution cache (tools/resolve-cache.js)", function () {
  this.timeout(30_000);
  let dir: string;
  const write = (name: string, text: string) => {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  };
  /** Every file and directory of the fixture an hour old: a change just made is too recent to trust. */
  const age = (at = dir) => {
    const past = new Date(Date.now() - 3_600_000);
    if (statSync(at).isDirectory()) for (const f of readdirSync(at)) age(path.join(at, f));
    utimesSync(at, past, past);
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "resolve-cache-"));
    write("package.json", "{}");
    write("node_modules/.package-lock.json", "{}");
    write("build/.stamp", "{}");
    write("lib/index.js", "module.exports = 'lib/index.js';");
    write("main.js", 'console.log(require(process.env.REQ || "./lib"));');
    // The cache lives in a directory of its own (node_modules/.cache/ in the project): its writes change
    // no directory a lookup reads.
    mkdirSync(path.join(dir, ".cache"), { mode: 0o700 });
    age();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** What main.js's require loads with the cache of this project installed, and how often node resolved. */
  function run(flags: string[] = [], env: Record<string, string> = {}): { out: string; node: number } {
    const script = `const M = require("node:module"); const inner = M._findPath; let node = 0;
      M._findPath = function (...a) { if (a[0] === (process.env.REQ || "./lib")) node++; return inner.apply(this, a); };
      const flush = require(${JSON.stringify(RESOLVE_CACHE)}).install(".cache/paths.json", process.cwd());
      process.on("exit", () => { flush(); console.log("node:" + node); }); require("./main.js");`;
    const r = spawnSync(process.execPath, [...flags, "-e", script], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, ...env },
    });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    return { out: lines.slice(0, -1).join("\n"), node: Number(lines.at(-1)?.replace("node:", "")) };
  }

  it("answers from the cache while nothing changed, and sees a file that now shadows its answer", () => {
    assert.deepEqual(run(), { out: "lib/index.js", node: 1 });
    assert.deepEqual(run(), { out: "lib/index.js", node: 0 }, "served");
    // Node now resolves ./lib to lib.js: the new name changed the directory the answer was read from.
    write("lib.js", "module.exports = 'lib.js';");
    assert.deepEqual(run(), { out: "lib.js", node: 1 });
    age();
    assert.deepEqual(run(), { out: "lib.js", node: 1 }, "learned now that the directory is old enough");
    assert.deepEqual(run(), { out: "lib.js", node: 0 });
  });

  it("keeps no answer looked up in a relative path (a `-r ./x.js` preload): it ends, each directory loads its own", () => {
    write("pre.js", "console.log('pre.js of the project');");
    write("sub/pre.js", "console.log('pre.js of sub/');");
    const cache = JSON.stringify(path.join(dir, ".cache", "paths.json"));
    write(
      "install.js",
      `process.on("exit", require(${JSON.stringify(RESOLVE_CACHE)}).install(${cache}, ${JSON.stringify(dir)}));`,
    );
    age();
    // Node looks a relative preload up in "." (lookup paths of a parent without a file name): it used to walk
    // up from "." for ever, in a loop no SIGTERM handler could interrupt.
    const preload = (cwd: string) =>
      spawnSync(process.execPath, ["-r", path.join(dir, "install.js"), "-r", "./pre.js", "-e", ""], {
        cwd,
        encoding: "utf8",
        timeout: 20_000,
        killSignal: "SIGKILL",
      });
    for (const [cwd, want] of [
      [dir, "pre.js of the project"],
      [path.join(dir, "sub"), "pre.js of sub/"],
      [dir, "pre.js of the project"],
      [path.join(dir, "sub"), "pre.js of sub/"],
    ]) {
      const r = preload(cwd);
      assert.equal(r.signal, null, `killed after 20 s in ${cwd}: the lookup never ended`);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), want, cwd);
    }
  });

  it("does not keep an answer read from a directory changed within the last second", () => {
    write("lib.js", "module.exports = 'lib.js';");
    assert.equal(run().out, "lib.js");
    assert.equal(run().node, 1, "not served: a change in the same timestamp tick would go unseen");
  });

  for (const watched of ["node_modules/.package-lock.json", "build/.stamp", "package.json"]) {
    it(`drops every answer when ${watched} changes`, () => {
      run();
      assert.equal(run().node, 0);
      write(watched, '{"changed":true}');
      assert.equal(run().node, 1);
    });
  }

  it("sees a package whose package.json changed its main, with no install", () => {
    write("node_modules/pkg/package.json", '{"main":"a.js"}');
    write("node_modules/pkg/a.js", "module.exports = 'a';");
    write("node_modules/pkg/b.js", "module.exports = 'b';");
    age();
    const env = { REQ: "pkg" };
    assert.equal(run([], env).out, "a");
    assert.deepEqual(run([], env), { out: "a", node: 0 });
    write("node_modules/pkg/package.json", '{"main":"b.js"}');
    assert.equal(run([], env).out, "b");
  });

  it("keeps the answers of other --conditions apart (exports conditions choose the file)", () => {
    write(
      "node_modules/cond/package.json",
      JSON.stringify({ exports: { custom: "./custom.js", default: "./default.js" } }),
    );
    write("node_modules/cond/custom.js", "module.exports = 'custom';");
    write("node_modules/cond/default.js", "module.exports = 'default';");
    age();
    const env = { REQ: "cond" };
    assert.equal(run(["--conditions=custom"], env).out, "custom");
    assert.equal(run([], env).out, "default");
    assert.equal(run(["-C", "custom"], env).out, "custom");
    assert.equal(run(["--conditions=nope"], env).out, "default");
  });

  it("resolves again when the file it remembers is gone", () => {
    write("lib.js", "module.exports = 'lib.js';");
    age();
    assert.equal(run().out, "lib.js");
    assert.equal(run().node, 0);
    rmSync(path.join(dir, "lib.js"));
    assert.equal(run().out, "lib/index.js");
  });

  it("ignores a damaged cache file", () => {
    assert.equal(run().out, "lib/index.js");
    writeFileSync(path.join(dir, ".cache", "paths.json"), "{not json");
    assert.deepEqual(run(), { out: "lib/index.js", node: 1 });
  });
  it("does not keep the index node falls back to when main is missing: adding main's file is seen", () => {
    write("node_modules/foo/package.json", '{"main":"./build/x.js"}');
    mkdirSync(path.join(dir, "node_modules/foo/build"));
    write("node_modules/foo/index.js", "module.exports = 'index';");
    age();
    const env = { REQ: "foo" };
    assert.equal(run([], env).out, "index");
    assert.deepEqual(run([], env), { out: "index", node: 1 }, "resolved by node, with its DEP0128 warning");
    write("node_modules/foo/build/x.js", "module.exports = 'built';");
    assert.equal(run([], env).out, "built");
  });

  it("does not keep an answer reached through a symlink: a re-pointed link is seen", () => {
    write("b/y.js", "module.exports = 'b';");
    write("c/y.js", "module.exports = 'c';");
    mkdirSync(path.join(dir, "a"));
    symlinkSync("../b", path.join(dir, "a/link"));
    symlinkSync("a/link/y.js", path.join(dir, "x.js"));
    age();
    const env = { REQ: "./x" };
    assert.equal(run([], env).out, "b");
    assert.deepEqual(run([], env), { out: "b", node: 1 });
    rmSync(path.join(dir, "a/link"));
    symlinkSync("../c", path.join(dir, "a/link"));
    assert.equal(run([], env).out, "c");
  });
});
