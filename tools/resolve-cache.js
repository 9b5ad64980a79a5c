/**
 * Module resolution kept across runs, for the executables tools/code-cache.js serves (installed with it).
 * Resolving ~970 requires walks node_modules directories, stats candidate files and reads package.json
 * `main`/`exports` each time: internalModuleStat, package_json_reader and Module._findPath were ~0.1 s of
 * CPU per gate run (docs/gate.md "Profile"). Node keeps the answers for one process in
 * `Module._pathCache` (lib/internal/modules/cjs/loader.js Module._findPath: request + "\0" + lookup paths
 * → file name); this keeps them in a file next to the code cache and answers from it first.
 *
 * An answer is served only while what decided it is unchanged. Module._findPath looks the request up in
 * each lookup path in turn (skipping those that do not exist), reads a package's `exports` or `main`, and
 * probes file names with extensions: every one of those answers depends only on which names the directories
 * along the way hold and on their package.json files. So each answer keeps its evidence — for every lookup
 * path node tried up to the one that answered, the directories from it down the request (and down to the
 * file found), each with its identity (a name added, removed or renamed in a directory changes its mtime)
 * and its package.json's — and is served only while all of it is unchanged (stat'ed once per process).
 * A directory changed within the last second of its reading is too recent to trust (the "racy" case of
 * git's index: a change in the same timestamp tick would go unseen), so that answer is not kept.
 * Only answers that are one of the names node tries, as written, are kept: not one reached through a
 * symlink (its evidence would not cover the link), nor the index node falls back to when `main` is missing.
 *
 * The whole file is also dropped when node_modules/.package-lock.json, build/.stamp, package.json or the
 * `--conditions` of the process differ (exports conditions choose among a package's files).
 * Written (temporary file, then rename) only when a run resolved something new.
 */
const Module = require("node:module");
const fs = require("node:fs");
const path = require("node:path");
const { writeAtomic } = require("./code-cache");

const ROOT = path.join(__dirname, "..");
const WATCHED = [path.join("node_modules", ".package-lock.json"), path.join("build", ".stamp"), "package.json"];
/** A directory modified this recently (ms) when an answer is learned makes that answer untrusted. */
const RACY_MS = 1000;

/** The `--conditions` / `-C` values of this process (they choose among a package's `exports`). */
function conditions() {
  const args = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/).filter(Boolean)];
  const out = [];
  for (let i = 0; i < args.length; i++) {
    const m = /^(?:--conditions|-C)(?:=(.*))?$/.exec(args[i]);
    if (m) out.push(m[1] ?? args[++i]);
  }
  return out;
}

/** What the whole file depends on: the identity of the watched files and the conditions. */
function resolutionKey(root = ROOT) {
  const files = WATCHED.map((f) => {
    try {
      const s = fs.statSync(path.join(root, f), { bigint: true });
      return `${s.size}:${s.mtimeNs}:${s.ctimeNs}:${s.ino}`;
    } catch {
      return "-";
    }
  });
  return [...files, ...conditions()].join("|");
}

/** A path's identity now: "-" when missing; a directory's or file's inode and mtime (a file's size too). */
function identity(p) {
  try {
    // Most evidence paths are missing ones (lookup paths node skips): no exception built for those.
    const s = fs.statSync(p, { bigint: true, throwIfNoEntry: false });
    if (!s) return "-";
    return s.isDirectory() ? `d:${s.ino}:${s.mtimeNs}` : `f:${s.ino}:${s.mtimeNs}:${s.size}`;
  } catch {
    return "-";
  }
}

const isUnder = (dir, p) => p === dir || p.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);

/** The directories from `from` down to `to` (both included; `to` under `from`). */
function descend(from, to) {
  const out = [from];
  const rest = path.relative(from, to);
  if (!rest) return out;
  let at = from;
  for (const seg of rest.split(path.sep)) {
    at = path.join(at, seg);
    out.push(at);
  }
  return out;
}

/**
 * The paths whose identity decided `found` for `request` in `paths` (see the header), or undefined when
 * the answer cannot be explained by them (it leads outside the lookup path that answered).
 */
function evidenceOf(request, paths, found) {
  const lookups = path.isAbsolute(request) ? [""] : paths;
  // A relative lookup path (node looks a relative `-r ./x.js` up in ".") means another file in another
  // working directory under the same key: such an answer is not kept (and "." has no parent to walk to).
  if (lookups.some((p) => p && !path.isAbsolute(p))) return undefined;
  const out = [];
  for (const cur of lookups) {
    const base = path.resolve(cur, request);
    const start = cur ? commonDir(cur, base) : path.dirname(base);
    const chain = descend(start, base);
    // package.json files node reads: the package's (`exports`, for a bare request) and the directory's (`main`).
    const manifests = [base, ...(isBare(request) ? [path.join(cur, packageName(request))] : [])];
    if (!isUnder(start, found)) {
      if (cur && identity(cur) === "-") out.push(cur);
      else out.push(...chain, ...manifests.map((d) => path.join(d, "package.json")));
      continue;
    }
    if (!candidate(cur, base, request, found)) return undefined;
    const deepest = chain.filter((d) => isUnder(d, found)).pop();
    const below = descend(deepest, path.dirname(found)).slice(1);
    out.push(...chain, ...below, ...[...manifests, ...below].map((d) => path.join(d, "package.json")));
    return out;
  }
  return undefined;
}

