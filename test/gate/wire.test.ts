/**
 * gate/wire.ts against the generated protobuf classes: the bytes it sends must be exactly what
 * `serializeBinary` of the engine-shaped request produces, and content-equal resources must share bytes
 * while any change to what a message is built from must not.
 */
import * as assert from "node:assert/strict";
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { type CapturedResource, SECRET_PLACEHOLDER } from "../../gate/capture";
import {
  analyzeMessage,
  analyzeRequestBytes,
  analyzeStackRequestBytes,
  stackResourceMessage,
  wireStats,
} from "../../gate/wire";
import { capturedResource } from "../support/resources";
import { plan } from "../support/stacks";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("analyzer requests as bytes (gate/wire.ts)", function () {
  this.timeout(60_000);

  it("an AnalyzeStackRequest is byte for byte what the generated classes serialize, and decodes to every resource", async () => {
    const p = await plan("prod");
    const req = new pb.AnalyzeStackRequest();
    req.setResourcesList(p.resources.map(stackResourceMessage));
    const bytes = analyzeStackRequestBytes(p.resources);
    assert.equal(hex(bytes), hex(req.serializeBinary()));
    const back = pb.AnalyzeStackRequest.deserializeBinary(bytes).getResourcesList();
    assert.deepEqual(
      back.map((r) => r.getUrn()),
      p.resources.map((r) => r.urn),
    );
    assert.ok(p.resources.length > 100, `${p.resources.length} resources`);
  });

  it("an AnalyzeRequest is byte for byte the generated class's, for every resource", async () => {
    const p = await plan("staging");
    for (const r of p.resources)
      assert.equal(hex(analyzeRequestBytes(r)), hex(analyzeMessage(r).serializeBinary()), r.urn);
  });

  it("a content-equal copy reuses the bytes; a changed input, output, option or dependency does not", async () => {
    const p = await plan("prod");
    const listener = p.resources.find((r) => r.name === "traffic-https") as CapturedResource;
    analyzeRequestBytes(listener);
    analyzeStackRequestBytes([listener]);
    const reused = wireStats.reused;
    const copy = structuredClone(listener);
    assert.equal(hex(analyzeRequestBytes(copy)), hex(analyzeRequestBytes(listener)));
    assert.equal(hex(analyzeStackRequestBytes([copy])), hex(analyzeStackRequestBytes([listener])));
    assert.equal(wireStats.reused, reused + 2);
    const edits: ((r: CapturedResource) => void)[] = [
      (r) => {
        r.inputs.port = 8443;
      },
      (r) => {
        (r.outputs as Record<string, unknown>).port = 8443;
      },
      (r) => {
        r.options.protect = !r.options.protect;
      },
      (r) => {
        r.dependencies = [...r.dependencies, "urn:pulumi:prod::x::t::extra"];
      },
    ];
    for (const edit of edits) {
      const changed = structuredClone(listener);
      edit(changed);
      const same =
        hex(analyzeRequestBytes(changed)) === hex(analyzeRequestBytes(listener)) &&
        hex(analyzeStackRequestBytes([changed])) === hex(analyzeStackRequestBytes([listener]));
      assert.equal(same, false, edit.toString());
      const decoded = pb.AnalyzeStackRequest.deserializeBinary(
        analyzeStackRequestBytes([changed]),
      ).getResourcesList()[0];
      assert.deepEqual(decoded.toObject(), stackResourceMessage(changed).toObject());
    }
  });

  it("a new resource object around the same properties objects (a twin's next state) reuses the bytes only when every other field is equal", async () => {
    const p = await plan("prod");
    const listener = p.resources.find((r) => r.name === "traffic-https") as CapturedResource;
    const stack = (r: CapturedResource) => hex(analyzeStackRequestBytes([r]));
    const one = (r: CapturedResource) => hex(analyzeRequestBytes(r));
    const reused = wireStats.reused;
    assert.equal(stack({ ...listener }), stack(listener));
    assert.equal(one({ ...listener }), one(listener));
    assert.equal(wireStats.reused, reused + 2);
    // The same inputs and outputs objects, another field: the bytes are those the generated classes make.
    const variants: CapturedResource[] = [
      { ...listener, name: "traffic-https-2" },
      { ...listener, type: "aws:lb/listener:Listener2" },
      { ...listener, urn: `${listener.urn}-2` },
      { ...listener, parent: undefined },
      { ...listener, options: { ...listener.options, ignoreChanges: ["port"] } },
      { ...listener, dependencies: [] },
      { ...listener, propertyDependencies: {} },
      { ...listener, outputs: undefined },
    ];
    const generated = (v: CapturedResource) => {
      const req = new pb.AnalyzeStackRequest();
      req.setResourcesList([stackResourceMessage(v)]);
      return hex(req.serializeBinary());
    };
    for (const [i, v] of variants.entries()) {
      // The listener's own encodings first (through a copy: the listener itself is answered by object), so
      // each variant is looked up beside them — at most 4 are kept per properties object, and the variants
      // before would have pushed them out.
      stack({ ...listener });
      one({ ...listener });
      assert.ok(stack(v) === generated(v), `variant ${i}: the stack bytes are not the generated classes'`);
      assert.ok(one(v) === hex(analyzeMessage(v).serializeBinary()), `variant ${i}: the analyze bytes differ`);
    }
    // Fields the analyze request is not built from (outputs, dependencies) leave its bytes as they were.
    assert.equal(one({ ...listener, dependencies: [] }), one(listener));
    assert.notEqual(stack({ ...listener, dependencies: [] }), stack(listener));
  });

  it("a gate secret placeholder goes out as a secret value, as the engine sends it", () => {
    const r = capturedResource("prod", "aws:secretsmanager/secretVersion:SecretVersion", "s", {
      secretString: SECRET_PLACEHOLDER,
    });
    const props = pb.AnalyzeRequest.deserializeBinary(analyzeRequestBytes(r)).getProperties()?.toJavaScript();
    assert.deepEqual(props?.secretString, { [specialSigKey]: specialSecretSig, value: SECRET_PLACEHOLDER });
  });
});
