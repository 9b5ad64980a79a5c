/**
 * `app-integrity-checks`: runs the data integrity checks (dbchecks/checks.ts) as the read-only database
 * user. Run as a Kubernetes Job by components/integrity-checks.ts; every value from the environment:
 *   PGHOST, PGPORT, PGDATABASE        the instance
 *   PGUSER, PGPASSWORD                the read-only user (app_ro_<generation>)
 *   INTEGRITY_PHASE                   baseline (before the migration) | verify (after it) | restore
 *   INTEGRITY_CHECKS                  the checks (app:database.integrityChecks as JSON)
 *   RELEASE_ID                        the release the baseline belongs to
 *   PGSSLROOTCERT                     CA bundle (default: the RDS bundle in the image)
 * Exit codes: 0 every check passed, 1 a check failed or the database refused, 2 configuration error.
 */
import { ConfigError, codeOf, connect, connectOptions, type Env } from "../dbusers/connect";
import { formatResults, type IntegrityCheck, type Phase, runChecks } from "./checks";

const PHASES: Phase[] = ["baseline", "verify", "restore"];

function isCheck(x: unknown): x is IntegrityCheck {
  const c = x as IntegrityCheck;
  if (!c || typeof c.name !== "string" || typeof c.query !== "string" || !c.expect) return false;
  const e = c.expect as Record<string, unknown>;
  return e.rows === 0 || typeof e.value === "number" || ["equal", "atLeast", "atMost"].includes(String(e.baseline));
}

export function settingsFromEnv(env: Env): { phase: Phase; checks: IntegrityCheck[]; releaseId: string } {
  const missing = ["PGHOST", "PGDATABASE", "PGUSER", "PGPASSWORD", "INTEGRITY_PHASE", "INTEGRITY_CHECKS", "RELEASE_ID"];
  const absent = missing.filter((k) => !env[k]);
  if (absent.length) throw new ConfigError(`missing environment: ${absent.join(", ")}`);
  const phase = env.INTEGRITY_PHASE as Phase;
  if (!PHASES.includes(phase)) throw new ConfigError(`INTEGRITY_PHASE: expected ${PHASES.join(" | ")}, got '${phase}'`);
  let checks: unknown;
  try {
    checks = JSON.parse(String(env.INTEGRITY_CHECKS));
  } catch {
    throw new ConfigError("INTEGRITY_CHECKS: expected JSON (app:database.integrityChecks)");
  }
  if (!Array.isArray(checks) || !checks.every(isCheck))
    throw new ConfigError(
      "INTEGRITY_CHECKS: expected a list of { name, query, expect: { rows: 0 } | { value } | { baseline } }",
    );
  return { phase, checks, releaseId: String(env.RELEASE_ID) };
}

export async function main(
  env: Env = process.env,
  log: (s: string) => void = console.log,
  sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
): Promise<number> {
  let settings: ReturnType<typeof settingsFromEnv>;
  try {
    settings = settingsFromEnv(env);
    connectOptions(env);
  } catch (e) {
    log(`integrity-checks: ${(e as Error).message}`);
    return 2;
  }
  const deadline = Date.now() + 1000 * Number(env.INTEGRITY_DEADLINE_SECONDS ?? 300);
  try {
    const client = await connect(env, deadline, sleep, log);
    try {
      const results = await runChecks(client, settings.checks, settings.phase, settings.releaseId);
      for (const line of formatResults(settings.phase, results)) log(line);
      const failed = results.filter((r) => !r.ok);
      if (failed.length)
        log(`integrity ${settings.phase}: ${failed.length} check(s) failed: ${failed.map((r) => r.name).join(", ")}`);
      return failed.length ? 1 : 0;
    } finally {
      await client.end();
    }
  } catch (e) {
    log(`integrity-checks: failed: ${codeOf(e) ? `${codeOf(e)} ` : ""}${(e as Error).message}`);
    return 1;
  }
}
