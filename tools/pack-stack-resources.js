/**
 * Preloaded into the gate's policy pack process (through tools/pack-memo.js; the published pack runs
 * unpatched): @pulumi/policy's analyzeStack (server.js:315-446 at v1.21.0) builds the policy view of every
 * resource — type, props proxy, options, provider, parent, dependencies — inside its loop over the stack
 * policies, so an analyzeStack of the prod plan builds 25 × 162 of them, and a prod rehearsal sends 17
 * (the pack's largest CPU item in a rehearsal after the request memo: server.js:318 self time,
 * getPropertyDependencies and getResourceOptions; docs/gate.md "Profile").
 *
 * This rewrites that one function's source as it loads: the block that builds the views (from
 * `const intermediates = [];` to the `const args = {` that hands them to a policy) moves, unchanged, into a
 * function of the module, called once per analyzeStack call by the first stack policy that needs it; the
 * policies after it get the same views. Everything else stays as written: the first policy still builds
 * them inside its own try (a failure is reported for that policy, as before), each policy still gets its
 * own `args` and resources array, skipped and not-applicable policies still build nothing. Sound because a
 * stack policy only reads its resources (read-only by contract, as tools/pack-memo.js relies on for the
 * props; nothing in policy/ writes to them) and the props proxies hold no state (proxy.js).
 *
 * Stack traces through server.js keep their line numbers (a frame inside the block now names the new
 * function, at the file's end). Every anchor must occur exactly once inside makeAnalyzeStackRpcFun, or nothing is changed: another
 * @pulumi/policy version runs as shipped (test/gate/pack-stack-resources.test.ts fails for the installed
 * one then, rather than the gate losing the speed silently).
 */
const Module = require("node:module");
const fs = require("node:fs");
const path = require("node:path");

const SERVER = `${path.sep}${path.join("@pulumi", "policy", "server.js")}`;
const REGION_START = "function makeAnalyzeStackRpcFun(";
const REGION_END = "exports.makeAnalyzeStackRpcFun = makeAnalyzeStackRpcFun;";
const DECLARE_AFTER = "const resources = req.getResourcesList();";
const BLOCK_START = "const intermediates = [];";
const BLOCK_END = "const args = {";
const BUILD = "appRolloutStackResources";

const once = (text, anchor) => text.indexOf(anchor) >= 0 && text.indexOf(anchor) === text.lastIndexOf(anchor);

/** server.js's source with analyzeStack's views built once per call: { text, applied }. */
function transform(source) {
  const from = source.indexOf(REGION_START);
  const to = source.indexOf(REGION_END);
  if (from < 0 || to < from) return { text: source, applied: false };
  const region = source.slice(from, to);
  if (![DECLARE_AFTER, BLOCK_START, BLOCK_END].every((a) => once(region, a))) return { text: source, applied: false };
  const a = region.indexOf(BLOCK_START);
  const b = region.indexOf(BLOCK_END);
  if (a > b || a < region.indexOf(DECLARE_AFTER)) return { text: source, applied: false };
  const block = region.slice(a, b);
  // The views must not depend on the policy (`p`) or its config: then they are the same for every policy.
  if (/\bp\b|policyPackConfig|enforcementLevel/.test(block)) return { text: source, applied: false };
  // The block's lines stay as blank lines and the function goes after the last line: every other line of
  // server.js keeps its number, so stack traces through it read as shipped.
  const rewritten =
    region.slice(0, a).replace(DECLARE_AFTER, `${DECLARE_AFTER} let built;`) +
    `const intermediates = built || (built = ${BUILD}(resources));${"\n".repeat(block.split("\n").length - 1)}` +
    block.slice(block.lastIndexOf("\n") + 1) +
    region.slice(b);
  const fn = `\n// tools/pack-stack-resources.js: server.js's own block, run once per analyzeStack call.\nfunction ${BUILD}(resources) {\n${block}\nreturn intermediates;\n}\n`;
  return { text: source.slice(0, from) + rewritten + source.slice(to) + fn, applied: true };
}

/**
 * Installs the rewrite for the next load of @pulumi/policy/server.js, then steps out of node's loader (the
 * modules loaded after it see node's own `.js` handler, with no frame of this one); returns what it did.
 */
function install() {
  const state = { applied: undefined };
  const load = Module._extensions[".js"];
  const hook = function (module, filename) {
    if (!filename.endsWith(SERVER)) return load.call(this, module, filename);
    if (Module._extensions[".js"] === hook) Module._extensions[".js"] = load;
    const { text, applied } = transform(fs.readFileSync(filename, "utf8"));
    state.applied = applied;
    return module._compile(text, filename);
  };
  Module._extensions[".js"] = hook;
  return state;
}

module.exports = { install, transform };
