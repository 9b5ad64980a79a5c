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
 * entry is used only for the file it was made from: same path, size, mtime, ctime and inode. A package
 * reinstalled, a build/ file rewritten (build.js renames a new file into place) or a file edited in place
 * all change that key; ctime cannot be set back by tar or utimes. The file carries a CRC-32 of its body and
 * is ignored when it does not match.
 *
 * Left to node: files starting with `#!` (V8 parses a hashbang only at the very start of a script, before
 * the wrapper), files that may call `import()` (see `compileCached`), ES modules, and anything but
 * `.js`/`.cjs` (ts-node's TypeScript in the test processes).
 * Differences from node's compile: a stack frame on a module's first line reports its column shifted by
 * the wrapper's length (`Module.wrapper[0]`), and node's per-require stat cache is not kept.
 * APP_ROLLOUT_CODE_CACHE=0 turns it off;
 * GATE_TIMINGS=1 prints what it served when the process ends.
 */
const Module = require("node:module");
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");
const zlib = require("node:zlib");

/** Where the cache files live; APP_ROLLOUT_CODE_CACHE_DIR moves them (the specs use a temporary directory). */
const DIR =
  process.env.APP_ROLLOUT_CODE_CACHE_DIR || path.join(__dirname, "..", "node_modules", ".cache", "app-rollout-v8");
const MAGIC = "app-rollout-v8-1";
/** An entry no run used for this many writes of its file is dropped (e.g. the compiler build.js loads once). */
const KEEP_WRITES = 8;

/**
 * The cache file of an executable: one per node version, architecture and node flags, so runs with other
 * flags (npm test's larger young generation, profiling) do not take turns rewriting one file; V8 itself
 * rejects data made under other flags. Arguments with a path (`-r file`, `--cpu-prof-dir=…`) or code
 * (`-e …`) are not compiler flags and are left out: a fresh profile directory is not a new cache.
 */
function cacheFile(name) {
  const args = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)];
  const flags = args.filter(
    (a) => a.startsWith("--") && !/[/\\]/.test(a) && !/^--(eval|print|require|import)\b/.test(a),
  );
  const hash = zlib.crc32(flags.join("\0")).toString(16);
  return path.join(DIR, `${name}-${process.version}-${process.arch}-${hash}.bin`);
}

/**
 * The cache file's write generation and its entries by file name: { key, data, used } (`used`: the last
 * generation a run used it). A missing, foreign or damaged file reads as empty.
 */
