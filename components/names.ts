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
