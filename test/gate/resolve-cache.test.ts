/**
 * tools/resolve-cache.js: module resolution kept across runs of the gate, the driver and the pack. Each case
 * runs a fresh node process resolving from a temporary project with its own watched files.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
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

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "resolve-cache-"));
    write("package.json", "{}");
    write("node_modules/.package-lock.json", "{}");
    write("build/.stamp", "{}");
    write("lib/index.js", "module.exports = 'lib/index.js';");
    write("main.js", 'console.log(require("./lib"));');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** What main.js's require("./lib") loads, with the cache of this project installed. */
  function run(): string {
    const script = `const flush = require(${JSON.stringify(RESOLVE_CACHE)}).install("cache.json", process.cwd());
      process.on("exit", flush); require("./main.js");`;
    const r = spawnSync(process.execPath, ["-e", script], { cwd: dir, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  }

  for (const watched of ["node_modules/.package-lock.json", "build/.stamp", "package.json"]) {
    it(`answers from the cache while nothing watched changed, and resolves again when ${watched} changes`, () => {
      assert.equal(run(), "lib/index.js");
      // Node would now resolve ./lib to lib.js: an answer of lib/index.js proves the cache served it.
      write("lib.js", "module.exports = 'lib.js';");
      assert.equal(run(), "lib/index.js", "served from the cache");
      write(watched, '{"changed":true}');
      assert.equal(run(), "lib.js", `a changed ${watched} invalidates the cache`);
    });
  }

  it("resolves again when the file it remembers is gone", () => {
    write("lib.js", "module.exports = 'lib.js';");
    assert.equal(run(), "lib.js");
    rmSync(path.join(dir, "lib.js"));
    assert.equal(run(), "lib/index.js");
  });

  it("ignores a damaged cache file", () => {
    assert.equal(run(), "lib/index.js");
    writeFileSync(path.join(dir, "cache.json"), "{not json");
    assert.equal(run(), "lib/index.js");
  });
});
