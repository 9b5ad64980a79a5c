/**
 * The smoke test of a color before it gets production traffic (runbooks 001 §4.5 and 002 §5):
 * `/health/ready` answers 200 with a ready status, `/health/live` answers 200, and `/version` reports the
 * expected release. Retried until a deadline, so a color that is still warming up is given time.
 */
import * as http from "node:http";
import * as https from "node:https";
import { type AppChecks, type HttpRequest, readOpsSummary, runFlow, type Send } from "./checks";

export interface SmokeOptions {
  /** Base URL the checks are made against, e.g. `https://api.example.com:8443`. */
  url: string;
  /** Connect to this host instead of the URL's (the URL's host is still sent as SNI and Host). */
  connectTo?: string;
  /** Release version (or commit) `/version` must report. */
  expectVersion: string;
  readyPath?: string;
  livePath?: string;
  versionPath?: string;
  /** Timeout of one request. @default 5000 */
  requestTimeoutMs?: number;
  /** Give up after this long. @default 300000 */
  deadlineMs?: number;
  /** Pause between attempts. @default 5000 */
  intervalMs?: number;
  /** Progress lines. @default none */
  log?: (line: string) => void;
  /** Injectable clock and sleep (tests, the rehearsal twin's virtual time). */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Wraps each HTTP request (the twin registers it as real work its virtual clock must wait for). */
  track?: <T>(request: Promise<T>) => Promise<T>;
  /** The application's checks (`app:checks`): service name, ops summary, smoke flow. @default none */
  checks?: AppChecks;
  /** Admin token for the ops summary and admin flow steps (from the environment, never argv). */
  adminToken?: string;
}

export interface CheckResult {
  name: "ready" | "live" | "version" | "ops-summary" | "flow";
  ok: boolean;
  detail: string;
}

export interface SmokeResult {
  ok: boolean;
  attempts: number;
  checks: CheckResult[];
  /** One line a person can act on. */
  message: string;
}

interface Response {
  status: number;
  body: string;
}

function get(base: URL, path: string, opts: SmokeOptions): Promise<Response> {
  return sender(base, opts)({ method: "GET", path });
}

/** HTTP(S) against the base URL (optionally through --connect-to), one request at a time. */
export type SendOptions = Pick<SmokeOptions, "connectTo" | "requestTimeoutMs" | "track">;

export function sender(base: URL, opts: SendOptions): Send {
  return (req) => {
    const request = send(base, req, opts);
    return opts.track ? opts.track(request) : request;
  };
}

function send(base: URL, r: HttpRequest, opts: SendOptions): Promise<Response> {
  const path = r.path;
  const target = new URL(path, base);
  const client = target.protocol === "https:" ? https : http;
  const timeout = opts.requestTimeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    const req = client.request(
      {
        protocol: target.protocol,
        host: opts.connectTo ?? target.hostname,
        port: target.port || (target.protocol === "https:" ? 443 : 80),
        path: `${target.pathname}${target.search}`,
        method: r.method,
        headers: {
          Host: target.host,
          Accept: "application/json, text/plain",
          "User-Agent": "app-rollout-smoke-test",
          ...(r.headers ?? {}),
          ...(r.body === undefined ? {} : { "Content-Length": String(Buffer.byteLength(r.body)) }),
        },
        servername: target.hostname,
        timeout,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => {
          if (chunks.reduce((n, x) => n + x.length, 0) < 64 * 1024) chunks.push(c);
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () =>
      req.destroy(Object.assign(new Error(`timed out after ${timeout} ms`), { code: "ETIMEDOUT" })),
    );
    req.on("error", reject);
    req.end(r.body);
  });
}

function describeError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case "ECONNREFUSED":
      return "connection refused (nothing listening: is the test listener up and the color deployed?)";
    case "ETIMEDOUT":
      return err.message.startsWith("timed out") ? err.message : "timed out";
    case "ENOTFOUND":
      return "host not found (DNS)";
    case "ECONNRESET":
      return "connection reset";
    default:
      return err.message ?? String(e);
  }
}

