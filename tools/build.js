// Transpiles the project's TypeScript (program, gate, policy pack, smoke test) to build/ with
// ts.transpileModule, the same transform `ts-node --transpile-only` applies on the fly, so the gate's two
// processes start without loading the TypeScript compiler. `ensureBuild` rebuilds when a source's content
// differs from the text its output was made from (the stamp holds a hash per file: an edit that keeps or
// restores an old mtime — cp -p, rsync -a, tar x — is seen too), when a source was added or removed, an
// output is missing, or this transform changed (shared/dist likewise): the gate never runs stale code, and
// the published policy pack ships build/policy's files (tools/pack-policy.js). Type checking is
// `npm run typecheck`.

const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const SOURCE_DIRS = ["config", "components", "dbchecks", "dbusers", "gate", "policy", "program", "rollout", "smoke"];

function sources(root) {
  const out = fs
    .readdirSync(root)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
    .map((f) => path.join(root, f));
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.name === "node_modules") continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(p);
    }
  };
  for (const d of SOURCE_DIRS) if (fs.existsSync(path.join(root, d))) walk(path.join(root, d));
  return out.sort();
}

const digest = (bytes) => crypto.createHash("sha1").update(bytes).digest("base64");
/** Changes with this file: a new transform rebuilds everything. */
const TRANSFORM = digest(fs.readFileSync(__filename));
const outputOf = (root, file) => path.join(root, "build", path.relative(root, file).replace(/\.ts$/, ".js"));

/** Whether build/ is not exactly the transform of these sources' current contents. */
function stale(root, files) {
  let previous;
  try {
    previous = JSON.parse(fs.readFileSync(path.join(root, "build", ".stamp"), "utf8"));
  } catch {
    return true;
  }
  if (previous.transform !== TRANSFORM || !Array.isArray(previous.hashes)) return true;
  if (previous.files.length !== files.length) return true;
  return files.some(
    (f, i) =>
      previous.files[i] !== path.relative(root, f) ||
      previous.hashes[i] !== digest(fs.readFileSync(f)) ||
      !fs.existsSync(outputOf(root, f)),
  );
}

/** TypeScript text's JavaScript: the one transform of build/ and of the published policy pack. */
function transpileText(text, fileName) {
  const ts = require("typescript");
  return ts.transpileModule(text, {
    fileName,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      resolveJsonModule: true,
    },
  }).outputText;
}

/** A TypeScript file's JavaScript (transpileText). */
function transpile(file) {
  return transpileText(fs.readFileSync(file, "utf8"), file);
}

/** Transpiles every source to build/; the stamp records the hash of the very text each output came from. */
function build(root, files) {
  const hashes = [];
  for (const file of files) {
    const out = outputOf(root, file);
    const text = fs.readFileSync(file);
    hashes.push(digest(text));
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, transpileText(text.toString("utf8"), file));
    fs.renameSync(tmp, out);
  }
  fs.writeFileSync(
    path.join(root, "build", ".stamp"),
    JSON.stringify({ transform: TRANSFORM, files: files.map((f) => path.relative(root, f)), hashes }),
  );
}

/**
 * The workspace package shared/ (@app-rollout/shared) is compiled, not transpiled: it is installed into
 * node_modules of the published policy pack, where neither ts-node (it ignores node_modules) nor node 20
 * loads TypeScript, so it ships JavaScript and declarations (shared/dist, not committed). Compiling it with
 * its own tsconfig (ES2020 lib, no @types) also proves it needs nothing but the language.
 */
function buildShared(root) {
  const ts = require("typescript");
  const dir = path.join(root, "shared");
  // Of the texts as they are before the compile: one edited meanwhile makes the next run build again.
  const inputs = sharedInputs(dir);
  const parsed = ts.getParsedCommandLineOfConfigFile(
    path.join(dir, "tsconfig.json"),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      },
    },
  );
  fs.rmSync(path.join(dir, "dist"), { recursive: true, force: true });
  const program = ts.createProgram(parsed.fileNames, parsed.options);
  const result = program.emit();
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...result.diagnostics];
  if (diagnostics.length > 0) {
    const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => dir, getNewLine: () => "\n" };
    throw new Error(`shared/ does not compile:\n${ts.formatDiagnostics(diagnostics, host)}`);
  }
  fs.writeFileSync(path.join(dir, "dist", ".stamp"), JSON.stringify(inputs));
}

/**
 * What shared/dist is made from: its sources, its tsconfig.json and this transform, by content (as build/'s
 * stamp: an edit that keeps an old mtime is seen; shared/dist ships inside the published policy pack).
 */
function sharedInputs(dir) {
  const files = fs
    .readdirSync(path.join(dir, "src"))
    .filter((f) => f.endsWith(".ts"))
    .map((f) => path.join("src", f))
    .sort();
  const hashes = [...files, "tsconfig.json"].map((f) => digest(fs.readFileSync(path.join(dir, f))));
  return { transform: TRANSFORM, files, hashes };
}

function sharedStale(root) {
  const dir = path.join(root, "shared");
  let previous;
  try {
    previous = fs.readFileSync(path.join(dir, "dist", ".stamp"), "utf8");
  } catch {
    return true;
  }
  return previous !== JSON.stringify(sharedInputs(dir)) || !fs.existsSync(path.join(dir, "dist", "index.js"));
}

/** Builds build/ when it is not the transform of the sources as they are (see `stale`); returns whether it built. */
function ensureTranspiled(root) {
  const files = sources(root);
  if (!stale(root, files)) return false;
  build(root, files);
  return true;
}

/** Builds shared/dist and build/ when a source changed since the last build; returns whether it built. */
function ensureBuild(root) {
  const shared = sharedStale(root);
  if (shared) buildShared(root);
  return ensureTranspiled(root) || shared;
}

/** Builds shared/dist only (npm `prepare`, tests under ts-node). */
function ensureShared(root) {
  if (!sharedStale(root)) return false;
  buildShared(root);
  return true;
}

module.exports = { ensureBuild, ensureShared, ensureTranspiled, transpile };

if (require.main === module) {
  const root = path.join(__dirname, "..");
  const t0 = Date.now();
  buildShared(root);
  if (process.argv.includes("--shared")) {
    console.log(`shared/dist: compiled in ${Date.now() - t0} ms`);
  } else {
    build(root, sources(root));
    console.log(`shared/dist + build/: built in ${Date.now() - t0} ms`);
  }
}
