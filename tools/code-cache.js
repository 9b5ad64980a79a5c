/**
 * A V8 code cache for the CommonJS modules of one executable (the gate, the rollout driver, the gate's
 * policy pack process): compiling ~970 modules was ~0.3 s of every gate run (`wrapSafe`, docs/gate.md
 * "Profile"). Node 20 has no compile cache of its own (`module.enableCompileCache` is node 22.1+), so this
 * compiles each `.js` module with `vm.Script` and V8's `cachedData`, the way node's own loader does when
 * `Module.wrap` is patched (lib/internal/modules/cjs/loader.js wrapSafe), and runs the wrapper with the
 * same arguments node's `Module.prototype._compile` passes.
 *
 * The cache is produced when the process ends (`script.createCachedData()` then holds every function the
 * run compiled, not only the top level), only when a module was new or its cache was rejected, into one
 * file per executable, node version, architecture and V8 flags under node_modules/.cache/app-rollout-v8/
 * (written to a temporary file and renamed: a concurrent run reads the old file or the new one). It holds
 * compiled code of files on disk, nothing a run computed: no config value, no secret.
 *
 * V8 accepts cached data by source length, V8 version and flags only (it does not hash the source), so an
 * entry is used only for the text it was made from: its key is the length and CRC-32 of the very text node
 * read and handed to `_compile` (a key from the file's stat, taken after node read it, paired a file
 * replaced in between with the old text's code). The file carries a CRC-32 of its body and is ignored when
 * it does not match; it is used only in a directory owned by this user that no one else may write (planted
 * bytecode would run as this user's code).
 *
 * Left to node: files starting with `#!` (V8 parses a hashbang only at the very start of a script, before
 * the wrapper), files that may call `import()` (see `compileCached`), ES modules and `.js` files node would
 * load as ES modules (a syntax error as a script is handed back to node), anything but `.js`/`.cjs`
 * (ts-node's TypeScript in the test processes), every file while source maps are enabled (node caches a
 * module's map in its own compile, loader.js maybeCacheSourceMap), and the whole process under
 * `--experimental-policy` (node checks each module's integrity in its own compile).
 * Differences from node's compile that remain: node's per-require stat cache and its require(esm) cycle
 * marker (kIsExecuting) are not kept.
 * APP_ROLLOUT_CODE_CACHE=0 turns it off;
 * GATE_TIMINGS=1 prints what it served when the process ends.
 */
const Module = require("node:module");
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");
const zlib = require("node:zlib");

/** Where the cache files live; APP_ROLLOUT_CODE_CACHE_DIR moves them (the specs use a temporary directory). */
const DIR =
  process.env.APP_ROLLOUT_CODE_CACHE_DIR || path.join(__dirname, "..", "node_modules", ".cache", "app-rollout-v8");
const MAGIC = "app-rollout-v8-2";
/** An entry no run used for this many writes of its file is dropped (e.g. the compiler build.js loads once). */
const KEEP_WRITES = 8;
/** Cache files kept per executable (one per node version and flags): the least recently written go. */
const KEEP_FILES = 6;
/** A temporary file this old was left by a process killed between its write and its rename. */
const STALE_TMP_MS = 10 * 60_000;

/** The node flags of this process: its own and NODE_OPTIONS'. */
function nodeArgs() {
  return [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/).filter(Boolean)];
}

/**
 * The cache file of an executable: one per node version, architecture and node flags, so runs with other
 * flags (npm test's larger young generation, profiling) do not take turns rewriting one file; V8 itself
 * rejects data made under other flags, and resolution (the `.paths.json` beside it) depends on
 * `--conditions`. Arguments with a path (`-r file`, `--cpu-prof-dir=…`) and code (`-e …`) are left out: a
 * fresh profile directory is not a new cache.
 */
function cacheFile(name) {
  const args = nodeArgs();
  const flags = [];
  for (let i = 0; i < args.length; i++) {
    if (/^(-e|-p|--eval|--print)$/.test(args[i])) i++;
    else if (!/[/\\]/.test(args[i]) && !/^--(eval|print)=/.test(args[i])) flags.push(args[i]);
  }
  const hash = zlib.crc32(flags.join("\0")).toString(16);
  return path.join(DIR, `${name}-${process.version}-${process.arch}-${hash}.bin`);
}

/**
 * Whether `dir` may hold this user's cache: a real directory (no symlink) owned by this user that no one
 * else can write. Created 0700 when missing.
 */
