// Transpiles the project's TypeScript (program, gate, policy pack, smoke test) to build/ with
// ts.transpileModule, the same transform `ts-node --transpile-only` applies on the fly, so the gate's two
// processes start without loading the TypeScript compiler. `ensureBuild` rebuilds only when a source
// file is newer than the last build: the gate never runs stale code. Type checking is `npm run typecheck`.

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

function stale(root, files) {
  const stamp = path.join(root, "build", ".stamp");
  let previous;
  try {
    previous = JSON.parse(fs.readFileSync(stamp, "utf8"));
  } catch {
    return true;
  }
  if (previous.files.length !== files.length) return true;
  return files.some((f, i) => previous.files[i] !== path.relative(root, f) || fs.statSync(f).mtimeMs > previous.time);
}

/** A TypeScript file's JavaScript: the one transform of build/ and of the published policy pack. */
function transpile(file) {
  const ts = require("typescript");
  return ts.transpileModule(fs.readFileSync(file, "utf8"), {
    fileName: file,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      resolveJsonModule: true,
    },
  }).outputText;
}

function build(root, files) {
  const started = Date.now();
  for (const file of files) {
    const rel = path.relative(root, file);
    const out = path.join(root, "build", rel.replace(/\.ts$/, ".js"));
    const outputText = transpile(file);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, outputText);
    fs.renameSync(tmp, out);
  }
  fs.writeFileSync(
    path.join(root, "build", ".stamp"),
    JSON.stringify({ time: started, files: files.map((f) => path.relative(root, f)) }),
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
  const started = Date.now();
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
  fs.writeFileSync(
    path.join(dir, "dist", ".stamp"),
    JSON.stringify({ time: started, files: parsed.fileNames.map((f) => path.relative(dir, f)) }),
  );
}

function sharedStale(root) {
  const dir = path.join(root, "shared");
  let previous;
  try {
    previous = JSON.parse(fs.readFileSync(path.join(dir, "dist", ".stamp"), "utf8"));
  } catch {
    return true;
  }
  const files = fs
    .readdirSync(path.join(dir, "src"))
    .filter((f) => f.endsWith(".ts"))
    .map((f) => path.join("src", f))
    .sort();
  if (JSON.stringify(files) !== JSON.stringify([...previous.files].sort())) return true;
  return [...files, "tsconfig.json"].some((f) => fs.statSync(path.join(dir, f)).mtimeMs > previous.time);
}

/** Builds shared/dist and build/ when a source changed since the last build; returns whether it built. */
function ensureBuild(root) {
  const shared = sharedStale(root);
  if (shared) buildShared(root);
  const files = sources(root);
  if (!stale(root, files)) return shared;
  build(root, files);
  return true;
}

/** Builds shared/dist only (npm `prepare`, tests under ts-node). */
function ensureShared(root) {
  if (!sharedStale(root)) return false;
  buildShared(root);
  return true;
}

module.exports = { ensureBuild, ensureShared, transpile };

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
