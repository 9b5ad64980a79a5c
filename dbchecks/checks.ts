/**
 * Data integrity checks (runbook 004 "verify data integrity", "run validation queries"): a declarative list
 * of SQL queries from stack config (`app:database.integrityChecks`), each with its expected result:
 * - `{ rows: 0 }`: the query returns no row (e.g. orphans, invalid indexes);
 * - `{ value: n }`: the query returns one row whose first column is n;
 * - `{ baseline: "equal" | "atLeast" | "atMost" }`: the first column compared with the value the same query
 *   returned before the release's migration (captured by the `baseline` phase, kept per release in
 *   `rollout_checks.baseline`).
 * Every query runs in a READ ONLY transaction with a statement timeout, as the read-only user: a check can
 * never change data. Results name the check and what it found, never row contents (they may be personal data).
 */
import type { SqlClient } from "../dbusers/provision";

export type Expectation = { rows: 0 } | { value: number } | { baseline: "equal" | "atLeast" | "atMost" };

export interface IntegrityCheck {
  name: string;
  query: string;
  expect: Expectation;
}

export type Phase = "baseline" | "verify" | "restore";

export interface CheckResult {
  name: string;
  ok: boolean;
  /** What was found, in words: `3 row(s)`, `41`, `41 (baseline 42)`. */
  found: string;
  expected: string;
  skipped?: string;
}

/** The table that keeps baselines per release (created by the db-users Job as the master user). */
export const BASELINE_TABLE = "rollout_checks.baseline";
export const BASELINE_DDL = [
  "CREATE SCHEMA IF NOT EXISTS rollout_checks",
  `CREATE TABLE IF NOT EXISTS ${BASELINE_TABLE} (release_id text NOT NULL, check_name text NOT NULL, value numeric NOT NULL, captured_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (release_id, check_name))`,
];

const STATEMENT_TIMEOUT = "60s";

export function describeExpectation(e: Expectation): string {
  if ("rows" in e) return "no rows";
  if ("value" in e) return `${e.value}`;
  const relation = { equal: "equal to", atLeast: "at least", atMost: "at most" }[e.baseline];
  return `${relation} the pre-migration value`;
}

/** Runs one query read-only; returns its rows. */
async function readOnly(c: SqlClient, query: string): Promise<Record<string, unknown>[]> {
  await c.query("BEGIN READ ONLY");
  try {
    await c.query(`SET LOCAL statement_timeout = '${STATEMENT_TIMEOUT}'`);
    const { rows } = await c.query(query);
    await c.query("COMMIT");
    return rows;
  } catch (e) {
    await c.query("ROLLBACK");
    throw e;
  }
}

function firstNumber(rows: Record<string, unknown>[]): number | undefined {
  if (rows.length !== 1) return undefined;
  const v = Object.values(rows[0])[0];
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}

async function storedBaseline(c: SqlClient, releaseId: string, name: string): Promise<number | undefined> {
  const { rows } = await c.query(`SELECT value FROM ${BASELINE_TABLE} WHERE release_id = $1 AND check_name = $2`, [
    releaseId,
    name,
  ]);
  return rows.length ? Number(rows[0].value) : undefined;
}

function compare(op: "equal" | "atLeast" | "atMost", value: number, baseline: number): boolean {
  return op === "equal" ? value === baseline : op === "atLeast" ? value >= baseline : value <= baseline;
}

async function verifyOne(c: SqlClient, check: IntegrityCheck, phase: Phase, releaseId: string): Promise<CheckResult> {
  const expected = describeExpectation(check.expect);
  const base = { name: check.name, expected };
  if ("baseline" in check.expect && phase === "restore")
    return { ...base, ok: true, found: "-", skipped: "a restore has no pre-migration baseline" };
  const rows = await readOnly(c, check.query);
  if ("rows" in check.expect) return { ...base, ok: rows.length === 0, found: `${rows.length} row(s)` };
  const value = firstNumber(rows);
  if (value === undefined) return { ...base, ok: false, found: `${rows.length} row(s), not one number` };
  if ("value" in check.expect) return { ...base, ok: value === check.expect.value, found: `${value}` };
  const baseline = await storedBaseline(c, releaseId, check.name);
  if (baseline === undefined)
    return { ...base, ok: false, found: `${value} (no baseline captured for release ${releaseId})` };
  return { ...base, ok: compare(check.expect.baseline, value, baseline), found: `${value} (baseline ${baseline})` };
}

/** Captures the baseline checks' values for the release; a value already captured is kept (a retried Job). */
async function captureBaselines(c: SqlClient, checks: IntegrityCheck[], releaseId: string): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const check of checks.filter((x) => "baseline" in x.expect)) {
    const value = firstNumber(await readOnly(c, check.query));
    if (value === undefined) {
      out.push({ name: check.name, ok: false, found: "not one number", expected: "one row, one number" });
      continue;
    }
    await c.query(
      `INSERT INTO ${BASELINE_TABLE} (release_id, check_name, value) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
      [releaseId, check.name, value],
    );
    const kept = await storedBaseline(c, releaseId, check.name);
    out.push({ name: check.name, ok: true, found: `${kept}`, expected: "captured" });
  }
  return out;
}

export async function runChecks(
  c: SqlClient,
  checks: IntegrityCheck[],
  phase: Phase,
  releaseId: string,
): Promise<CheckResult[]> {
  if (phase === "baseline") return captureBaselines(c, checks, releaseId);
  const out: CheckResult[] = [];
  for (const check of checks) {
    try {
      out.push(await verifyOne(c, check, phase, releaseId));
    } catch (e) {
      out.push({
        name: check.name,
        ok: false,
        found: `error: ${(e as Error).message}`,
        expected: describeExpectation(check.expect),
      });
    }
  }
  return out;
}

export function formatResults(phase: Phase, results: CheckResult[]): string[] {
  return results.map((r) =>
    r.skipped
      ? `integrity ${phase}: ${r.name} skipped (${r.skipped})`
      : `integrity ${phase}: ${r.name} ${r.ok ? "passed" : "FAILED"}: expected ${r.expected}, found ${r.found}`,
  );
}
