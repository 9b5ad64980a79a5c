/**
 * Module resolution kept across runs, for the executables tools/code-cache.js serves (installed with it).
 * Resolving ~970 requires walks node_modules directories, stats candidate files and reads package.json
 * `main`/`exports` each time: internalModuleStat, package_json_reader and Module._findPath were ~0.1 s of
 * CPU per gate run (docs/gate.md "Profile"). Node keeps the answers for one process in
 * `Module._pathCache` (lib/internal/modules/cjs/loader.js Module._findPath: request + "\0" + lookup paths
 * → file name); this keeps them in a file next to the code cache and answers from it first.
 *
 * An answer is served only while nothing that decides resolution changed: the file carries the identity
 * (size, mtime, ctime, inode) of node_modules/.package-lock.json (npm rewrites it on every install or
 * removal), of build/.stamp (rewritten by every build) and of package.json, and is ignored when one
 * differs. A served file that no longer exists is resolved by node again. Written (temporary file, then
 * rename) only when a run resolved something new.
 */
const Module = require("node:module");
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.join(__dirname, "..");
const WATCHED = [path.join("node_modules", ".package-lock.json"), path.join("build", ".stamp"), "package.json"];

/** What resolution depends on besides the files themselves: the identity of the watched files. */
function resolutionKey(root = ROOT) {
  return WATCHED.map((f) => {
    try {
      const s = fs.statSync(path.join(root, f), { bigint: true });
      return `${s.size}:${s.mtimeNs}:${s.ctimeNs}:${s.ino}`;
    } catch {
      return "-";
    }
  }).join("|");
}

function read(file, key) {
  try {
    const o = JSON.parse(fs.readFileSync(file, "utf8"));
    if (o.key === key && o.paths && typeof o.paths === "object") return new Map(Object.entries(o.paths));
  } catch {
    // missing or damaged: resolve as node does
  }
  return new Map();
}

function write(file, key, paths) {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(tmp, JSON.stringify({ key, paths: Object.fromEntries(paths) }));
    fs.renameSync(tmp, file);
  } catch {
    fs.rmSync(tmp, { force: true });
  }
}

/** Node's own cache key (Module._findPath), or undefined when node would not look the request up. */
function lookupKey(request, paths) {
  if (path.isAbsolute(request)) return `${request}\0`;
  if (!paths || paths.length === 0) return undefined;
  return `${request}\0${paths.join("\0")}`;
}

/**
 * Serves Module._findPath from `file`, valid while the watched files under `root` are unchanged; returns
 * a function that writes what this run learned.
 */
function install(file, root = ROOT) {
  const key = resolutionKey(root);
  const known = read(file, key);
  const learned = new Map();
  const findPath = Module._findPath;
  Module._findPath = function (request, paths, isMain) {
    const k = lookupKey(request, paths);
    const hit = k === undefined ? undefined : known.get(k);
    if (hit !== undefined && fs.existsSync(hit)) return hit;
    const found = findPath.call(this, request, paths, isMain);
    if (k !== undefined && found) learned.set(k, found);
    return found;
  };
  return () => {
    if (learned.size === 0) return;
    write(file, key, new Map([...known, ...learned]));
  };
}

module.exports = { install };
