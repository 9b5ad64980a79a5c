/**
 * The stack configuration as the engine hands it to the program and the policy pack: a flat map
 * (`"app:key"` → string, objects as JSON) in PULUMI_CONFIG. The program validates it with its zod schema
 * (config/load.ts); the pack reads it raw through these helpers, so both parse it the same way and the
 * pack needs no schema library.
 */

/** The config namespace of the project (`app:` keys). */
export const NAMESPACE = "app";

export type RawConfig = Record<string, unknown>;

/** Flat config → raw object (top-level keys without namespace); keys of other namespaces are ignored. */
export function rawFromFlatConfig(flat: Record<string, string>): RawConfig {
  const raw: RawConfig = {};
  for (const [k, v] of Object.entries(flat)) {
    if (!k.startsWith(`${NAMESPACE}:`)) continue;
    const key = k.slice(NAMESPACE.length + 1);
    let value: unknown = v;
    if (/^\s*[[{]/.test(v)) {
      try {
        value = JSON.parse(v);
      } catch {
        value = v;
      }
    }
    raw[key] = value;
  }
  return raw;
}

/**
 * The config paths of the release keys, as `[top-level key, ...path]`: the keys only the rollout driver
 * writes (colors, images, weights, the release under way, the worker; docs/release-state.md). The one
 * list: the driver writes them, the policy pack never reads them from the stack config (it judges what the
 * program made of them), the docs list them.
 */
export const RELEASE_KEY_PATHS: readonly (readonly string[])[] = [
  ["blueGreen"],
  ["release", "version"],
  ["release", "commit"],
  ["release", "attempt"],
  ["release", "migrationFailed"],
  ["worker", "image"],
  ["worker", "paused"],
];

function section(raw: RawConfig, key: string): RawConfig {
  const v = raw[key];
  return v && typeof v === "object" && !Array.isArray(v) ? { ...(v as RawConfig) } : {};
}

/** Raw config without the release keys (what the policy pack may read). */
export function withoutReleaseKeys(raw: RawConfig): RawConfig {
  const out: RawConfig = { ...raw };
  for (const [top, ...rest] of RELEASE_KEY_PATHS) {
    if (rest.length === 0) {
      delete out[top];
      continue;
    }
    const s = section(out, top);
    delete s[rest[0]];
    out[top] = s;
  }
  return out;
}

/** The TLS port of the idle color's test listener (`app:tls.testListenerPort`). */
export const DEFAULT_TEST_LISTENER_PORT = 8443;

/** The API's health endpoints unless app:api.healthPaths says otherwise (the schema's defaults, the pack's reading). */
export const DEFAULT_HEALTH_PATHS = { live: "/health/live", ready: "/health/ready", version: "/version" } as const;

/** Target group deregistration delay unless app:api.deregistrationDelaySeconds says otherwise. */
export const DEFAULT_DEREGISTRATION_DELAY_SECONDS = 30;
