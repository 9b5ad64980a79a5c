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
import { structBytes } from "./struct-bytes";

/** Marks gate secret placeholders as secrets again, so the pack sees them as the engine would send them. */
function rewrapSecrets(v: unknown): unknown {
  if (v === SECRET_PLACEHOLDER) return { [specialSigKey]: specialSecretSig, value: SECRET_PLACEHOLDER };
  if (Array.isArray(v)) return v.map(rewrapSecrets);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rewrapSecrets(x)]));
  return v;
}

/** A resource's properties as JSON text (what the engine sends: JSON values). */
export const propertiesJson = (v: Record<string, unknown> | undefined): string => JSON.stringify(v ?? {});

/** The properties as the engine sends them: JSON values, secrets wrapped. */
const plainProperties = (json: string): Record<string, unknown> =>
  rewrapSecrets(JSON.parse(json)) as Record<string, unknown>;

export function struct(v: Record<string, unknown>): Struct {
  return structOfJson(propertiesJson(v));
}

/** `struct` of properties already written as JSON (`propertiesJson`). */
export function structOfJson(json: string): Struct {
  return Struct.fromJavaScript(plainProperties(json) as Record<string, never>);
}

/** The properties a message of this kind carries: the inputs before a step, the outputs after. */
const propertiesOf = (kind: Kind, r: CapturedResource) => (kind === "analyze" ? r.inputs : (r.outputs ?? r.inputs));

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
  const req = analyzeHead(r);
  req.setProperties(struct(r.inputs));
  return req;
}

/** `analyze`'s request but its properties. */
function analyzeHead(r: CapturedResource): pb.AnalyzeRequest {
  const req = new pb.AnalyzeRequest();
  req.setType(r.type);
  req.setName(r.name);
  req.setUrn(r.urn);
  req.setOptions(options(r));
  return req;
}

/** One resource of `analyzeStack`'s request: outputs, parent and dependencies, after the update. */
export function stackResourceMessage(r: CapturedResource): pb.AnalyzerResource {
  const a = stackResourceHead(r);
  a.setProperties(struct(r.outputs ?? r.inputs));
  return a;
}

