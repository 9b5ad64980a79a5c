/** Pure blue/green arithmetic shared by the program, the policy pack and the rollout driver. */
import { parseImmutableImage, sameCommit } from "../config/image";

export type Color = "blue" | "green";

export function otherColor(c: Color): Color {
  return c === "blue" ? "green" : "blue";
}

/** Forward weights of the production listener: the idle color gets `canaryWeight`, the live one the rest. Always sum to 100. */
export function trafficWeights(live: Color, canaryWeight: number): Record<Color, number> {
  if (!Number.isInteger(canaryWeight) || canaryWeight < 0 || canaryWeight > 100)
    throw new Error(`canaryWeight must be an integer 0-100, got ${canaryWeight}`);
  const idle = otherColor(live);
  return { [live]: 100 - canaryWeight, [idle]: canaryWeight } as Record<Color, number>;
}

/**
 * The color that runs the release under way: the one whose image was built from `release.commit`. It
 * stays the same when `live` flips, so the flip (and its rollback) touches only the listeners. When both
 * or neither match (first deploy, digest images), the idle color.
 */
export function releaseColor(live: Color, images: Record<Color, string>, commit: string): Color {
  const idle = otherColor(live);
  const matches = (c: Color) => {
    const ref = parseImmutableImage(images[c]);
    return ref?.commit !== undefined && sameCommit(ref.commit, commit);
  };
  if (matches(idle)) return idle;
  if (matches(live)) return live;
  return idle;
}
