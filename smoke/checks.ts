/**
 * The application's own checks, one declarative list (`app:checks`) run by the in-cluster smoke test
 * before traffic moves and by the rollout driver during and after a release (runbook 001 §4.7–4.8, §5,
 * §6.4; 002 §5):
 * - the admin ops summary (`GET <opsSummary.path>` with the admin token): its critical counters are the
 *   go/no-go ("no critical regression in ops summary counters");
 * - a scripted smoke flow of HTTP steps — method, path, auth, expected status and JSON fields — with values
 *   carried from one step to the next (`save: { repoId: "items.0.id" }`, then `/v1/repos/{repoId}`).
 * The admin token is passed in memory only (from the environment or Secrets Manager), never on argv, and
 * never appears in a result or message.
 */

export interface CriticalCounter {
  /** Dotted path in the ops summary JSON, e.g. `searchJobs.failed`. */
  counter: string;
  /** Allowed increase over the baseline before it counts as a regression. */
  maxIncrease: number;
}

export interface FlowStep {
  name: string;
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Path with `{var}` placeholders filled from earlier steps' `save`. */
  path: string;
  auth: "none" | "admin";
  /** JSON body (placeholders filled in string values). */
  body?: unknown;
  /** Expected HTTP status (or any of several, e.g. [201, 409] for a create that a retry repeats). */
  status: number | number[];
  /** Dotted JSON paths and the values they must have (`"*"`: present). */
  expect?: Record<string, unknown>;
  /** Variables to keep: name → dotted JSON path of this step's response. */
  save?: Record<string, string>;
}

export interface AppChecks {
  /** The service `/version` must name (002 §5: "returns expected version and service name"). */
  service?: string;
  /** Values the flow's `{var}` placeholders start with (app:checks.vars plus releaseId, version, color). */
  vars?: Record<string, string>;
  opsSummary?: { path: string; critical: CriticalCounter[] };
  flow: FlowStep[];
}

export interface HttpRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface HttpResponse {
  status: number;
  body: string;
}

/** One HTTP exchange against the base URL (smoke/check.ts sends it; the twin routes it). */
export type Send = (req: HttpRequest) => Promise<HttpResponse>;

export interface CheckOutcome {
  ok: boolean;
  detail: string;
}

/** The value at a dotted path (`a.b.0.c`), or undefined. */
export function at(value: unknown, path: string): unknown {
  let v = value;
  for (const k of path.split(".")) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

function parse(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

const auth = (token: string | undefined): Record<string, string> => (token ? { Authorization: `Bearer ${token}` } : {});

/** Reads the ops summary; throws with a clear reason when it cannot be read (no token, 401/403, not JSON). */
export async function readOpsSummary(
  send: Send,
  path: string,
  token: string | undefined,
): Promise<Record<string, unknown>> {
  if (!token) throw new Error(`no admin token: ${path} is a privileged endpoint`);
  const r = await send({ method: "GET", path, headers: { Accept: "application/json", ...auth(token) } });
  if (r.status === 401 || r.status === 403)
    throw new Error(`${path} refused the admin token (HTTP ${r.status}): is it the current one (secret rotation)?`);
  if (r.status !== 200) throw new Error(`${path} answered HTTP ${r.status}, expected 200`);
  const json = parse(r.body);
  if (!json || typeof json !== "object" || Array.isArray(json)) throw new Error(`${path} did not answer a JSON object`);
  return json as Record<string, unknown>;
}

/** The critical counters that grew more than allowed since the baseline (empty: no regression). */
export function counterRegressions(
  baseline: Record<string, unknown>,
  now: Record<string, unknown>,
  critical: CriticalCounter[],
): string[] {
  const out: string[] = [];
  for (const c of critical) {
    const before = at(baseline, c.counter);
    const after = at(now, c.counter);
    if (typeof after !== "number" || typeof before !== "number") {
      out.push(`${c.counter} is missing from the ops summary (baseline ${before}, now ${after})`);
      continue;
    }
    if (after - before > c.maxIncrease)
      out.push(`${c.counter} rose from ${before} to ${after} (+${after - before}, allowed +${c.maxIncrease})`);
  }
  return out;
}

type Vars = Record<string, unknown>;

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Fills `{var}` in a path: each value URL-encoded (an id like `acme/core` stays one path segment). */
function fillPath(template: string, vars: Vars): string {
  return template.replace(PLACEHOLDER, (m, name: string) =>
    name in vars ? encodeURIComponent(String(vars[name])) : m,
  );
}

/** Fills body strings: exactly `"{var}"` keeps the saved value's type (number, object); else text. */
function fillBody(v: unknown, vars: Vars): unknown {
  if (typeof v === "string") {
    const whole = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(v);
    if (whole && whole[1] in vars) return vars[whole[1]];
    return v.replace(PLACEHOLDER, (m, name: string) => (name in vars ? String(vars[name]) : m));
  }
  if (Array.isArray(v)) return v.map((x) => fillBody(x, vars));
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fillBody(x, vars)]));
  return v;
}

async function runStep(send: Send, step: FlowStep, vars: Vars, token?: string): Promise<CheckOutcome> {
  const path = fillPath(step.path, vars);
  const missing = /\{([A-Za-z_][A-Za-z0-9_]*)\}/.exec(path);
  if (missing) return { ok: false, detail: `${step.name}: no value for {${missing[1]}} (an earlier step's save)` };
  if (step.auth === "admin" && !token) return { ok: false, detail: `${step.name}: needs the admin token` };
  const r = await send({
    method: step.method,
    path,
    headers: {
      Accept: "application/json",
      ...(step.body === undefined ? {} : { "Content-Type": "application/json" }),
      ...(step.auth === "admin" ? auth(token) : {}),
    },
    body: step.body === undefined ? undefined : JSON.stringify(fillBody(step.body, vars)),
  });
  const where = `${step.name} (${step.method} ${path})`;
  const allowed = Array.isArray(step.status) ? step.status : [step.status];
  if (!allowed.includes(r.status))
    return { ok: false, detail: `${where}: HTTP ${r.status}, expected ${allowed.join(" or ")}` };
  const json = parse(r.body);
  for (const [p, want] of Object.entries(step.expect ?? {})) {
    const got = at(json, p);
    if (want === "*" ? got === undefined : JSON.stringify(got) !== JSON.stringify(want))
      return {
        ok: false,
        detail: `${where}: ${p} is ${JSON.stringify(got)}, expected ${want === "*" ? "a value" : JSON.stringify(want)}`,
      };
  }
  for (const [name, p] of Object.entries(step.save ?? {})) {
    const got = at(json, p);
    if (got === undefined || got === null) return { ok: false, detail: `${where}: nothing at ${p} to save as ${name}` };
    vars[name] = got;
  }
  return { ok: true, detail: `${step.name} ${r.status}` };
}

/** Runs the flow in order; stops at the first failing step. `initial`: built-ins and `app:checks.vars`. */
export async function runFlow(
  send: Send,
  steps: FlowStep[],
  token?: string,
  initial: Vars = {},
): Promise<CheckOutcome> {
  const vars: Vars = { ...initial };
  for (const step of steps) {
    let r: CheckOutcome;
    try {
      r = await runStep(send, step, vars, token);
    } catch (e) {
      r = { ok: false, detail: `${step.name}: ${(e as Error).message}` };
    }
    if (!r.ok) return { ok: false, detail: `smoke flow failed at step ${r.detail}` };
  }
  return { ok: true, detail: `smoke flow: ${steps.length} step(s) passed` };
}
