/**
 * Pure blue/green arithmetic shared by the program, the policy pack and the rollout driver: the one
 * computed blue/green state every part of the program reads (production listener, test listener, smoke
 * test, replicas), so they can never disagree about which color is which.
 */
import { parseImmutableImage, sameCommit } from "@app-rollout/shared";

export type Color = "blue" | "green";
export const COLORS: readonly Color[] = ["blue", "green"];

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
 * stays the same when `live` flips, so the flip (and its rollback) touches only the production listener.
 * When both or neither match (first deploy, digest images), the idle color.
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

/**
 * Whether the worker's Deployment must wait for the release's migration Job: only when it runs an image
 * built from the release commit (new code needs the new schema). A paused worker, or one that keeps its
 * image, does not — and must not: a rollback that resumes the old worker after a deploy that never got to
 * create the Job would otherwise be a targeted update depending on a resource that does not exist
 * (Pulumi CLI pkg/resource/deploy/step_generator.go:1659-1663), failing every retry.
 */
export function workerNeedsMigration(workerImage: string, paused: boolean, releaseCommit: string): boolean {
  const ref = parseImmutableImage(workerImage);
  return !paused && ref?.commit !== undefined && sameCommit(ref.commit, releaseCommit);
}

export interface BlueGreenInput {
  live: Color;
  blue: { image: string };
  green: { image: string };
  canaryWeight: number;
  scaleDownIdle: boolean;
}

export interface BlueGreenState {
  /** Serves production traffic (100 - canaryWeight %). */
  live: Color;
  /** The other color (canaryWeight %). */
  idle: Color;
  /**
   * The color running the release under way (release.commit): the migration Job runs its image, the
   * smoke test checks it and the test listener forwards to it. Before the flip it is the idle color,
   * after the flip the live one; a rollback leaves it where it is, so nothing is re-tested or re-migrated.
   */
  underTest: Color;
  weights: Record<Color, number>;
  images: Record<Color, string>;
  /** The idle color when it runs `api.idleReplicas` (blueGreen.scaleDownIdle). */
  scaledDown?: Color;
}

/** The blue/green state of a stack config: computed once, read by every resource that depends on it. */
export function blueGreenState(bg: BlueGreenInput, releaseCommit: string): BlueGreenState {
  const images = { blue: bg.blue.image, green: bg.green.image };
  const idle = otherColor(bg.live);
  return {
    live: bg.live,
    idle,
    underTest: releaseColor(bg.live, images, releaseCommit),
    weights: trafficWeights(bg.live, bg.canaryWeight),
    images,
    scaledDown: bg.scaleDownIdle ? idle : undefined,
  };
}
