/**
 * gate/struct-build.ts against google-protobuf's generated `Struct.fromJavaScript`: the same message —
 * bytes, `toJavaScript()`, `toArray()` — for every resource of both plans, edge values and random ones;
 * the same error for what a Struct cannot hold. And the capture installs it only while it runs.
 */
import * as assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import { runInNewContext } from "node:vm";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { capturePlan } from "../../gate/capture";
import { structFromJavaScript, withTopDownStructs } from "../../gate/struct-build";
import { type RandomJsonShape, randomJson } from "../support/random-json";
import { plan, STACKS } from "../support/stacks";

const generated = Struct.fromJavaScript;

/** Both builds of `obj`, compared as messages; a thrown error must be the same. */
function same(obj: Record<string, unknown>, label: string): void {
  let expected: Struct | Error;
  try {
    expected = generated(obj as Record<string, never>);
  } catch (e) {
    expected = e as Error;
  }
  if (expected instanceof Error) {
    assert.throws(() => structFromJavaScript(obj), { message: expected.message }, label);
    return;
  }
  const actual = structFromJavaScript(obj);
  assert.equal(
    Buffer.from(actual.serializeBinary()).toString("hex"),
    Buffer.from(expected.serializeBinary()).toString("hex"),
    label,
  );
  assert.deepStrictEqual(actual.toJavaScript(), expected.toJavaScript(), label);
  assert.ok(isDeepStrictEqual(actual.toArray(), expected.toArray()), `${label}: toArray differs`);
}

/** Random values with what JSON cannot hold too: -0, NaN, Infinity, lone surrogates. */
const SHAPE: RandomJsonShape = {
  chars: ["a", "é", "😀", "\u0000", "\uD800"],
  maxString: 12,
  maxKeys: 5,
  maxDepth: 4,
  number: (next) => [0, -0, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53][Math.floor(next() * 6)],
};

describe("Struct built top-down (gate/struct-build.ts)", () => {
  for (const stack of STACKS)
    it(`builds google-protobuf's message for every input and output of the ${stack} plan`, async () => {
      const p = await plan(stack);
      for (const r of p.resources) {
        same(r.inputs, `${r.name} inputs`);
        if (r.outputs) same(r.outputs, `${r.name} outputs`);
      }
    });

  it("the same message or the same error for edge values", () => {
    const inherited = Object.create({ fromProto: 1 }) as Record<string, unknown>;
    inherited.own = 2;
    const sparse: unknown[] = [1];
    sparse[2] = 3;
    const values: Record<string, unknown>[] = [
      {},
      { "": "", b: 1, a: 2, "10": 3, "2": 4, _: null },
      { nan: Number.NaN, inf: Number.NEGATIVE_INFINITY, negZero: -0, tiny: 5e-324 },
      { lone: "a\uD800b", astral: "😀", nul: "\u0000" },
      { deep: { a: [{ b: [[{ c: [null, true, { d: "e" }] }]] }] }, e: {}, l: [[], [[]]] },
      { constructor: 1, toString: "x", hasOwnProperty: [] },
      JSON.parse('{"__proto__": {"x": 1}, "y": 2}'),
      inherited,
      { date: new Date(0), bytes: new Uint8Array([1, 2]), boxed: new Number(1) },
      { undef: undefined },
      { fn: () => 1 },
      { big: 1n },
      { sym: Symbol("s") },
      { sparse },
      // Classified by the runtime's typeOf, not Array.isArray: array-likes, Proxies, other realms.
      { a: Object.assign(Object.create(Array.prototype), { k: 1 }) },
      { a: Object.setPrototypeOf({ 0: "x", length: 1 }, Array.prototype) },
      { a: new Proxy({ 0: "x", length: 1 }, { getPrototypeOf: () => Array.prototype }) },
      {
        f: Object.assign(
          Object.setPrototypeOf(() => 1, null),
          { x: 1 },
        ),
      },
      { a: runInNewContext("[1, [2], { b: 3 }]"), o: runInNewContext("({ c: [4] })") },
    ];
    values.forEach((v, i) => {
      same(v, `case ${i}`);
    });
  });

  it("installed, reads each value once: an error thrown while reading it is thrown, not retried", () => {
    let reads = 0;
    const obj = {
      get g(): unknown {
        reads++;
        throw new RangeError("transient");
      },
    };
    const restore = withTopDownStructs();
    try {
      assert.throws(() => Struct.fromJavaScript(obj as never), { name: "RangeError", message: "transient" });
    } finally {
      restore();
    }
    assert.equal(reads, 1);
  });

  it("the same message for 300 random values", () => {
    const seed = { s: 0x2545f491 };
    for (let i = 0; i < 300; i++) same({ v: randomJson(seed, SHAPE), [`k${i}`]: randomJson(seed, SHAPE) }, `case ${i}`);
  });

  it("is installed while a capture runs and the generated one is back after it, also when the program throws", async () => {
    let during: unknown;
    const program = () => {
      during = Struct.fromJavaScript;
    };
    await capturePlan({ project: "p", stack: "s", config: {}, program });
    assert.notEqual(during, generated, "the capture ran with the generated Struct.fromJavaScript");
    assert.equal(Struct.fromJavaScript, generated, "not restored after the capture");
    await assert.rejects(
      capturePlan({
        project: "p",
        stack: "s",
        config: {},
        program: () => {
          throw new Error("boom");
        },
      }),
      /boom/,
    );
    assert.equal(Struct.fromJavaScript, generated, "not restored after a failed capture");
  });
});
