/** Physical names shared by the program and the tools that find its resources (rollout driver, docs). */
import type { Color } from "./weights";

/** `<namespace>-<stack>`, the prefix of AWS names, e.g. `artifortress-prod`. */
export function namePrefix(namespace: string, stack: string): string {
  return `${namespace}-${stack}`;
}

/** Name of the composite rollback alarm of a color: the signal the rollout driver polls. */
export function rollbackAlarmName(prefix: string, color: Color): string {
  return `${prefix}-${color}-rollback`;
}

/** `1.4.0-rc.1` → `1-4-0-rc-1` (RDS identifiers and Kubernetes names allow letters, digits and hyphens). */
export function versionSlug(version: string): string {
  return version
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}
