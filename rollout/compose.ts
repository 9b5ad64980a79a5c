/**
 * The config of every `up` the driver runs: the checkout's `Pulumi.<stack>.yaml` (human-owned, reviewed in
 * git; secrets stay the ciphertext the stack's secrets provider wrote) with the release keys replaced by
 * the deployed or stage keys. Written to a private temporary file and passed with `pulumi up --config-file`
 * (automation `UpOptions.configFile`), so the driver never edits the checkout, never runs
 * `pulumi config set` (whose argv would carry values) and never decrypts a secret.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { NAMESPACE, parseFlatConfig } from "../config/load";
import { type ReleaseKeys, releaseKeysOf, withReleaseKeys } from "../config/release-keys";
import type { AppConfig } from "../config/schema";
import { loadStackFiles, StackFileError, type StackFiles } from "../gate/stackfiles";
import { parseYaml, stringifyYaml } from "../gate/yaml";
import { allPolicies } from "../policy/policies";

export interface Checkout {
  /** Project directory: Pulumi.yaml, the program, the policy pack. */
  dir: string;
  /** Where `Pulumi.<stack>.yaml` is read from. @default dir */
  stackDir?: string;
}

export function stackFilePath(c: Checkout, stack: string): string {
  return path.join(c.stackDir ?? c.dir, `Pulumi.${stack}.yaml`);
}

function readDoc(file: string): Record<string, unknown> {
  try {
    const doc = parseYaml(readFileSync(file, "utf8"));
    if (doc && typeof doc === "object" && !Array.isArray(doc)) return doc as Record<string, unknown>;
  } catch (e) {
    throw new StackFileError(`${file}: not valid YAML: ${(e as Error).message}`);
  }
  throw new StackFileError(`${file}: not a stack file (expected a 'config:' map)`);
}

/** The release keys the checkout's stack file holds (the bootstrap values before the store has any). */
export function checkoutKeys(c: Checkout, stack: string): { keys: ReleaseKeys; config: AppConfig; files: StackFiles } {
  const files = loadStackFiles(c.dir, stack, {}, stackFilePath(c, stack));
  const parsed = parseFlatConfig(files.config, stack);
  if (!parsed.ok) throw new InvalidConfigError(stack, parsed.problems);
  return { keys: releaseKeysOf(parsed.config), config: parsed.config, files };
}

export class InvalidConfigError extends Error {
  override name = "InvalidConfigError";
  constructor(
    readonly stackName: string,
    readonly problems: { key: string; expected: string; found: string; fix: string }[],
  ) {
    super(problems.map((p) => `${p.key}: ${p.expected}; found ${p.found}`).join("\n"));
  }
}

export interface ComposedConfig {
  /** The temporary `--config-file`. */
  file: string;
  /** The same config as the gate reads it (secrets as placeholders). */
  files: StackFiles;
  /** The validated config. */
  config: AppConfig;
  keys: ReleaseKeys;
  /** Removes the temporary file. */
  dispose(): void;
}

/** Writes the checkout's stack file with `keys` as release keys to a private temporary file. */
export function composeConfig(c: Checkout, stack: string, keys: ReleaseKeys): ComposedConfig {
  const doc = readDoc(stackFilePath(c, stack));
  const config = { ...((doc.config as Record<string, unknown> | undefined) ?? {}) };
  const prefix = `${NAMESPACE}:`;
  const raw = Object.fromEntries(
    Object.entries(config)
      .filter(([k]) => k.startsWith(prefix))
      .map(([k, v]) => [k.slice(prefix.length), v]),
  );
  const merged = withReleaseKeys(raw, keys);
  for (const key of ["blueGreen", "release", "worker"]) config[`${prefix}${key}`] = merged[key];
  const dir = mkdtempSync(path.join(tmpdir(), "rollout-config-"));
  chmodSync(dir, 0o700);
  const file = path.join(dir, `Pulumi.${stack}.yaml`);
  writeFileSync(file, stringifyYaml({ ...doc, config }), { mode: 0o600 });
  const dispose = () => rmSync(dir, { recursive: true, force: true });
  try {
    const files = loadStackFiles(c.dir, stack, {}, file);
    const parsed = parseFlatConfig(files.config, stack);
    if (!parsed.ok) throw new InvalidConfigError(stack, parsed.problems);
    return { file, files, config: parsed.config, keys, dispose };
  } catch (e) {
    dispose();
    throw e;
  }
}

/** The pack's stack policies (`validateStack`): the engine runs them after an update's changes are applied. */
export function stackPolicyNames(): string[] {
  return allPolicies.filter((p) => "validateStack" in p).map((p) => p.name);
}

/**
 * Policy overrides of a rollback `up`: stack policies run only after its changes are applied, so a mandatory
 * one cannot stop the rollback, only turn traffic already restored into a failed update that blocks every
 * later command — they are advisory (reported, logged). Resource policies still block before each change.
 */
export function rollbackPolicyOverrides(): Record<string, string> {
  return Object.fromEntries(stackPolicyNames().map((n) => [n, "advisory"]));
}

/** Writes a policy pack config file: the stack's, with per-policy overrides (a rollback ignores the window). */
export function composePolicyConfig(
  packDir: string,
  stack: string,
  overrides: Record<string, string> = {},
): { file: string; dispose(): void } {
  const source = path.join(packDir, "config", `${stack}.json`);
  let base: Record<string, unknown> = {};
  if (existsSync(source))
    try {
      base = JSON.parse(readFileSync(source, "utf8"));
    } catch (e) {
      throw new StackFileError(`${source}: not valid JSON: ${(e as Error).message}`);
    }
  // An override changes a policy's enforcement level only; its properties (e.g. a minimum) are kept.
  const merged: Record<string, unknown> = { ...base };
  for (const [name, level] of Object.entries(overrides)) {
    const b = base[name];
    merged[name] = b && typeof b === "object" ? { ...(b as object), enforcementLevel: level } : level;
  }
  const dir = mkdtempSync(path.join(tmpdir(), "rollout-policy-"));
  const file = path.join(dir, `${stack}.json`);
  writeFileSync(file, `${JSON.stringify(merged, null, 2)}\n`, { mode: 0o600 });
  return { file, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
