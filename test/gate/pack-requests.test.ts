/**
 * tools/pack-requests.js (installed in the gate's pack process by tools/pack-memo.js) against the generated
 * decoders: a memoized request must decode to exactly what `deserializeBinary` gives, the same bytes must
 * give the message decoded before, and anything it cannot split must go to the generated decoder.
 */
import * as assert from "node:assert/strict";
import * as grpcPb from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import * as jspb from "google-protobuf";
import type { CapturedResource } from "../../gate/capture";
import { analyzeRequestBytes, analyzeStackRequestBytes } from "../../gate/wire";
import { plan } from "../support/stacks";

type Decode<T> = (buf: Buffer) => T;
interface Service {
  analyze: { requestDeserialize: Decode<pb.AnalyzeRequest> };
  analyzeStack: { requestDeserialize: Decode<pb.AnalyzeStackRequest> };
}
const { memoizeRequests, fieldOneFrames, stackRequest, LIMIT } = require("../../tools/pack-requests") as {
  memoizeRequests(service: Service, generated: typeof pb): { decoded: number; reused: number };
  fieldOneFrames(buf: Buffer): Buffer[] | undefined;
  stackRequest(generated: typeof pb, resources: pb.AnalyzerResource[]): pb.AnalyzeStackRequest;
  LIMIT: number;
};

/** A private copy of the service definition, so the specs never patch the one other specs load. */
function memoized() {
  const real = grpcPb.AnalyzerService as unknown as Service;
  const service: Service = { analyze: { ...real.analyze }, analyzeStack: { ...real.analyzeStack } };
  const stats = memoizeRequests(service, pb);
  return { service, stats };
}

