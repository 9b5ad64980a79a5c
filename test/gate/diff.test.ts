/**
 * gate/diff.ts `diffValues`: its equality shortcut must never hide a path the walk reports. Compared with
 * the walk alone (the same levels, no shortcut) on equal copies, single edits and the cases where "equal"
 * is subtle: named lists in another order, a key missing vs undefined, NaN, arrays vs array-likes.
 */
import * as assert from "node:assert/strict";
import { diffLevel, diffValues } from "../../gate/diff";
import { randomJson } from "../support/random-json";

/** The walk alone: diffValues without its equality shortcut, at any level. */
const walk = (a: unknown, b: unknown, path: string, out: string[]): void => diffLevel(a, b, path, out, walk);

const paths = (f: typeof walk, a: unknown, b: unknown) => {
  const out: string[] = [];
  f(a, b, "", out);
  return out;
};

/** A copy of `v` with one leaf or key changed, chosen by `pick` (uniform in [0, 1)). */
function edited(v: unknown, pick: () => number): unknown {
  if (Array.isArray(v) && v.length > 0) {
    const i = Math.floor(pick() * v.length);
    return v.map((x, j) => (j === i ? edited(x, pick) : x));
  }
  if (v && typeof v === "object") {
    const keys = Object.keys(v);
    if (keys.length === 0 || pick() < 0.2) return { ...v, added: 1 };
    const k = keys[Math.floor(pick() * keys.length)];
    if (pick() < 0.2) return Object.fromEntries(Object.entries(v).filter(([x]) => x !== k));
    return { ...v, [k]: edited((v as Record<string, unknown>)[k], pick) };
  }
  return typeof v === "number" ? v + 1 : typeof v === "string" ? `${v}x` : v === null ? 0 : !v;
}

describe("plan diffs (gate/diff.ts diffValues)", () => {
  it("reports exactly the walk's paths: equal copies, single edits, 400 random pairs", () => {
    const seed = { s: 0x5eed };
    const shape = { chars: ["a", "b", "name", "é"], maxString: 4, maxKeys: 5, maxDepth: 4, number: () => 1 };
    const pick = () => {
      seed.s ^= seed.s << 13;
      seed.s ^= seed.s >>> 17;
      seed.s ^= seed.s << 5;
      return (seed.s >>> 0) / 2 ** 32;
    };
    let differing = 0;
    for (let i = 0; i < 400; i++) {
      const a = randomJson(seed, shape);
      const b = i % 2 === 0 ? structuredClone(a) : edited(a, pick);
      const expected = paths(walk, a, b);
      if (expected.length > 0) differing++;
      assert.deepEqual(paths(diffValues, a, b), expected, JSON.stringify([a, b]));
    }
    assert.ok(differing > 100, `only ${differing} pairs differ: the edits do not reach the walk`);
  });

  it("named lists in another order, a missing key vs undefined, NaN: as the walk says", () => {
    const env = [
      { name: "A", value: "1" },
      { name: "B", value: "2" },
    ];
    const cases: [unknown, unknown][] = [
      [{ env }, { env: [env[1], env[0]] }],
      [{ env }, { env: [env[1], { name: "A", value: "3" }] }],
      [{ a: 1, b: undefined }, { a: 1 }],
      [{ a: 1 }, { a: 1, b: undefined }],
      [{ n: Number.NaN }, { n: Number.NaN }],
      [
        [1, 2],
        [1, 2, 3],
      ],
      [{ a: [1] }, { a: { 0: 1 } }],
      [{ a: { 0: 1 } }, { a: [1] }],
      [[], { length: 0 }],
      [{ length: 0 }, []],
      [{ k: 1 }, Object.defineProperty({ j: 2 }, "k", { value: 1, enumerable: false })],
      [{ x: undefined }, { y: 1 }],
      [[1], { 0: 1, length: 1 }],
      [null, {}],
    ];
    for (const [a, b] of cases) assert.deepEqual(paths(diffValues, a, b), paths(walk, a, b), JSON.stringify([a, b]));
    assert.deepEqual(paths(diffValues, cases[0][0], cases[0][1]), []);
    assert.deepEqual(paths(diffValues, cases[1][0], cases[1][1]), ["env[A].value"]);
  });
});
