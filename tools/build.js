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

function build(root, files) {
  const ts = require("typescript");
  const started = Date.now();
  for (const file of files) {
    const rel = path.relative(root, file);
    const out = path.join(root, "build", rel.replace(/\.ts$/, ".js"));
    const { outputText } = ts.transpileModule(fs.readFileSync(file, "utf8"), {
      fileName: file,
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
        resolveJsonModule: true,
      },
    });
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

/** Builds build/ when any source changed since the last build; returns whether it built. */
function ensureBuild(root) {
  const files = sources(root);
  if (!stale(root, files)) return false;
  build(root, files);
  return true;
}

module.exports = { ensureBuild };

if (require.main === module) {
  const root = path.join(__dirname, "..");
  const t0 = Date.now();
  build(root, sources(root));
  console.log(`build/: transpiled in ${Date.now() - t0} ms`);
}
