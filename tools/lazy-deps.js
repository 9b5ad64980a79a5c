/**
 * Defers heavy modules @pulumi/pulumi loads eagerly. Two it only needs to serialize a JavaScript closure
 * into a cloud function (pulumi.runtime.serializeFunction), which neither the program nor the pack does:
 * `typescript` (required by @pulumi/pulumi/typescript-shim.js, ~9 MB of source to compile: ~225 ms in the
 * gate, ~410 ms in the pack process) and `@npmcli/arborist` with its dependency tree (pacote, glob, tar…;
 * required by runtime/closure/codePaths.js: ~100 ms). Measured in docs/gate.md "Profile". codePaths.js also
 * loads `fdir` and `normalize-package-data` (with spdx-*, hosted-git-info, lru-cache) at its top (:27-28),
 * used only when code paths are computed (:135, :221); and @pulumi/kubernetes/yaml/yaml.js loads `glob`
 * (:44, with minimatch, path-scurry, minipass), used only for a `files` pattern (:364, :373): ~25 ms of each
 * process that loads both packages (docs/gate.md "Profile").
 *
 * And the Automation API (`pulumi.automation`: LocalWorkspace, Stack, the CLI wrapper with js-yaml, tmp,
 * semver…), which @pulumi/pulumi's index loads eagerly (index.js:37) though neither the program under
 * mocks nor the pack uses it: ~70 ms of the gate's load phase (docs/gate.md "Profile"). It registers
 * nothing at load (automation/index.js only re-exports its files). The driver imports it by its own path
 * ("@pulumi/pulumi/automation", rollout/pulumi-stack.ts), which is not deferred.
 *
 * Only those requests from those files are deferred: they get a proxy that loads the real module on first
 * use, so closure serialization and `pulumi.automation` still work if something ever calls them. Every
 * other require is untouched. Loaded first by the gate and rollout executables, the mocha processes and
 * the policy pack process (node -r).
 */
const Module = require("node:module");
const path = require("node:path");

const sep = `\\${path.sep}`;
const codePaths = new RegExp(`@pulumi${sep}pulumi${sep}runtime${sep}closure${sep}codePaths\\.js$`);
/** Request → the file that requires it, and how that file imports it (the TypeScript helper it wraps it in). */
const DEFERRED = {
  typescript: { from: new RegExp(`@pulumi${sep}pulumi${sep}typescript-shim\\.js$`), as: "namespace" },
  "@npmcli/arborist": { from: codePaths, as: "namespace" },
  // `require("fdir")`, then `fdir_1.fdir`.
  fdir: { from: codePaths, as: "namespace" },
  // `__importDefault(require("normalize-package-data"))`, then `.default(data)`.
  "normalize-package-data": { from: codePaths, as: "default" },
  // `__importStar(require("glob"))`, then `glob.sync(...)`.
  glob: { from: new RegExp(`@pulumi${sep}kubernetes${sep}yaml${sep}yaml\\.js$`), as: "namespace" },
  "./automation": { from: new RegExp(`@pulumi${sep}pulumi${sep}index\\.js$`), as: "namespace" },
};

/**
 * A stand-in that loads the module on first access. `__esModule` answers true, so the helper the requiring
 * file wraps it in keeps it as it is: `__importStar` (as: "namespace") then reads its members, and
 * `__importDefault` (as: "default") reads `default`, which is the module itself, as the helper would have
 * made it for a CommonJS module.
 */
function deferred(load, as) {
  let real;
  const get = () => {
    real ??= load();
    return real;
  };
  if (as === "default")
    return {
      __esModule: true,
      get default() {
        return get();
      },
    };
  return new Proxy(
    {},
    {
      get: (_, key) => (key === "__esModule" ? true : Reflect.get(get(), key)),
      has: (_, key) => key in get(),
      ownKeys: () => Reflect.ownKeys(get()),
      getOwnPropertyDescriptor: (_, key) => {
        const d = Reflect.getOwnPropertyDescriptor(get(), key);
        return d && { ...d, configurable: true };
      },
    },
  );
}

if (!Module._load.__lazyDeps) {
  const load = Module._load;
  const patched = function (request, parent, isMain) {
    const d = Object.hasOwn(DEFERRED, request) ? DEFERRED[request] : undefined;
    if (d && parent?.filename && d.from.test(parent.filename))
      return deferred(() => load.call(this, request, parent, isMain), d.as);
    return load.call(this, request, parent, isMain);
  };
  patched.__lazyDeps = true;
  Module._load = patched;
}
