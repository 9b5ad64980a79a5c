/**
 * gate/struct-bytes.ts against google-protobuf itself: for every value it encodes, the bytes must be
 * exactly `Struct.fromJavaScript(v).serializeBinary()`'s; for what it does not reproduce it must answer
 * undefined (the caller then uses google-protobuf). The plans' resources are compared in wire.test.ts.
 */
import * as assert from "node:assert/strict";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { structBytes } from "../../gate/struct-bytes";
import { type RandomJsonShape, randomJson } from "../support/random-json";

const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString("hex") : "undefined");
const jspb = (v: Record<string, unknown>) => Struct.fromJavaScript(v as Record<string, never>).serializeBinary();

/** Random JSON values with multi-byte and astral characters in their strings. */
const SHAPE: RandomJsonShape = {
  chars: ["a", "Z", "é", "中", "😀", " ", "\n", "\u0000"],
  maxString: 40,
  maxKeys: 6,
  maxDepth: 3,
  number: (next) => [0, -1, 1.5, 2 ** 53, -(2 ** 31), 1e308, 5e-324, next() * 1e6 - 5e5][Math.floor(next() * 8)],
};
const randomValue = (seed: { s: number }) => randomJson(seed, SHAPE);

describe("Struct bytes without the message objects (gate/struct-bytes.ts)", () => {
  it("writes google-protobuf's bytes for every JSON type, defaults included, keys in its order", () => {
    const values: Record<string, unknown>[] = [
      {},
      { "": "", b: 1, a: 2, "10": 3, "2": 4, B: 5, _: null },
      { zero: 0, neg: -1, half: 1.5, big: 1e308, tiny: 5e-324, int53: 2 ** 53, min32: -(2 ** 31) },
      { t: true, f: false, n: null, e: {}, l: [], ll: [[], [[]], [1, [2, [3]]]] },
      { text: "é中😀\u0000\n", long: "x".repeat(200), longer: "é".repeat(20_000) },
      { nested: { a: { b: { c: { d: [{ e: "f" }, null, true, 0] } } } } },
      { constructor: 1, toString: "x", hasOwnProperty: [] },
    ];
    for (const v of values) assert.equal(hex(structBytes(v)), hex(jspb(v)), JSON.stringify(v).slice(0, 80));
  });

  it("writes google-protobuf's bytes for 300 random JSON values", () => {
    const seed = { s: 0x9e3779b9 };
    for (let i = 0; i < 300; i++) {
      const v = { value: randomValue(seed), [`k${i}`]: randomValue(seed) };
      assert.equal(hex(structBytes(v)), hex(jspb(v)), `case ${i}`);
    }
  });

  it("answers undefined for what it does not reproduce: a lone surrogate, a __proto__ key, non-JSON values", () => {
    const lone = { s: "a\uD800b" };
    assert.equal(structBytes(lone), undefined);
    // google-protobuf writes the code unit itself, which Buffer's UTF-8 would not.
    assert.notEqual(hex(jspb(lone)), hex(Struct.fromJavaScript({ s: "a\uFFFDb" }).serializeBinary()));
    assert.equal(structBytes(JSON.parse('{"__proto__": 1}')), undefined);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, new Date(0), undefined, () => 1, 1n])
      assert.equal(structBytes({ x: bad }), undefined, String(bad));
  });

  it("answers undefined, not a stack overflow, for nesting deeper than its recursion goes", () => {
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 20_000; i++) deep = { a: deep };
    assert.equal(structBytes(deep), undefined);
    let shallow: Record<string, unknown> = {};
    for (let i = 0; i < 50; i++) shallow = { a: shallow };
    assert.equal(hex(structBytes(shallow)), hex(jspb(shallow)));
  });
});
