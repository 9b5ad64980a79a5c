/**
 * Secrets in a stack config file as the CLI stores them (`key: { secure: <ciphertext> }`), by config key
 * (`app:kubeconfig`, nested ones as `app:section.key`). The twin never decrypts them for the program (it
 * runs with the gate's placeholders); it only checks the stack's secrets provider can.
 */
import { readFileSync } from "node:fs";
import { stringify } from "yaml";
import { parseYaml } from "../../gate/yaml";

function walk(v: unknown, key: string, out: Record<string, string>): void {
  if (v && typeof v === "object" && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if (typeof o.secure === "string" && Object.keys(o).length === 1) {
      out[key] = o.secure;
      return;
    }
    for (const [k, x] of Object.entries(o)) walk(x, `${key}.${k}`, out);
  }
}

export function readSecureValues(file: string): Record<string, string> {
  const doc = (parseYaml(readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(doc.config ?? {})) walk(v, k, out);
  return out;
}

/** `pulumi config set --secret <key> <value>` on a stack file's text: the value is encrypted by `encrypt`. */
export function setSecret(text: string, key: string, ciphertext: string): string {
  const doc = (parseYaml(text) ?? {}) as { config?: Record<string, unknown> };
  doc.config = { ...(doc.config ?? {}), [key]: { secure: ciphertext } };
  return stringify(doc);
}

/** Deep-merges `values` into the stack file's config keys (a human's config change committed to git). */
export function mergeConfig(text: string, values: Record<string, unknown>): string {
  const doc = (parseYaml(text) ?? {}) as { config?: Record<string, unknown> };
  const merge = (a: unknown, b: unknown): unknown =>
    a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)
      ? Object.fromEntries(
          [...new Set([...Object.keys(a), ...Object.keys(b)])]
            .filter((k) => (b as Record<string, unknown>)[k] !== null)
            .map((k) => [
              k,
              k in (b as object)
                ? merge((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])
                : (a as Record<string, unknown>)[k],
            ]),
        )
      : b;
  doc.config = merge(doc.config ?? {}, values) as Record<string, unknown>;
  return stringify(doc);
}
