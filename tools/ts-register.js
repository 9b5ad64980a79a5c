/**
 * mocha's TypeScript loader: ts-node's transpile-only register, exactly as before, with each file's
 * output kept in node_modules/.cache/app-rollout-ts/ by a hash of (TypeScript and ts-node versions,
 * compiler options, ts-node's module-type and transpiler options, file name, source text). Transpiling the sources was ~4.4 s of CPU per mocha
 * process (docs/gate.md "Profile"); a source that did not change is not transpiled again. The key holds
 * the whole text, so an edited file is transpiled anew; a cache entry is written to a temporary name and
 * renamed, so a killed run or two concurrent mocha groups never leave half a file. Type checking stays
 * `npm run typecheck`.
 *
 * Stack traces keep their TypeScript positions: ts-node's source-map hook reads only the outputs it made
 * itself (ts-node dist/index.js:296, outputCache), so the outputs served from the cache are handed to
 * @cspotcode/source-map-support as well (its handlers are tried newest first, source-map-support.js:826).
 */
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const service = require("ts-node").register({ transpileOnly: true });
const dir = path.join(__dirname, "..", "node_modules", ".cache", "app-rollout-ts");
// Everything ts-node's output depends on besides the file: compiler options, and its own module-type
// overrides and transpiler choice (ts-node dist/index.js:714-743).
const { moduleTypes, transpiler, swc } = service.options;
const salt = JSON.stringify([
  service.ts.version,
  require("ts-node/package.json").version,
  service.config.options,
  { moduleTypes, transpiler, swc },
]);

/** Outputs served from the cache, by file name, for the source-map hook. */
const served = new Map();

const compile = service.compile;
service.compile = function cachedCompile(code, fileName, lineOffset) {
  if (lineOffset) return compile(code, fileName, lineOffset);
  const key = crypto.createHash("sha256").update(salt).update("\0").update(fileName).update("\0").update(code);
  const file = path.join(dir, `${key.digest("hex")}.js`);
  let output;
  try {
    output = fs.readFileSync(file, "utf8");
  } catch {
    output = compile(code, fileName);
    store(file, output);
    return output;
  }
  served.set(fileName, output);
  return output;
};

function store(file, output) {
  try {
    fs.mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, output);
    fs.renameSync(tmp, file);
  } catch {
    // A cache that cannot be written (read-only checkout): transpile every time, as ts-node does.
  }
}

require("@cspotcode/source-map-support").install({
  environment: "node",
  retrieveFile: (p) => served.get(p.startsWith("file://") ? require("node:url").fileURLToPath(p) : p) ?? null,
});
