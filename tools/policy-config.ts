/**
 * Generates policy/config/<stack>.json (the `--policy-pack-config` file of each stack): the enforcement
 * levels below, and every policy config property that names a threshold of a readiness item the policy
 * enforces, with that item's value for the stack's environment (shared/src/readiness.ts). So a number
 * lives once, in the registry; `npm run gen -- --check` fails when a committed file differs.
 */
import { type Env, READINESS, type Threshold } from "@app-rollout/shared";
import type { ReadinessPolicy } from "../policy/lib/define";
import { allPolicies } from "../policy/policies";

type Level = "advisory" | "mandatory" | "disabled";

/**
 * Enforcement per stack. staging: advisory except the checks that must never slip (public data,
 * plaintext secrets, mutable images, the release snapshot and the traffic invariants); the prod-only
 * protections (multi-AZ, vault lock, cross-region copies) are disabled there. prod: everything mandatory.
 */
export const ENFORCEMENT: Record<Env, { all: Level; overrides: Record<string, Level> }> = {
  staging: {
    all: "advisory",
    overrides: {
      "data-not-public": "mandatory",
      "data-storage-encrypted-cmk": "mandatory",
      "data-release-snapshot": "mandatory",
      "data-migration-after-snapshot": "mandatory",
      "data-bucket-public-access": "mandatory",
      "secrets-no-plaintext": "mandatory",
      "workloads-immutable-image": "mandatory",
      "edge-weights-sum": "mandatory",
      "edge-smoke-tested-weight": "mandatory",
      "edge-test-listener-restricted": "mandatory",
      "edge-test-listener-under-test": "mandatory",
      "data-multi-az": "disabled",
      "data-vault-lock": "disabled",
      "data-cross-region-copy": "disabled",
      "data-cross-region-pitr": "disabled",
    },
  },
  prod: { all: "mandatory", overrides: {} },
};

/** The stack each policy config file is for, and its environment. */
export const POLICY_CONFIG_STACKS: Record<string, Env> = { staging: "staging", prod: "prod" };

/** The readiness thresholds a policy's config properties take, by property name. */
export function thresholdProperties(p: ReadinessPolicy, env: Env): Record<string, number | boolean> {
  const props = Object.keys(p.configSchema?.properties ?? {});
  const out: Record<string, number | boolean> = {};
  for (const id of p.readiness) {
    const thresholds: Readonly<Record<string, Threshold>> =
      (READINESS[id] as { thresholds?: Record<string, Threshold> }).thresholds ?? {};
    for (const name of props.filter((n) => n in thresholds)) {
      if (name in out) throw new Error(`${p.name}: config property ${name} is a threshold of two readiness items`);
      out[name] = thresholds[name][env];
    }
  }
  return out;
}

/** The policy config file of a stack, as JSON text. */
export function policyConfigFile(stack: string): string {
  const env = POLICY_CONFIG_STACKS[stack];
  const levels = ENFORCEMENT[env];
  const lines = [`  "all": ${JSON.stringify(levels.all)}`];
  for (const [name, level] of Object.entries(levels.overrides))
    lines.push(`  ${JSON.stringify(name)}: ${JSON.stringify(level)}`);
  for (const p of allPolicies) {
    const props = thresholdProperties(p, env);
    if (Object.keys(props).length === 0) continue;
    const body = Object.entries(props).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`);
    lines.push(`  ${JSON.stringify(p.name)}: { ${body.join(", ")} }`);
  }
  return `{\n${lines.join(",\n")}\n}\n`;
}

/** path → content of every generated policy config file. */
export function policyConfigFiles(): Record<string, string> {
  return Object.fromEntries(
    Object.keys(POLICY_CONFIG_STACKS).map((s) => [`policy/config/${s}.json`, policyConfigFile(s)]),
  );
}