describe("analyzer requests decoded once per content (tools/pack-requests.js)", function () {
  this.timeout(60_000);

  it("an AnalyzeStackRequest decodes as the generated decoder does; the same bytes reuse every resource", async () => {
    const { service, stats } = memoized();
    const bytes = analyzeStackRequestBytes((await plan("prod")).resources);
    const first = service.analyzeStack.requestDeserialize(bytes);
    assert.deepEqual(first.toObject(), pb.AnalyzeStackRequest.deserializeBinary(bytes).toObject());
    const n = first.getResourcesList().length;
    assert.deepEqual(stats, { decoded: n, reused: 0 });
    const second = service.analyzeStack.requestDeserialize(Buffer.from(bytes));
    assert.notEqual(second, first);
    for (const [i, r] of second.getResourcesList().entries()) assert.equal(r, first.getResourcesList()[i]);
    assert.deepEqual(stats, { decoded: n, reused: n });
  });

  it("a changed resource is decoded anew, the others are reused", async () => {
    const { service, stats } = memoized();
    const resources = (await plan("prod")).resources;
    service.analyzeStack.requestDeserialize(analyzeStackRequestBytes(resources));
    const i = resources.findIndex((r) => r.name === "traffic-https");
    const changed: CapturedResource = structuredClone(resources[i]);
    (changed.outputs as Record<string, unknown>).port = 8443;
    const edited = resources.map((r, j) => (j === i ? changed : r));
    const bytes = analyzeStackRequestBytes(edited);
    const msg = service.analyzeStack.requestDeserialize(bytes);
    assert.deepEqual(msg.toObject(), pb.AnalyzeStackRequest.deserializeBinary(bytes).toObject());
    assert.equal(msg.getResourcesList()[i].getProperties()?.toJavaScript().port, 8443);
    assert.deepEqual(stats, { decoded: resources.length + 1, reused: resources.length - 1 });
  });

  it("an AnalyzeRequest is looked up by its bytes", async () => {
    const { service } = memoized();
    const [a, b] = (await plan("staging")).resources;
    const decodedA = service.analyze.requestDeserialize(analyzeRequestBytes(a));
    assert.deepEqual(decodedA.toObject(), pb.AnalyzeRequest.deserializeBinary(analyzeRequestBytes(a)).toObject());
    assert.equal(service.analyze.requestDeserialize(Buffer.from(analyzeRequestBytes(a))), decodedA);
    const decodedB = service.analyze.requestDeserialize(analyzeRequestBytes(b));
    assert.notEqual(decodedB, decodedA);
    assert.equal(decodedB.getUrn(), b.urn);
  });

  it("a request with another field, or truncated, goes to the generated decoder", async () => {
    const { service, stats } = memoized();
    const bytes = analyzeStackRequestBytes((await plan("staging")).resources.slice(0, 3));
    const extra = Buffer.concat([bytes, Buffer.from([0x10, 0x01])]);
    assert.equal(fieldOneFrames(extra), undefined);
    assert.equal(fieldOneFrames(bytes.subarray(0, bytes.length - 1)), undefined);
    assert.equal(fieldOneFrames(bytes)?.length, 3);
    const msg = service.analyzeStack.requestDeserialize(extra);
    assert.deepEqual(msg.toObject(), pb.AnalyzeStackRequest.deserializeBinary(extra).toObject());
    assert.deepEqual(stats, { decoded: 0, reused: 0 });
  });

  it("the memoized AnalyzeStackRequest is the generated one to every reader: its list, toObject, bytes, toArray, toString, clone, setters", async () => {
    const resources = (await plan("staging")).resources.slice(0, 4);
    const bytes = analyzeStackRequestBytes(resources);
    const decoded = () => pb.AnalyzeStackRequest.deserializeBinary(bytes);
    const list = () => decoded().getResourcesList();
    const hexOf = (m: pb.AnalyzeStackRequest) => Buffer.from(m.serializeBinary()).toString("hex");
    const lazy = () => stackRequest(pb, list());
    const given = list();
    assert.equal(stackRequest(pb, given).getResourcesList(), given, "the list was copied");
    assert.ok(lazy() instanceof pb.AnalyzeStackRequest);
    assert.deepEqual(lazy().toObject(), decoded().toObject());
    assert.equal(hexOf(lazy()), bytes.toString("hex"));
    // jspb.Message's own methods read its internal array: they see the list too.
    assert.deepEqual(lazy().toArray(), decoded().toArray());
    assert.equal(lazy().toString(), decoded().toString());
    assert.equal(hexOf(lazy().cloneMessage() as pb.AnalyzeStackRequest), bytes.toString("hex"));
    // jspb's static helpers read a message through its internal toArray (minified `g`).
    assert.ok(jspb.Message.equals(lazy(), decoded()), "jspb.Message.equals sees another message");
    assert.ok(jspb.Message.equals(decoded(), lazy()), "jspb.Message.equals sees another message (reversed)");
    const added = lazy();
    added.addResources(list()[0]);
    assert.equal(added.getResourcesList().length, resources.length + 1);
    assert.equal(
      hexOf(added),
      hexOf(pb.AnalyzeStackRequest.deserializeBinary(analyzeStackRequestBytes([...resources, resources[0]]))),
    );
    const cleared = lazy();
    cleared.clearResourcesList();
    assert.deepEqual(cleared.getResourcesList(), []);
    assert.equal(hexOf(cleared), "");
    const set = lazy();
    set.setResourcesList(list().slice(1));
    assert.equal(hexOf(set), analyzeStackRequestBytes(resources.slice(1)).toString("hex"));
  });

  it(`keeps at most ${LIMIT} requests: the oldest is decoded again`, async () => {
    const { service, stats } = memoized();
    const r = (await plan("staging")).resources[0];
    const variant = (k: number) => analyzeRequestBytes({ ...r, inputs: { ...r.inputs, k } });
    for (let k = 0; k <= LIMIT; k++) service.analyze.requestDeserialize(variant(k));
    service.analyze.requestDeserialize(variant(LIMIT));
    service.analyze.requestDeserialize(variant(0));
    assert.deepEqual(stats, { decoded: LIMIT + 2, reused: 1 });
  });
});
