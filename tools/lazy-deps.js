/**
 * Defers heavy modules @pulumi/pulumi loads eagerly. Two it only needs to serialize a JavaScript closure
 * into a cloud function (pulumi.runtime.serializeFunction), which neither the program nor the pack does:
 * `typescript` (required by @pulumi/pulumi/typescript-shim.js, ~9 MB of source to compile: ~225 ms in the
 * gate, ~410 ms in the pack process) and `@npmcli/arborist` with its dependency tree (pacote, glob, tar…;
 * required by runtime/closure/codePaths.js: ~100 ms). Measured in docs/gate.md "Profile".
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
const DEFERRED = {
  typescript: new RegExp(`@pulumi${sep}pulumi${sep}typescript-shim\\.js$`),
  "@npmcli/arborist": new RegExp(`@pulumi${sep}pulumi${sep}runtime${sep}closure${sep}codePaths\\.js$`),
  "./automation": new RegExp(`@pulumi${sep}pulumi${sep}index\\.js$`),
};

/** A stand-in that loads the module on first access; `__esModule` answers true so `__importStar` keeps it. */
function deferred(load) {
  let real;
  const get = () => {
    real ??= load();
    return real;
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
    const from = DEFERRED[request];
    if (from && parent?.filename && from.test(parent.filename))
      return deferred(() => load.call(this, request, parent, isMain));
    return load.call(this, request, parent, isMain);
  };
  patched.__lazyDeps = true;
  Module._load = patched;
}
