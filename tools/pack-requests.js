/**
 * Analyzer requests, decoded once per content, for the gate's policy pack process (installed by
 * tools/pack-memo.js; the published pack runs unpatched). The gate sends the very same bytes for a
 * resource whose content did not change (gate/wire.ts caches each resource's encoding), and a rehearsal or
 * a test run sends mostly the same plan in every stage: an AnalyzeStackRequest of the prod plan is 162
 * field-1 frames, most of which recur, yet the generated `deserializeBinary` decodes all of them on every
 * call (284 ms of the pack's CPU in a prod rehearsal, docs/gate.md "Profile").
 *
 * `memoizeRequests` wraps the request deserializers of the service definition that @pulumi/policy's
 * server.js:111 registers (`AnalyzerService` of @pulumi/pulumi/proto/analyzer_grpc_pb.js; grpc-js reads
 * them at addService, so this must run before the pack's entry point). An AnalyzeRequest is looked up by
 * its bytes. An AnalyzeStackRequest is split into its field-1 frames — `resources`, the only field of the
 * message in this version (analyzer_pb.js:3200); any other field falls back to the generated decoder —
 * and each frame's AnalyzerResource is looked up by its bytes. A hit returns the message decoded earlier:
 * sound because server.js only reads requests (no setter is called on them), and its properties Struct is
 * then the same object, so pack-memo's per-Struct decoding hits across calls as well. Some getters hand
 * the message's own arrays to the policies (e.g. `opts.ignoreChanges`, server.js:472), now shared across
 * calls: a policy must not mutate them (none in policy/ does; they are read-only by contract). Remediate requests
 * (which decode with secrets proxied) go through unchanged.
 */

/** Entries per cache; the oldest goes when full (a long test run sees many distinct resources). */
const LIMIT = 4096;

function lookup(map, key, make) {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    if (map.size >= LIMIT) map.delete(map.keys().next().value);
    map.set(key, value);
  }
  return value;
}

function varint(buf, at) {
  let value = 0;
  for (let shift = 0; at < buf.length && shift <= 28; shift += 7) {
    const b = buf[at++];
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return { value, at };
  }
  return undefined;
}

/** The payloads of `buf` if it is only length-delimited field-1 frames (tag 0x0a); otherwise undefined. */
function fieldOneFrames(buf) {
  const frames = [];
  let at = 0;
  while (at < buf.length) {
    const tag = varint(buf, at);
    if (tag?.value !== 0x0a) return undefined;
    const len = varint(buf, tag.at);
    if (!len || len.at + len.value > buf.length) return undefined;
    frames.push(buf.subarray(len.at, len.at + len.value));
    at = len.at + len.value;
  }
  return frames;
}

/**
 * An AnalyzeStackRequest whose resources are `resources` themselves. The generated `setResourcesList` (jspb
 * `setRepeatedWrapperField`) calls each resource's `toArray`, which syncs every map of its whole message
 * tree (google-protobuf.js `mb`: each Struct's fields, every level) — on every call, for resources decoded
 * long before: 1.4 s of the gate's pack processes in a profiled `npm test`. The generated reads — the
 * list, `toObject` and `serializeBinary` (analyzer_pb.js: both read `getResourcesList()`) — answer from the
 * list as it is; any jspb.Message prototype method (they read jspb's internal array: `toArray`, `toString`,
 * `cloneMessage`, ...) or list setter first gives the message its list the generated way, then runs.
 * server.js only calls `getResourcesList()` (server.js:321).
 */
function stackRequest(pb, resources) {
  const msg = new pb.AnalyzeStackRequest();
  const generated = pb.AnalyzeStackRequest.prototype;
  const realizing = realizingMethods(generated);
  const realize = () => {
    for (const name of ["getResourcesList", ...realizing]) delete msg[name];
    generated.setResourcesList.call(msg, resources);
  };
  msg.getResourcesList = () => resources;
  for (const name of realizing)
    msg[name] = (...args) => {
      realize();
      return msg[name](...args);
    };
  return msg;
}

/** jspb.Message's prototype methods and the list setters, per generated prototype (read once). */
const realizingByPrototype = new WeakMap();
function realizingMethods(generated) {
  let names = realizingByPrototype.get(generated);
  if (!names) {
    const jspb = Object.getOwnPropertyNames(Object.getPrototypeOf(generated)).filter((n) => n !== "constructor");
    names = [...jspb, "setResourcesList", "addResources", "clearResourcesList"];
    realizingByPrototype.set(generated, names);
  }
  return names;
}

/** Wraps `service.analyze` and `service.analyzeStack`'s request deserializers; returns the caches' stats. */
function memoizeRequests(service, pb) {
  const requests = new Map();
  const resources = new Map();
  const stats = { decoded: 0, reused: 0 };
  const cached = (map, buf, decode) => {
    let hit = true;
    const value = lookup(map, buf.toString("latin1"), () => {
      hit = false;
      return decode(buf);
    });
    stats[hit ? "reused" : "decoded"]++;
    return value;
  };
  const decodeAnalyze = service.analyze.requestDeserialize;
  const decodeStack = service.analyzeStack.requestDeserialize;
  const decodeResource = (f) => pb.AnalyzerResource.deserializeBinary(new Uint8Array(f));
  service.analyze.requestDeserialize = (buf) => cached(requests, buf, decodeAnalyze);
  service.analyzeStack.requestDeserialize = (buf) => {
    const frames = fieldOneFrames(buf);
    if (!frames) return decodeStack(buf);
    return stackRequest(
      pb,
      frames.map((f) => cached(resources, f, decodeResource)),
    );
  };
  return stats;
}

module.exports = { memoizeRequests, fieldOneFrames, stackRequest, LIMIT };