function safeDir(dir, create) {
  try {
    if (create) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const s = fs.lstatSync(dir);
    const owner = typeof process.getuid !== "function" || s.uid === process.getuid();
    return s.isDirectory() && owner && (s.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/**
 * The cache file's write generation and its entries by file name: { key, data, used } (`used`: the last
 * generation a run used it). A missing, foreign or damaged file, or one in an unsafe directory, reads as
 * empty.
 */
function read(file) {
  const entries = new Map();
  const cache = { generation: 0, entries };
  let buf;
  try {
    if (!safeDir(path.dirname(file), false)) return cache;
    buf = fs.readFileSync(file);
  } catch {
    return cache;
  }
  try {
    const headLen = buf.readUInt32LE(0);
    const crc = buf.readUInt32LE(4);
    const body = buf.subarray(8);
    if (zlib.crc32(body) !== crc) return cache;
    const head = JSON.parse(body.subarray(0, headLen).toString());
    if (head.magic !== MAGIC) return cache;
    let offset = headLen;
    for (const [name, key, length, used] of head.entries) {
      entries.set(name, { key, used, data: body.subarray(offset, offset + length) });
      offset += length;
    }
    cache.generation = head.generation;
  } catch {
    entries.clear();
  }
  return cache;
}

/** The cache's bytes: magic, generation and entries' names and keys, then their data; CRC-32 of the body. */
function encode({ generation, entries }) {
  const head = { magic: MAGIC, generation, entries: [] };
  const data = [];
  for (const [name, e] of entries) {
    head.entries.push([name, e.key, e.data.length, e.used]);
    data.push(e.data);
  }
  const headBuf = Buffer.from(JSON.stringify(head));
  const body = Buffer.concat([headBuf, ...data]);
  const prefix = Buffer.alloc(8);
  prefix.writeUInt32LE(headBuf.length, 0);
  prefix.writeUInt32LE(zlib.crc32(body), 4);
  return Buffer.concat([prefix, body]);
}

/**
 * Writes `bytes` to `file` atomically: a new temporary file of a random name (`wx`: never through a file or
 * link someone put there), then rename — a concurrent run reads the old file or the new one. A read-only
 * checkout or an unsafe cache directory only loses the cache, never the run.
 */
function writeAtomic(file, bytes) {
  if (!safeDir(path.dirname(file), true)) return false;
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(6).toString("hex")}.tmp`;
  try {
    fs.writeFileSync(tmp, bytes, { flag: "wx", mode: 0o600 });
    fs.renameSync(tmp, file);
    return true;
  } catch {
    fs.rmSync(tmp, { force: true });
    return false;
  }
}

/**
 * Housekeeping after a write: temporary files of killed processes, and the cache files of `name` beyond
 * the KEEP_FILES most recently written (other node versions or flags), each with its `.paths.json`.
 */
function prune(file, name) {
  const dir = path.dirname(file);
  try {
    const now = Date.now();
    const mine = [];
    for (const f of fs.readdirSync(dir)) {
      const full = path.join(dir, f);
      if (f.endsWith(".tmp") && now - fs.statSync(full).mtimeMs > STALE_TMP_MS) fs.rmSync(full, { force: true });
      else if (f.startsWith(`${name}-v`) && f.endsWith(".bin")) mine.push({ full, at: fs.statSync(full).mtimeMs });
    }
    mine.sort((a, b) => b.at - a.at);
    for (const { full } of mine.slice(KEEP_FILES))
      for (const f of [full, full.replace(/\.bin$/, ".paths.json")]) fs.rmSync(f, { force: true });
  } catch {
    // another process pruned first, or the directory is read-only: nothing is lost
  }
}

/** The identity of a module's text: what V8 does not check (it compares the source length only). */
function textKey(content) {
  return `${content.length}:${zlib.crc32(content).toString(16)}`;
}

/** The `require` node's makeRequireFunction gives a module (lib/internal/modules/helpers.js). */
function requireFor(mod, filename) {
  const require = (id) => mod.require(id);
  // helpers.js validates the request first: its own function throws node's exact error.
  const invalid = (request) => Module.createRequire(filename).resolve(request);
  require.resolve = (request, options) =>
    typeof request === "string" ? Module._resolveFilename(request, mod, false, options) : invalid(request);
  require.resolve.paths = (request) =>
    typeof request === "string" ? Module._resolveLookupPaths(request, mod) : invalid(request);
  require.main = process.mainModule;
  require.extensions = Module._extensions;
  require.cache = Module._cache;
  return require;
}

/** Whether node's loader hands this module to the cache at all: CommonJS `.js`/`.cjs` without a hashbang. */
function cacheable(content, filename, format) {
  return (
    format !== "module" && /\.c?js$/.test(filename) && !content.startsWith("#!") && process.sourceMapsEnabled !== true
  );
}

/**
 * A module that may call `import()` compiles as usual: a script compiled with `vm.Script` has no
 * dynamic-import callback (node passes `importModuleDynamically` in its own compile, loader.js wrapSafe;
 * ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING, test/gate/code-cache.test.ts), and neither has code it runs with
 * `eval` or `Function`. So: any `import(`, comments allowed between (found in strings too, e.g.
 * `new Function("s", "return import(s)")`), and any module that can evaluate code and mentions `import` at
 * all. Left: code that spells the keyword from pieces at run time. The cache remembers the verdict as an
 * entry without data, so the source is scanned once per text.
 */
const DYNAMIC_IMPORT = /\bimport\s*(?:\/\*[\s\S]*?\*\/\s*|\/\/[^\n]*\n\s*)*\(/;
const EVALUATES = /\beval\b|\bFunction\b/;
const PLAIN = Buffer.alloc(0);

function mayImport(content) {
  return DYNAMIC_IMPORT.test(content) || (EVALUATES.test(content) && /\bimport\b/.test(content));
}

/**
 * The module's wrapper compiled with the cache, or undefined when node must compile it. The wrapper's
 * length is taken back from the first line's columns, as node's compileFunction reports them.
 */
function compileCached(state, content, filename) {
  const key = textKey(content);
  const entry = state.cache.entries.get(filename);
  const known = entry?.key === key;
  state.used.add(filename);
  if (known && entry.data.length === 0) {
    state.hits++;
    return undefined;
  }
  if (!known && mayImport(content)) {
    state.fresh.set(filename, { key, script: undefined });
    return undefined;
  }
  const cachedData = known ? entry.data : undefined;
  let script;
  try {
    script = new vm.Script(Module.wrap(content), { filename, cachedData, columnOffset: -Module.wrapper[0].length });
  } catch (e) {
    // Not a script: e.g. ES module syntax in a `.js` node itself detects and loads as a module
    // (loader.js: require(esm) on by default since 20.19), or a genuine syntax error — node reports it.
    if (e instanceof SyntaxError) return undefined;
    throw e;
  }
  const hit = cachedData !== undefined && !script.cachedDataRejected;
  if (hit) state.hits++;
  else state.fresh.set(filename, { key, script });
  if (cachedData && !hit) state.rejected++;
  return script.runInThisContext({ displayErrors: true });
}

/**
 * Writes the cache if this run compiled something it did not have. Entries this run did not use are kept
 * while some run used them in the last KEEP_WRITES writes (another command of the same executable loads
 * other modules); an entry of a changed file is never served (its key is its text's), only kept until then.
 */
function flush(state) {
  if (state.flushed || state.fresh.size === 0) return;
  state.flushed = true;
  const generation = state.cache.generation + 1;
  const out = new Map();
  for (const [name, e] of state.cache.entries) {
    if (state.fresh.has(name)) continue;
    if (state.used.has(name)) out.set(name, { ...e, used: generation });
    else if (generation - e.used < KEEP_WRITES) out.set(name, e);
  }
  for (const [name, { key, script }] of state.fresh)
    out.set(name, { key, used: generation, data: script ? script.createCachedData() : PLAIN });
  if (writeAtomic(state.file, encode({ generation, entries: out }))) prune(state.file, state.name);
}

/** Whether node checks modules against a policy manifest in its own compile (then the cache stays out). */
function policyManifest() {
  return nodeArgs().some((a) => /^--experimental-policy\b/.test(a));
}

function report(state) {
  // GATE_TIMINGS=1 (docs/gate.md "Profile"): what the cache served in this process.
  if (process.env.GATE_TIMINGS === "1")
    process.stderr.write(
      `code cache ${state.name}: ${state.hits} hits, ${state.fresh.size} compiled, ${state.rejected} rejected\n`,
    );
}

/**
 * Installs the cache for this process under `name` (one cache file per executable), and the resolution
 * cache beside it (tools/resolve-cache.js). `flushOnSigterm`:
 * also write it when the process is stopped with SIGTERM (the gate stops its pack that way), then end
 * the way SIGTERM would have.
 */
function install(name, { flushOnSigterm = false } = {}) {
  if (process.env.APP_ROLLOUT_CODE_CACHE === "0" || Module.prototype._compile.__codeCache || policyManifest())
    return undefined;
  const file = cacheFile(name);
  const state = { name, file, cache: read(file), fresh: new Map(), used: new Set(), hits: 0, rejected: 0 };
  const flushPaths = require("./resolve-cache").install(file.replace(/\.bin$/, ".paths.json"));
  const compile = Module.prototype._compile;
  const patched = function (content, filename, format) {
    if (!cacheable(content, filename, format)) return compile.call(this, content, filename, format);
    const wrapper = compileCached(state, content, filename);
    if (!wrapper) return compile.call(this, content, filename, format);
    return wrapper.call(this.exports, this.exports, requireFor(this, filename), this, filename, path.dirname(filename));
  };
  patched.__codeCache = state;
  Module.prototype._compile = patched;
  process.on("exit", () => {
    flush(state);
    flushPaths();
    report(state);
  });
  if (flushOnSigterm)
    process.once("SIGTERM", () => {
      flush(state);
      flushPaths();
      if (process.listenerCount("SIGTERM") === 0) process.kill(process.pid, "SIGTERM");
    });
  return state;
}

module.exports = { install, read, writeAtomic };
