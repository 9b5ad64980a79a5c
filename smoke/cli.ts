/**
 * `node bin/smoke-test.js --url <base> --expect-version <v> [--connect-to <host>] [--deadline 300]`
 * Exit codes: 0 passed, 1 failed (not ready, not live, wrong version, timeout, refused), 2 usage error.
 */
import { parseArgs } from "node:util";
import { runSmokeTest } from "./check";
import type { AppChecks } from "./checks";

export const USAGE = `Usage: smoke-test --url <base-url> --expect-version <version> [options]

Checks /health/ready (200, status ready), /health/live (200) and /version (reports the version),
retrying until the deadline.

Options:
  --url <url>              base URL, e.g. https://api.example.com:8443 (required)
  --expect-version <v>     version or commit /version must report (required)
  --connect-to <host>      connect to this host (e.g. the ALB DNS name), keep the URL's host for TLS/Host
  --deadline <seconds>     give up after this long (default 300)
  --interval <seconds>     pause between attempts (default 5)
  --timeout <seconds>      per-request timeout (default 5)
  --ready-path, --live-path, --version-path   override /health/ready, /health/live, /version

Environment:
  SMOKE_CHECKS             the application's checks (app:checks as JSON): the service /version must
                           name, the ops summary, the smoke flow — run once the color is ready
  SMOKE_ADMIN_TOKEN        admin token for the ops summary and admin flow steps (never pass it as an argument)`;

type Values = Record<string, string | undefined>;

export async function main(
  argv: string[],
  out: (s: string) => void = console.log,
  err: (s: string) => void = console.error,
): Promise<number> {
  const v = parseCommandLine(argv, err);
  if (!v) return 2;
  const times = durations(v, err);
  if (!times) return 2;
  let checks: AppChecks | undefined;
  try {
    checks = parseChecks(process.env.SMOKE_CHECKS);
  } catch (e) {
    err(`SMOKE_CHECKS: ${(e as Error).message}`);
    return 2;
  }
  const result = await runSmokeTest({
    checks,
    adminToken: process.env.SMOKE_ADMIN_TOKEN || undefined,
    url: v.url,
    expectVersion: v["expect-version"],
    connectTo: v["connect-to"],
    readyPath: v["ready-path"],
    livePath: v["live-path"],
    versionPath: v["version-path"],
    ...times,
    log: (line) => out(`[${new Date().toISOString()}] ${line}`),
  });
  (result.ok ? out : err)(result.message);
  return result.ok ? 0 : 1;
}

/** The options, with the required URL and version; undefined (the usage error reported) when they are wrong. */
function parseCommandLine(
  argv: string[],
  err: (s: string) => void,
): (Values & { url: string; "expect-version": string }) | undefined {
  let v: Values;
  try {
    v = parseArgs({
      args: argv,
      options: {
        url: { type: "string" },
        "expect-version": { type: "string" },
        "connect-to": { type: "string" },
        deadline: { type: "string" },
        interval: { type: "string" },
        timeout: { type: "string" },
        "ready-path": { type: "string" },
        "live-path": { type: "string" },
        "version-path": { type: "string" },
      },
    }).values as Values;
  } catch (e) {
    err(`${(e as Error).message}\n\n${USAGE}`);
    return undefined;
  }
  if (!v.url || !v["expect-version"]) {
    err(`--url and --expect-version are required.\n\n${USAGE}`);
    return undefined;
  }
  try {
    new URL(v.url);
  } catch {
    err(`--url '${v.url}' is not a URL (expected e.g. https://api.example.com:8443)`);
    return undefined;
  }
  return v as Values & { url: string; "expect-version": string };
}

/** --deadline, --interval and --timeout in ms; undefined (each bad one reported) when one is not valid. */
function durations(
  v: Values,
  err: (s: string) => void,
): { deadlineMs: number; intervalMs: number; requestTimeoutMs: number } | undefined {
  const seconds = (name: string, dflt: number): number | undefined => {
    const raw = v[name];
    if (raw === undefined) return dflt * 1000;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) {
      err(`--${name} must be a positive number of seconds, got '${raw}'`);
      return undefined;
    }
    return n * 1000;
  };
  const deadlineMs = seconds("deadline", 300);
  const intervalMs = seconds("interval", 5);
  const requestTimeoutMs = seconds("timeout", 5);
  if (deadlineMs === undefined || intervalMs === undefined || requestTimeoutMs === undefined) return undefined;
  return { deadlineMs, intervalMs, requestTimeoutMs };
}

/** SMOKE_CHECKS as the program writes it (app:checks, validated with the stack config); a light shape check. */
export function parseChecks(raw: string | undefined): AppChecks | undefined {
  if (!raw) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (e) {
    throw new Error(`not JSON: ${(e as Error).message}`);
  }
  const c = v as Partial<AppChecks>;
  if (!c || typeof c !== "object" || !Array.isArray(c.flow))
    throw new Error('expected {"service"?, "opsSummary"?, "flow": [...]} (app:checks)');
  for (const [i, step] of c.flow.entries())
    if (
      !step ||
      typeof step.path !== "string" ||
      typeof step.method !== "string" ||
      !(typeof step.status === "number" || Array.isArray(step.status))
    )
      throw new Error(`flow[${i}]: expected { name, method, path, auth, status, expect?, save? }`);
  return c as AppChecks;
}