function parseJson(body: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(body) as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

async function checkReady(base: URL, o: SmokeOptions): Promise<CheckResult> {
  const path = o.readyPath ?? "/health/ready";
  try {
    const r = await get(base, path, o);
    if (r.status !== 200)
      return { name: "ready", ok: false, detail: `${path} answered HTTP ${r.status}, expected 200` };
    const json = parseJson(r.body);
    if (json && "status" in json && json.status !== "ready")
      return {
        name: "ready",
        ok: false,
        detail: `${path} reports status=${JSON.stringify(json.status)}, expected "ready"`,
      };
    if (json && "ready" in json && json.ready !== true)
      return { name: "ready", ok: false, detail: `${path} reports ready=${JSON.stringify(json.ready)}, expected true` };
    return { name: "ready", ok: true, detail: `${path} 200` };
  } catch (e) {
    return { name: "ready", ok: false, detail: `${path}: ${describeError(e)}` };
  }
}

async function checkLive(base: URL, o: SmokeOptions): Promise<CheckResult> {
  const path = o.livePath ?? "/health/live";
  try {
    const r = await get(base, path, o);
    return r.status === 200
      ? { name: "live", ok: true, detail: `${path} 200` }
      : { name: "live", ok: false, detail: `${path} answered HTTP ${r.status}, expected 200` };
  } catch (e) {
    return { name: "live", ok: false, detail: `${path}: ${describeError(e)}` };
  }
}

async function checkVersion(base: URL, o: SmokeOptions): Promise<CheckResult> {
  const path = o.versionPath ?? "/version";
  try {
    const r = await get(base, path, o);
    if (r.status !== 200)
      return { name: "version", ok: false, detail: `${path} answered HTTP ${r.status}, expected 200` };
    const json = parseJson(r.body);
    const reported = json && typeof json.version === "string" ? json.version : r.body.trim().slice(0, 200);
    const service = o.checks?.service;
    if (service && json?.service !== service)
      return {
        name: "version",
        ok: false,
        detail: `${path} names service ${JSON.stringify(json?.service)}, expected ${JSON.stringify(service)} (another service behind this URL?)`,
      };
    const ok =
      json && typeof json.version === "string"
        ? json.version === o.expectVersion || Object.values(json).includes(o.expectVersion)
        : r.body.includes(o.expectVersion);
    return ok
      ? { name: "version", ok: true, detail: `${path} reports ${o.expectVersion}` }
      : {
          name: "version",
          ok: false,
          detail: `${path} reports ${JSON.stringify(reported)}, expected ${JSON.stringify(o.expectVersion)} (wrong image on this color?)`,
        };
  } catch (e) {
    return { name: "version", ok: false, detail: `${path}: ${describeError(e)}` };
  }
}

export async function runSmokeTest(o: SmokeOptions): Promise<SmokeResult> {
  const base = new URL(o.url);
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = now() + (o.deadlineMs ?? 300_000);
  const log = o.log ?? (() => undefined);
  let attempts = 0;
  let checks: CheckResult[] = [];
  for (;;) {
    attempts++;
    checks = [await checkReady(base, o), await checkLive(base, o), await checkVersion(base, o)];
    const failed = checks.filter((c) => !c.ok);
    if (failed.length === 0) {
      log(`attempt ${attempts}: health and version checks passed`);
      return appChecks(base, o, attempts, checks);
    }
    log(`attempt ${attempts}: ${failed.map((c) => c.detail).join("; ")}`);
    const wait = o.intervalMs ?? 5000;
    if (now() + wait >= deadline) break;
    await sleep(wait);
  }
  const failed = checks.filter((c) => !c.ok);
  return {
    ok: false,
    attempts,
    checks,
    message: `smoke test FAILED against ${o.url} after ${attempts} attempt(s): ${failed.map((c) => c.detail).join("; ")}`,
  };
}

/** Once the color is ready: the ops summary (the privileged endpoint answers) and the smoke flow, run once. */
async function appChecks(base: URL, o: SmokeOptions, attempts: number, checks: CheckResult[]): Promise<SmokeResult> {
  const send = sender(base, o);
  const c = o.checks;
  if (c?.opsSummary) {
    try {
      await readOpsSummary(send, c.opsSummary.path, o.adminToken);
      checks.push({ name: "ops-summary", ok: true, detail: `${c.opsSummary.path} 200` });
    } catch (e) {
      checks.push({ name: "ops-summary", ok: false, detail: describeError(e) });
    }
  }
  if (c && c.flow.length > 0 && checks.every((x) => x.ok)) {
    const r = await runFlow(send, c.flow, o.adminToken, c.vars);
    checks.push({ name: "flow", ...r });
  }
  const failed = checks.filter((x) => !x.ok);
  return failed.length === 0
    ? {
        ok: true,
        attempts,
        checks,
        message: `smoke test passed against ${o.url} (version ${o.expectVersion}) after ${attempts} attempt(s)${
          c
            ? `; ${checks
                .slice(3)
                .map((x) => x.detail)
                .join("; ")}`
            : ""
        }`,
      }
    : {
        ok: false,
        attempts,
        checks,
        message: `smoke test FAILED against ${o.url}: ${failed.map((x) => x.detail).join("; ")}`,
      };
}