function read(file) {
  const entries = new Map();
  const cache = { generation: 0, entries };
  let buf;
  try {
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

/** Writes a cache atomically (temporary file, then rename). */
function write(file, { generation, entries }) {
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
  const tmp = `${file}.${process.pid}.tmp`;
  // A read-only checkout or cache directory only loses the cache, never the run.
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(tmp, Buffer.concat([prefix, body]));
    fs.renameSync(tmp, file);
  } catch {
    fs.rmSync(tmp, { force: true });
  }
}

/** The identity of a file's content on disk (see the header). */
function fileKey(filename) {
  const s = fs.statSync(filename, { bigint: true });
  return `${s.size}:${s.mtimeNs}:${s.ctimeNs}:${s.ino}:${s.dev}`;
}

/** The `require` node's makeRequireFunction gives a module (lib/internal/modules/helpers.js). */
function requireFor(mod) {
  const require = (id) => mod.require(id);
  require.resolve = (request, options) => Module._resolveFilename(request, mod, false, options);
  require.resolve.paths = (request) => Module._resolveLookupPaths(request, mod);
  require.main = process.mainModule;
  require.extensions = Module._extensions;
  require.cache = Module._cache;
  return require;
}

/** Whether node's loader hands this module to the cache at all: CommonJS `.js`/`.cjs` without a hashbang. */
function cacheable(content, filename, format) {
  return format !== "module" && /\.c?js$/.test(filename) && !content.startsWith("#!");
}

/**
 * A module that may call `import()` compiles as usual: on node 20 a script whose cached data V8 accepted
 * loses its dynamic-import callback (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING, test/gate/code-cache.test.ts).
 * The cache remembers the verdict as an entry without data, so the source is scanned once per file.
 */
const DYNAMIC_IMPORT = /\bimport\s*\(/;
const PLAIN = Buffer.alloc(0);

/** The module's wrapper function compiled with the cache, or undefined when node must compile it. */
function compileCached(state, content, filename) {
  const key = fileKey(filename);
  const entry = state.cache.entries.get(filename);
  const known = entry?.key === key;
  state.used.add(filename);
  if (known && entry.data.length === 0) {
    state.hits++;
    return undefined;
  }
  if (!known && DYNAMIC_IMPORT.test(content)) {
    state.fresh.set(filename, { key, script: undefined });
    return undefined;
  }
  const cachedData = known ? entry.data : undefined;
  const script = new vm.Script(Module.wrap(content), { filename, cachedData });
  const hit = cachedData !== undefined && !script.cachedDataRejected;
  if (hit) state.hits++;
  else state.fresh.set(filename, { key, script });
  if (cachedData && !hit) state.rejected++;
  return script.runInThisContext({ displayErrors: true });
}

/**
 * Writes the cache if this run compiled something it did not have. Entries this run did not use are kept
 * while their file is unchanged and some run used them in the last KEEP_WRITES writes (another command of
 * the same executable loads other modules).
 */
function flush(state) {
  if (state.flushed || state.fresh.size === 0) return;
  state.flushed = true;
  const generation = state.cache.generation + 1;
  const out = new Map();
  for (const [name, e] of state.cache.entries) {
    if (state.fresh.has(name)) continue;
    if (state.used.has(name)) out.set(name, { ...e, used: generation });
    else if (generation - e.used < KEEP_WRITES && fs.existsSync(name) && fileKey(name) === e.key) out.set(name, e);
  }
  for (const [name, { key, script }] of state.fresh)
    out.set(name, { key, used: generation, data: script ? script.createCachedData() : PLAIN });
  write(state.file, { generation, entries: out });
}

/**
 * Installs the cache for this process under `name` (one cache file per executable), and the resolution
 * cache beside it (tools/resolve-cache.js). `flushOnSigterm`:
 * also write it when the process is stopped with SIGTERM (the gate stops its pack that way), then end
 * the way SIGTERM would have.
 */
function install(name, { flushOnSigterm = false } = {}) {
  if (process.env.APP_ROLLOUT_CODE_CACHE === "0" || Module.prototype._compile.__codeCache) return undefined;
  const file = cacheFile(name);
  const state = { file, cache: read(file), fresh: new Map(), used: new Set(), hits: 0, rejected: 0 };
  const flushPaths = require("./resolve-cache").install(file.replace(/\.bin$/, ".paths.json"));
  const compile = Module.prototype._compile;
  const patched = function (content, filename, format) {
    if (!cacheable(content, filename, format)) return compile.call(this, content, filename, format);
    const wrapper = compileCached(state, content, filename);
    if (!wrapper) return compile.call(this, content, filename, format);
    return wrapper.call(this.exports, this.exports, requireFor(this), this, filename, path.dirname(filename));
  };
  patched.__codeCache = state;
  Module.prototype._compile = patched;
  process.on("exit", () => {
    flush(state);
    flushPaths();
    // GATE_TIMINGS=1 (docs/gate.md "Profile"): what the cache served in this process.
    if (process.env.GATE_TIMINGS === "1")
      process.stderr.write(
        `code cache ${name}: ${state.hits} hits, ${state.fresh.size} compiled, ${state.rejected} rejected\n`,
      );
  });
  if (flushOnSigterm)
    process.once("SIGTERM", () => {
      flush(state);
      flushPaths();
      if (process.listenerCount("SIGTERM") === 0) process.kill(process.pid, "SIGTERM");
    });
  return state;
}

module.exports = { install, read };
