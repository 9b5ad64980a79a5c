import { createHash } from "node:crypto";
/** Physical names shared by the program and the tools that find its resources (rollout driver, docs). */
import type { Color } from "./blue-green";

/** `<namespace>-<stack>`, the prefix of AWS names, e.g. `artifortress-prod`. */
export function namePrefix(namespace: string, stack: string): string {
  return `${namespace}-${stack}`;
}

/** `<namespace>/<stack>`: the prefix of the stack's Secrets Manager secrets (components/app-secrets.ts). */
export function secretsPrefix(namespace: string, stack: string): string {
  return `${namespace}/${stack}`;
}

/** The application's database (components/database.ts creates it; the tools connect to it). */
export const APP_DB_NAME = "app";

/**
 * RDS identifiers of the stack's instances (components/database.ts): the original `<prefix>` (absent once a
 * cutover forgot it), a restored `<prefix>-<restore name>`, and the primary the application connects to (the
 * restored one after a cutover). The rollout driver finds the primary's pre-release snapshots by it.
 */
export function databaseIdentifiers(
  prefix: string,
  restore?: { name: string; cutover?: boolean; original?: string },
): { original?: string; restored?: string; primary: string } {
  const restored = restore ? `${prefix}-${restore.name}` : undefined;
  const original = restore?.cutover && restore.original === "forget" ? undefined : prefix;
  return { original, restored, primary: restore?.cutover && restored ? restored : prefix };
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

/**
 * Key of one release attempt: `<version slug>-<first 7 of the commit>`, e.g. `1-5-0-9f8e7d6`. Names the
 * pre-release snapshot and the migration Job, so a retry of the same version with a new build takes a new
 * snapshot and migrates again, and a rollback (which never changes the release under way) re-creates
 * neither.
 */
export function releaseId(version: string, commit: string): string {
  return `${versionSlug(version)}-${commit.toLowerCase().slice(0, 7)}`;
}

/** Name of a per-color metric alarm (`<prefix>-<color>-<kind>`), e.g. `artifortress-prod-green-error-rate`. */
export function colorAlarmName(
  prefix: string,
  color: Color,
  kind: "error-rate" | "p95-latency" | "unhealthy-hosts",
): string {
  return `${prefix}-${color}-${kind}`;
}

/** Name of a platform alarm (`<prefix>-<id>`), e.g. `artifortress-prod-elb-5xx`. */
export function platformAlarmName(prefix: string, id: string): string {
  return `${prefix}-${id}`;
}

/** Name of the smoke-test Job of a release on a color (one run per release and color). */
export function smokeJobName(releaseIdValue: string, color: Color): string {
  return `smoke-${releaseIdValue}-${color}`;
}

/** Name of the migration Job of a release (one run per release attempt). */
export function migrationJobName(releaseIdValue: string): string {
  return `migrate-${releaseIdValue}`;
}

/**
 * A physical name from parts, at most `max` characters: joined with `-`; when too long, the first part is
 * shortened and a 6-character hash of the whole name is inserted before the last part, so two different
 * names never truncate to the same one and the role (the last part) stays readable.
 */
export function physicalName(parts: string[], max: number): string {
  const full = parts.join("-");
  if (full.length <= max) return full;
  let h = 2166136261;
  for (const c of full) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  const hash = h.toString(36).padStart(6, "0").slice(-6);
  const last = parts.length > 1 ? `-${parts.at(-1)}` : "";
  const room = max - hash.length - 1 - last.length;
  // A last part too long to keep whole: the name is cut and hashed as one (never longer than max).
  if (room < 1) return `${full.slice(0, max - hash.length - 1).replace(/-+$/, "")}-${hash}`;
  return `${full.slice(0, room).replace(/-+$/, "")}-${hash}${last}`;
}

/**
 * Generation of the database users (`app_rw_<generation>`), derived from the rotation key
 * (app:secretRotation): a new key is a new generation, and the same key always the same one.
 */
export function credentialGeneration(rotation: string): string {
  return createHash("sha256").update(rotation).digest("hex").slice(0, 8);
}
