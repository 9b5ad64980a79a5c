/**
 * The analyzer requests the engine sends, as protobuf bytes (pulumi/proto/analyzer.proto, the messages in
 * @pulumi/pulumi/proto/analyzer_pb.js), each resource encoded once per content (issue #18): a rehearsal
 * sends the whole stack on every analyzeStack, and most resources are the same from one stage's capture to
 * the next, but building and serializing their google-protobuf messages was 23 s of a 293 s profiled test
 * run. A resource's message is built with the generated classes as before; its bytes are kept by content,
 * and an AnalyzeStackRequest (`repeated AnalyzerResource resources = 1;`, its only field) is the
 * concatenation of one length-delimited field-1 frame per resource, as protobuf encodes a repeated message.
 */
import { createHash } from "node:crypto";
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { type CapturedResource, SECRET_PLACEHOLDER } from "./capture";

/** Marks gate secret placeholders as secrets again, so the pack sees them as the engine would send them. */
function rewrapSecrets(v: unknown): unknown {
  if (v === SECRET_PLACEHOLDER) return { [specialSigKey]: specialSecretSig, value: SECRET_PLACEHOLDER };
  if (Array.isArray(v)) return v.map(rewrapSecrets);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rewrapSecrets(x)]));
  return v;
}

export function struct(v: Record<string, unknown>): Struct {
  return Struct.fromJavaScript(rewrapSecrets(JSON.parse(JSON.stringify(v ?? {}))) as Record<string, never>);
}

function options(r: CapturedResource): pb.AnalyzerResourceOptions {
  const o = new pb.AnalyzerResourceOptions();
  o.setProtect(r.options.protect);
  o.setIgnorechangesList(r.options.ignoreChanges);
  o.setDeletebeforereplace(r.options.deleteBeforeReplace);
  o.setDeletebeforereplacedefined(r.options.deleteBeforeReplace);
  o.setAdditionalsecretoutputsList(r.options.additionalSecretOutputs);
  if (r.parent) o.setParent(r.parent);
  return o;
}

/** `analyze`'s request: the resource's inputs, before its step. */
export function analyzeMessage(r: CapturedResource): pb.AnalyzeRequest {
  const req = new pb.AnalyzeRequest();
  req.setType(r.type);
  req.setName(r.name);
  req.setUrn(r.urn);
  req.setProperties(struct(r.inputs));
  req.setOptions(options(r));
  return req;
}

/** One resource of `analyzeStack`'s request: outputs, parent and dependencies, after the update. */
export function stackResourceMessage(r: CapturedResource): pb.AnalyzerResource {
  const a = new pb.AnalyzerResource();
  a.setType(r.type);
  a.setName(r.name);
  a.setUrn(r.urn);
  a.setProperties(struct(r.outputs ?? r.inputs));
  a.setOptions(options(r));
  if (r.parent) a.setParent(r.parent);
  a.setDependenciesList(r.dependencies);
  for (const [prop, urns] of Object.entries(r.propertyDependencies)) {
    const deps = new pb.AnalyzerPropertyDependencies();
    deps.setUrnsList(urns);
    a.getPropertydependenciesMap().set(prop, deps);
  }
  return a;
}

type Kind = "analyze" | "stack";

/** Exactly the fields each message is built from, so equal keys mean equal bytes. */
function contentKey(kind: Kind, r: CapturedResource): string {
  const common = [kind, r.type, r.name, r.urn, r.options, r.parent ?? ""];
  const rest = kind === "analyze" ? [r.inputs] : [r.outputs ?? r.inputs, r.dependencies, r.propertyDependencies];
  return createHash("sha1")
    .update(JSON.stringify([...common, ...rest]))
    .digest("base64");
}

/** Bounded: a long scenario run sees tens of thousands of distinct resources; the cache is then restarted. */
const MAX_CACHED = 20_000;
const byContent = new Map<string, Buffer>();
/** Per object too: captured plans and the twin's state never mutate a resource object once captured. */
const byObject: Record<Kind, WeakMap<CapturedResource, Buffer>> = { analyze: new WeakMap(), stack: new WeakMap() };
export const wireStats = { encoded: 0, reused: 0 };

function encoded(kind: Kind, r: CapturedResource): Buffer {
  const mine = byObject[kind].get(r);
  if (mine) return mine;
  const key = contentKey(kind, r);
  let bytes = byContent.get(key);
  if (bytes) wireStats.reused++;
  else {
    wireStats.encoded++;
    const message = kind === "analyze" ? analyzeMessage(r) : stackResourceMessage(r);
    bytes = Buffer.from(message.serializeBinary());
    if (byContent.size >= MAX_CACHED) byContent.clear();
    byContent.set(key, bytes);
  }
  byObject[kind].set(r, bytes);
  return bytes;
}

/** The bytes of `analyze`'s AnalyzeRequest for a resource. */
export function analyzeRequestBytes(r: CapturedResource): Buffer {
  return encoded("analyze", r);
}

/** A varint (protobuf base-128, little-endian groups of 7 bits). */
function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}

/** Field 1, wire type 2 (length-delimited): `(1 << 3) | 2`. */
const RESOURCES_TAG = Buffer.from([0x0a]);

/** The bytes of `analyzeStack`'s AnalyzeStackRequest for the stack's resources, in order. */
export function analyzeStackRequestBytes(resources: CapturedResource[]): Buffer {
  const parts: Buffer[] = [];
  for (const r of resources) {
    const bytes = encoded("stack", r);
    parts.push(RESOURCES_TAG, varint(bytes.length), bytes);
  }
  return Buffer.concat(parts);
}
