/**
 * Release-owned configuration: the keys only the rollout driver writes (docs/release-state.md).
 *
 * Everything else in `Pulumi.<stack>.yaml` is human-owned (reviewed in pull requests): network, database,
 * alarms, the release window, secrets. The release keys say what runs where — colors, images, weights,
 * the release under way, the worker — and change with every release stage. They live in the durable
 * release store, not in git; a rollback restores only (a subset of) them, never secrets, the window or
 * data settings.
 */
import type { AppConfig, Color } from "./schema";

export interface ReleaseKeys {
  /** Color serving production traffic (`app:blueGreen.live`). */
  live: Color;
  /** Image per color (`app:blueGreen.<color>.image`). */
  images: Record<Color, string>;
  /** Percent sent to the idle color (`app:blueGreen.canaryWeight`). */
  canaryWeight: number;
  /** The idle color runs `api.idleReplicas` (`app:blueGreen.scaleDownIdle`). */
  scaleDownIdle: boolean;
  /** The release under way or last attempted (`app:release.version`, `app:release.commit`). */
  version: string;
  commit: string;
  /** The release attempt (`app:release.attempt`): the driver run that deployed the release. */
  attempt?: string;
  /** `app:worker.image`, `app:worker.paused`. */
  worker: { image: string; paused: boolean };
  /**
   * `app:release.migrationFailed`: the release's migration failed and it was rolled back — its Job is
   * removed, so later ups neither re-await nor re-run it; the next release migrates again.
   */
  migrationFailed?: true;
}

/** The config paths of the release keys and the pack's view without them: one definition, in shared/. */
export { RELEASE_KEY_PATHS, withoutReleaseKeys } from "@app-rollout/shared";

export function releaseKeysOf(c: Pick<AppConfig, "blueGreen" | "release" | "worker">): ReleaseKeys {
  return {
    live: c.blueGreen.live,
    images: { blue: c.blueGreen.blue.image, green: c.blueGreen.green.image },
    canaryWeight: c.blueGreen.canaryWeight,
    scaleDownIdle: c.blueGreen.scaleDownIdle,
    version: c.release.version,
    commit: c.release.commit,
    ...(c.release.attempt ? { attempt: c.release.attempt } : {}),
    worker: { image: c.worker.image, paused: c.worker.paused },
    ...(c.release.migrationFailed ? { migrationFailed: true as const } : {}),
  };
}

type Raw = Record<string, unknown>;

function section(raw: Raw, key: string): Raw {
  const v = raw[key];
  return v && typeof v === "object" && !Array.isArray(v) ? { ...(v as Raw) } : {};
}

/** Raw config (top-level keys without namespace) with the release keys replaced by `k`. */
export function withReleaseKeys(raw: Raw, k: ReleaseKeys): Raw {
  return {
    ...raw,
    blueGreen: {
      ...section(raw, "blueGreen"),
      live: k.live,
      blue: { image: k.images.blue },
      green: { image: k.images.green },
      canaryWeight: k.canaryWeight,
      scaleDownIdle: k.scaleDownIdle,
    },
    release: withMigration(
      withAttempt({ ...section(raw, "release"), version: k.version, commit: k.commit }, k.attempt),
      k.migrationFailed,
    ),
    worker: { ...section(raw, "worker"), image: k.worker.image, paused: k.worker.paused },
  };
}

function withMigration(release: Raw, failed: true | undefined): Raw {
  const { migrationFailed: _old, ...rest } = release;
  return failed ? { ...rest, migrationFailed: true } : rest;
}

function withAttempt(release: Raw, attempt: string | undefined): Raw {
  const { attempt: _old, ...rest } = release;
  return attempt ? { ...rest, attempt } : rest;
}

/** `live=blue 100/0 blue:sha-1a2b3c4 green:sha-5d6e7f8 1.4.0@5d6e7f8 worker:sha-1a2b3c4` — for logs and reports. */
export function describeKeys(k: ReleaseKeys): string {
  const tag = (image: string) => image.slice(image.search(/[:@][^/]*$/) + 1);
  const idle = k.live === "blue" ? "green" : "blue";
  return `live=${k.live} ${k.live}:${100 - k.canaryWeight}% ${idle}:${k.canaryWeight}% blue=${tag(k.images.blue)} green=${tag(k.images.green)} release=${k.version}@${k.commit} worker=${tag(k.worker.image)}${k.worker.paused ? " (paused)" : ""}${k.scaleDownIdle ? " idle-scaled-down" : ""}${k.migrationFailed ? " migration-failed" : ""}`;
}

/** Names of the release keys that differ between `a` and `b` (e.g. `canaryWeight`, `images.green`). */
export function changedKeys(a: ReleaseKeys, b: ReleaseKeys): string[] {
  const out: string[] = [];
  const walk = (x: unknown, y: unknown, p: string) => {
    if (x && y && typeof x === "object" && typeof y === "object") {
      for (const k of new Set([...Object.keys(x), ...Object.keys(y)]))
        walk((x as Raw)[k], (y as Raw)[k], p ? `${p}.${k}` : k);
    } else if (x !== y) out.push(p);
  };
  walk(a, b, "");
  return out;
}
