/**
 * Preloaded into the gate's policy pack process (gate/runtime.ts packEntry), never into the published
 * pack: lets one pack process judge another stack config of the same project — of another stack too — so
 * the gate's evaluator does not start a process per distinct config (41 starts of ~0.43 s CPU each in
 * `npm test`, docs/gate.md "Profile"), nor one per stack.
 *
 * The engine hands a pack its stack config once, in the environment of a fresh process: PULUMI_CONFIG and
 * PULUMI_NODEJS_STACK / _PROJECT / _ORGANIZATION / _DRY_RUN (pulumi-language-nodejs main.go:1655-1680
 * RunPlugin, from the policy proxy's first ConfigureStack; the legacy `pulumi-analyzer-policy` path,
 * analyzer_plugin.go NewPolicyAnalyzer → constructEnv). Its ConfigureStack call carries the config too, but
 * @pulumi/policy 1.21 reads only the tags from it (server.js:132). The SDK copies PULUMI_CONFIG and
 * PULUMI_CONFIG_SECRET_KEYS into its global store when the store is created (@pulumi/pulumi
 * runtime/state.js:64) and parses that copy on every `pulumi.runtime.allConfig()`
 * (runtime/config.js:34 → :89 parseConfig); the pack reads it on every policy call, never at load (each
 * policy calls policy/lib/stack-config.ts inside its validate function). So replacing the store's copy
 * with `setAllConfig` (config.js:42, the same keys after cleanKey) between calls is what a fresh process
 * with that environment would see (test/policy/pack-stack-config.test.ts compares the verdicts); the
 * environment variables are set too, for anything that reads them directly. The stack name (always sent
 * by gate/analyzer.ts) replaces the one the SDK's store took from PULUMI_NODEJS_STACK at its creation
 * (runtime/state.js:28 and :47-60; `pulumi.getStack()` reads that copy, runtime/settings.js:298) and the
 * variable: no policy reads it today (the verdicts are a function of the config), a fresh process for that
 * stack would see it. What the gate does not give a pack, fresh or switched: stack tags (no ConfigureStack
 * call) and PULUMI_NODEJS_DRY_RUN — no policy reads either.
 *
 * The gate sends the config with `configure`, which starts every session (gate/evaluator.ts), as one more
 * policy config entry under STACK_CONFIG_ENTRY (a name no policy can have: policy names are kebab-case).
 * Its request decoder is wrapped: the entry is taken out of the request before @pulumi/policy's
 * `configure` handler (server.js:183) sees it, and its two values become the process environment.
 */
const STACK_CONFIG_ENTRY = "@app-rollout/stack-config";

/**
 * Wraps the configure request decoder of `service` (the generated AnalyzerService definition);
 * `runtimeConfig` and `runtimeState` are the pack's @pulumi/pulumi/runtime/config and runtime/state modules.
 */
function acceptStackConfig(service, runtimeConfig, runtimeState) {
  const method = service.configure;
  const decode = method.requestDeserialize;
  method.requestDeserialize = function requestDeserialize(bytes) {
    const request = decode(bytes);
    const entries = request.getPolicyconfigMap();
    const entry = entries.get(STACK_CONFIG_ENTRY);
    if (!entry) return request;
    entries.del(STACK_CONFIG_ENTRY);
    const { config, secretKeys, stack } = entry.getProperties().toJavaScript();
    process.env.PULUMI_CONFIG = config;
    process.env.PULUMI_CONFIG_SECRET_KEYS = secretKeys;
    runtimeConfig.setAllConfig(JSON.parse(config), JSON.parse(secretKeys));
    if (typeof stack === "string") {
      process.env.PULUMI_NODEJS_STACK = stack;
      runtimeState.getStore().settings.options.stack = stack;
    }
    return request;
  };
}

module.exports = { acceptStackConfig, STACK_CONFIG_ENTRY };
