/**
 * Preloaded into the gate's policy pack process (gate/runtime.ts packEntry): @pulumi/policy deserializes a
 * resource's properties once per policy (server.js:255 in analyze, :351 in analyzeStack, inside the policy
 * loop), so an analyzeStack of the prod plan with 25 stack policies decodes each of ~300 protobuf Structs
 * 25 times — half the pack's CPU in a gate run (docs/gate.md "Profile"). This memoizes the decoding per
 * Struct object (the request's own message: the same input gives the same plain JSON), so the policies
 * of one call share one decoded object behind their own unknown-checking proxies. That is sound because
 * no policy writes to the properties it is given (they are read-only by contract; a grep of policy/ for
 * assignments finds only local arrays). Freezing the shared object is not an option: @pulumi/policy's
 * unknownCheckingProxy returns nested proxies, which a Proxy may not do for frozen properties, and the
 * preview specs then judge differently.
 *
 * Only the plain decoding (proxySecrets false, what validate functions get) is memoized; remediations
 * (proxySecrets true) go through unchanged. Below, the gRPC requests themselves are decoded once per
 * content (tools/pack-requests.js), which carries the memo across the calls of one pack process (the
 * rehearsal's stages send mostly the same resources). The published pack runs without either, exactly as
 * shipped.
 */
const path = require("node:path");

// analyzeStack's resource views built once per call, not once per stack policy (tools/pack-stack-resources.js);
// installed before anything loads @pulumi/policy's server.js.
require("./pack-stack-resources").install();

const file = require.resolve("@pulumi/policy/deserialize", { paths: [process.cwd(), path.join(__dirname, "..")] });
const deserialize = require(file);
const decode = deserialize.deserializeProperties;
const memo = new WeakMap();
deserialize.deserializeProperties = function deserializeProperties(struct, proxySecrets) {
  if (proxySecrets || !struct || typeof struct !== "object") return decode(struct, proxySecrets);
  let props = memo.get(struct);
  if (!props) {
    props = decode(struct, false);
    memo.set(struct, props);
  }
  return props;
};

// Requests, decoded once per content (tools/pack-requests.js): the same bytes give the message decoded
// earlier, so the memo above hits across calls too.
const pbDir = path.dirname(file);
const service = require(require.resolve("@pulumi/pulumi/proto/analyzer_grpc_pb", { paths: [pbDir] }));
const pb = require(require.resolve("@pulumi/pulumi/proto/analyzer_pb", { paths: [pbDir] }));
require("./pack-requests").memoizeRequests(service.AnalyzerService, pb);

// Another stack config of the same project, of any stack, sent with `configure` (tools/pack-stack-config.js).
const runtimeConfig = require(require.resolve("@pulumi/pulumi/runtime/config", { paths: [pbDir] }));
const runtimeState = require(require.resolve("@pulumi/pulumi/runtime/state", { paths: [pbDir] }));
require("./pack-stack-config").acceptStackConfig(service.AnalyzerService, runtimeConfig, runtimeState);
