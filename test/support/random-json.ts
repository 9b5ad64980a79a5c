/**
 * Deterministic pseudo-random JSON-like values for the Struct encoder specs (xorshift32 on `seed.s`): the
 * same seed gives the same values on every run.
 */
export interface RandomJsonShape {
  /** Characters strings are made of. */
  chars: readonly string[];
  /** Strings are shorter than this. */
  maxString: number;
  /** Objects have fewer keys than this. */
  maxKeys: number;
  /** Beyond this depth only leaves. */
  maxDepth: number;
  /** A number, drawn with `next` (uniform in [0, 1)). */
  number(next: () => number): number;
}

export function randomJson(seed: { s: number }, shape: RandomJsonShape, depth = 0): unknown {
  const next = () => {
    seed.s ^= seed.s << 13;
    seed.s ^= seed.s >>> 17;
    seed.s ^= seed.s << 5;
    return (seed.s >>> 0) / 2 ** 32;
  };
  const str = () =>
    Array.from(
      { length: Math.floor(next() * shape.maxString) },
      () => shape.chars[Math.floor(next() * shape.chars.length)],
    ).join("");
  const pick = Math.floor(next() * (depth > shape.maxDepth ? 4 : 6));
  if (pick === 0) return null;
  if (pick === 1) return shape.number(next);
  if (pick === 2) return str();
  if (pick === 3) return next() < 0.5;
  if (pick === 4) return Array.from({ length: Math.floor(next() * 5) }, () => randomJson(seed, shape, depth + 1));
  return Object.fromEntries(
    Array.from({ length: Math.floor(next() * shape.maxKeys) }, () => [str(), randomJson(seed, shape, depth + 1)]),
  );
}