/** One resource of `analyzeStack`'s request but its properties. */
function stackResourceHead(r: CapturedResource): pb.AnalyzerResource {
  const a = new pb.AnalyzerResource();
  a.setType(r.type);
  a.setName(r.name);
  a.setUrn(r.urn);
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

/**
 * A message's properties as JSON text, a digest of that text, and the last few messages encoded around them,
 * kept per properties object: a twin's state after each stage is new resource objects (a spread of the old
 * one) around the same inputs, outputs, options and dependency objects (204,732 encodings in the scenario
 * library, 111,316 hits by resource object, 92,547 by content — 74,314 of them around properties already
 * seen — each of which stringified and hashed the whole properties again). Sound while no one edits a
 * properties object in place: captured and loaded plans are frozen (./freeze.ts), and the twin builds new
 * objects for a resource's next state instead of editing the old ones (rollout/twin/engine.ts).
 */
interface Properties {
  json: string;
  digest: string;
  around: Encoding[];
}

/** A message encoded around a properties object: the other fields it was built from, by identity. */
interface Encoding {
  kind: Kind;
  r: Pick<CapturedResource, "type" | "name" | "urn" | "parent" | "options" | "dependencies" | "propertyDependencies">;
  bytes: Buffer;
}

const byProperties = new WeakMap<object, Properties>();
const NO_PROPERTIES = {};
/** Messages kept per properties object (most have one per kind). */
const MAX_AROUND = 4;

function properties(v: Record<string, unknown> | undefined): Properties {
  const object = v ?? NO_PROPERTIES;
  let p = byProperties.get(object);
  if (p === undefined) {
    const json = propertiesJson(object);
    p = { json, digest: createHash("sha1").update(json).digest("base64"), around: [] };
    byProperties.set(object, p);
  }
  return p;
}

/** The same fields as a message encoded before: equal strings, the same objects (never mutated). */
function sameFields(e: Encoding, kind: Kind, r: CapturedResource): boolean {
  const o = e.r;
  return (
    e.kind === kind &&
    o.urn === r.urn &&
    o.type === r.type &&
    o.name === r.name &&
    o.parent === r.parent &&
    o.options === r.options &&
    (kind === "analyze" || (o.dependencies === r.dependencies && o.propertyDependencies === r.propertyDependencies))
  );
}

/**
 * Exactly the fields each message is built from, so equal keys mean equal bytes: the fields but the
 * properties as JSON, hashed, then the digest of the properties' JSON text (both base64 digests of fixed
 * length: the two parts cannot run into each other).
 */
function contentKey(kind: Kind, r: CapturedResource, props: Properties): string {
  const common = [kind, r.type, r.name, r.urn, r.options, r.parent ?? ""];
  const rest = kind === "analyze" ? [] : [r.dependencies, r.propertyDependencies];
  // Hashed: the fields' JSON is ~800 characters (2,170 at most in prod), kept for each of MAX_CACHED entries.
  return `${createHash("sha1")
    .update(JSON.stringify([...common, ...rest]))
    .digest("base64")}:${props.digest}`;
}

/** Bounded: a long scenario run sees tens of thousands of distinct resources; the cache is then restarted. */
const MAX_CACHED = 20_000;
const byContent = new Map<string, Buffer>();
/** Per object too: captured plans and the twin's state never mutate a resource object once captured. */
const byObject: Record<Kind, WeakMap<CapturedResource, Buffer>> = { analyze: new WeakMap(), stack: new WeakMap() };
export const wireStats = { encoded: 0, reused: 0 };

/** Fields 1 (`type`) and 2 (`properties`), wire type 2, in both AnalyzeRequest and AnalyzerResource. */
const TYPE_TAG = 0x0a;
const PROPERTIES_TAG = 0x12;

/**
 * A message's bytes: the generated class serializes everything but the properties, whose Struct bytes
 * (gate/struct-bytes.ts) go in where the generated code writes field 2 — after field 1 (`type`, written
 * when not empty), before field 3; google-protobuf serializes fields in field-number order. A value the
 * Struct encoder does not reproduce goes through google-protobuf whole.
 */
function messageBytes(kind: Kind, r: CapturedResource, properties: string): Buffer {
  const props = structBytes(plainProperties(properties));
  if (!props) {
    const message = kind === "analyze" ? analyzeMessage(r) : stackResourceMessage(r);
    return Buffer.from(message.serializeBinary());
  }
  const rest = Buffer.from((kind === "analyze" ? analyzeHead(r) : stackResourceHead(r)).serializeBinary());
  let at = 0;
  if (rest[0] === TYPE_TAG) {
    let len = 0;
    let shift = 0;
    at = 1;
    for (;;) {
      const b = rest[at++];
      len += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (b < 0x80) break;
    }
    at += len;
  }
  return Buffer.concat([
    rest.subarray(0, at),
    Buffer.from([PROPERTIES_TAG]),
    varint(props.length),
    props,
    rest.subarray(at),
  ]);
}

function encoded(kind: Kind, r: CapturedResource): Buffer {
  const mine = byObject[kind].get(r);
  if (mine) return mine;
  const props = properties(propertiesOf(kind, r));
  const around = props.around.find((e) => sameFields(e, kind, r));
  let bytes = around?.bytes ?? byContent.get(contentKey(kind, r, props));
  if (bytes) wireStats.reused++;
  else {
    wireStats.encoded++;
    bytes = messageBytes(kind, r, props.json);
    if (byContent.size >= MAX_CACHED) byContent.clear();
    byContent.set(contentKey(kind, r, props), bytes);
  }
  if (!around) {
    if (props.around.length >= MAX_AROUND) props.around.shift();
    const { urn, type, name, parent, options, dependencies, propertyDependencies } = r;
    props.around.push({ kind, r: { urn, type, name, parent, options, dependencies, propertyDependencies }, bytes });
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