/**
 * Whether `found` (a real path) is one of the names node tries for `base`, as written: the file itself or
 * with an extension, the `main` of its package.json (with an extension, or its index), its index when it has
 * no `main`, or for a bare request a file of the package (its `exports`). Anything else was reached
 * through a symlink the evidence does not cover, or is the index node falls back to when `main` is missing
 * (with a DEP0128 warning a served answer would not give): not kept.
 */
function candidate(cur, base, request, found) {
  const exts = Object.keys(Module._extensions);
  const named = (p) => p === found || exts.some((e) => p + e === found);
  const indexOf = (dir) => path.dirname(found) === dir && exts.some((e) => path.basename(found) === `index${e}`);
  if (named(base)) return true;
  if (isBare(request) && isUnder(path.join(cur, packageName(request)), found) && exportsOf(cur, request)) return true;
  const main = manifest(base)?.main;
  if (typeof main === "string" && main) {
    const m = path.resolve(base, main);
    return named(m) || indexOf(m);
  }
  return indexOf(base);
}

function manifest(dir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
  } catch {
    return undefined;
  }
}

const exportsOf = (cur, request) => manifest(path.join(cur, packageName(request)))?.exports;

const isBare = (request) => !/^(\.\.?($|[\\/])|[\\/])/.test(request) && !path.isAbsolute(request);
const packageName = (request) => request.split(/[\\/]/, request.startsWith("@") ? 2 : 1).join("/");

/** The deepest directory holding both (absolute) paths. */
function commonDir(a, b) {
  let d = a;
  while (!isUnder(d, b) && path.dirname(d) !== d) d = path.dirname(d);
  return d;
}

function read(file, key) {
  try {
    const o = JSON.parse(fs.readFileSync(file, "utf8"));
    if (o.key === key && Array.isArray(o.table) && o.answers && typeof o.answers === "object")
      return { table: o.table, answers: new Map(Object.entries(o.answers)) };
  } catch {
    // missing or damaged: resolve as node does
  }
  return { table: [], answers: new Map() };
}

/** Node's own cache key (Module._findPath), or undefined when node would not look the request up. */
function lookupKey(request, paths) {
  if (path.isAbsolute(request)) return `${request}\0`;
  if (!paths || paths.length === 0) return undefined;
  return `${request}\0${paths.join("\0")}`;
}

/**
 * Serves Module._findPath from `file`, valid while the watched files under `root` are unchanged and each
 * answer's evidence is; returns a function that writes what this run learned.
 */
function install(file, root = ROOT) {
  const key = resolutionKey(root);
  const { table, answers } = read(file, key);
  const now = new Map();
  const current = (p) => {
    let id = now.get(p);
    if (id === undefined) {
      id = identity(p);
      now.set(p, id);
    }
    return id;
  };
  // An answer holds indexes into `table` ([path, identity] when it was learned).
  const valid = ([, idx]) => idx.every((i) => table[i] !== undefined && current(table[i][0]) === table[i][1]);
  const learned = new Map();
  const findPath = Module._findPath;
  Module._findPath = function (request, paths, isMain) {
    const k = lookupKey(request, paths);
    const hit = k === undefined ? undefined : answers.get(k);
    if (hit !== undefined && valid(hit)) return hit[0];
    const since = Date.now() - RACY_MS;
    const found = findPath.call(this, request, paths, isMain);
    if (k !== undefined && found) learn(k, request, paths, found, since);
    return found;
  };
  function learn(k, request, paths, found, since) {
    const evidence = evidenceOf(request, paths, found);
    if (!evidence) return;
    const ids = evidence.map((p) => [p, current(p)]);
    // A directory this new may have changed in the tick node read it: its mtime proves nothing.
    if (ids.some(([, id]) => id !== "-" && Number(id.split(":")[2]) / 1e6 >= since)) return;
    learned.set(k, [found, ids]);
  }
  return () => {
    if (learned.size === 0) return;
    writeAtomic(file, Buffer.from(JSON.stringify(encode(key, answers, learned, valid, table))));
  };
}

/** The file's content: answers still valid and those learned, their evidence in one table. */
function encode(key, answers, learned, valid, table) {
  const out = { key, table: [], answers: {} };
  const index = new Map();
  const at = ([p, id]) => {
    const k = `${p}\0${id}`;
    let i = index.get(k);
    if (i === undefined) {
      i = out.table.length;
      index.set(k, i);
      out.table.push([p, id]);
    }
    return i;
  };
  for (const [k, a] of answers) if (!learned.has(k) && valid(a)) out.answers[k] = [a[0], a[1].map((i) => at(table[i]))];
  for (const [k, [found, ids]] of learned) out.answers[k] = [found, ids.map(at)];
  return out;
}

module.exports = { install, evidenceOf };
