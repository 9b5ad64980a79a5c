/**
 * The scenario format of `rollout rehearse` (docs/rehearsal.md): what the world does during a rehearsed
 * release — error rates and latency per color over time, colors without data, alarm API throttling, a
 * migration that fails, a version an image reports, a crash of the driver, a later command, a concurrent
 * start, a secrets-provider change. Validated with zod: a bad scenario gets the key path and what was
 * expected, never a stack trace.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";

/**
 * A point in virtual time: `start` (the rehearsal's start), `end` (never), a stage or rollback phase
 * (`traffic-50`, `deploy`, `rollback-traffic`: when its update started), optionally `+<n>m`/`+<n>s`
 * after it (`traffic-50+3m`), or an ISO-8601 duration after the start (`PT40M`).
 */
const timeRef = z
  .string()
  .regex(
    /^(start|end|[a-z][a-z0-9-]*(\+\d+(m|s))?|P(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?)$/,
    "expected start, end, a stage id such as traffic-50, optionally +3m / +30s, or an ISO-8601 duration such as PT40M",
  );
const colorRef = z.enum(["new", "old", "blue", "green", "all"]);

const behaviour = z.strictObject({
  color: colorRef,
  from: timeRef.default("start"),
  until: timeRef.default("end"),
  errorRate: z.number().min(0).max(1).optional(),
  p95Seconds: z.number().min(0).optional(),
  notReady: z.boolean().optional(),
  /** Smoke-flow requests whose path contains this (e.g. `publish`) answer 500 on this color. */
  flowFails: z.string().optional(),
});

const command = z.strictObject({
  command: z.enum(["start", "resume", "abort", "rollback", "apply", "scale-down", "unlock", "status", "check"]),
  /** ISO-8601 duration after the previous command ended (e.g. P7D, PT10M). */
  after: z
    .string()
    .regex(/^P(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?$/, "expected an ISO-8601 duration such as P7D or PT10M")
    .default("PT0S"),
  image: z.string().optional(),
  version: z.string().optional(),
  reason: z.string().optional(),
  /** Run from a fresh checkout of git (a new CI runner). @default true */
  freshCheckout: z.boolean().default(true),
  /** Stack config committed to git just before this command (deep-merged by key; `null` removes a key). */
  config: z.record(z.string(), z.unknown()).optional(),
});

export const scenarioSchema = z.strictObject({
  name: z.string().optional(),
  description: z.string().optional(),
  /**
   * Stack config committed to git after the deployment the rehearsal starts from, deep-merged by key, e.g.
   * `{"app:rollout": {"onNoData": "pause"}}` (the driver reads its settings from the checkout).
   */
  config: z
    .record(
      z.string().regex(/^[a-z][a-zA-Z0-9-]*:[A-Za-z][A-Za-z0-9_.]*$/, "expected a config key such as app:rollout"),
      z.unknown(),
    )
    .default({}),
  /** Requests per minute reaching the load balancer. */
  trafficPerMinute: z.number().int().min(0).default(1200),
  colors: z.array(behaviour).default([]),
  /** Colors reporting no datapoints (no traffic reaches their metrics) in a time range. */
  noData: z
    .array(z.strictObject({ color: colorRef, from: timeRef.default("start"), until: timeRef.default("end") }))
    .default([]),
  /**
   * What the worker publishes (it publishes only while running and only if its IAM role allows
   * PutMetricData into its namespace): its backlog and failed jobs in a time range, or nothing at all
   * (`publishes: false`: a worker build that lost its metrics exporter).
   */
  worker: z
    .array(
      z.strictObject({
        from: timeRef.default("start"),
        until: timeRef.default("end"),
        publishes: z.boolean().default(true),
        backlog: z.number().min(0).optional(),
        failedJobs: z.number().min(0).optional(),
      }),
    )
    .default([]),
  /** DescribeAlarms calls that throttle: the n-th calls, or every call in a time range. */
  throttle: z
    .strictObject({
      calls: z.array(z.number().int().min(1)).default([]),
      from: timeRef.optional(),
      until: timeRef.optional(),
    })
    .optional(),
  /** What images report on /version (a wrong version fails the smoke test). */
  images: z.record(z.string(), z.strictObject({ version: z.string() })).default({}),
  /** Ops summary counters (dotted, e.g. `searchJobs.failed`) that grow by `perMinute` in a time range. */
  ops: z
    .array(
      z.strictObject({
        counter: z.string().min(1),
        perMinute: z.number(),
        from: timeRef.default("start"),
        until: timeRef.default("end"),
      }),
    )
    .default([]),
  /** IAM actions the driver's role is denied: `cloudwatch:DescribeAlarms`, `cloudwatch:GetMetricData`, `elasticloadbalancing:ModifyListener`, `sns:Publish`. */
  deniedApis: z
    .array(
      z.enum([
        "cloudwatch:DescribeAlarms",
        "cloudwatch:GetMetricData",
        "elasticloadbalancing:ModifyListener",
        "sns:Publish",
        "secretsmanager:GetSecretValue",
        "rds:DeleteDBSnapshot",
      ]),
    )
    .default([]),
  /** Pre-release snapshots earlier releases left retained in AWS (the rotation after a release deletes the oldest). */
  retainedSnapshots: z.number().int().min(0).max(100).default(0),
  /** The first N SNS Publish calls of release notifications fail (warnings: the release goes on). */
  notifyFailures: z.number().int().min(0).default(0),
  /** The next N ELBv2 ModifyListener calls fail (the fast traffic restore falls back to the `up`). */
  listenerFailures: z.number().int().min(0).default(0),
  /** Alarms that do not exist in CloudWatch (deleted by hand, never created): absent from DescribeAlarms. */
  missingAlarms: z.array(z.string()).default([]),
  /**
   * A provider error during an update: the first changing step of the update for `step` (a stage id, or
   * `rollback-<phase>` such as rollback-traffic) fails with `message`, `times` times in a row.
   */
  providerErrors: z
    .array(
      z.strictObject({
        step: z.string().regex(/^[a-z][a-z0-9-]*$/, "expected a stage id or rollback-<phase>"),
        message: z
          .string()
          .default("InternalFailure: An internal error occurred (the provider call failed mid-update)"),
        times: z.number().int().min(1).default(1),
      }),
    )
    .default([]),
  /** The release's migration fails with this message. */
  migrationFails: z.string().optional(),
  /**
   * SQL the release's migration applies to the twin's database (tables repos, artifacts): the db-users,
   * migration and integrity-check Jobs then run against a real Postgres, e.g. "DROP TABLE artifacts".
   */
  migrationSql: z.string().optional(),
  /** Secrets set in the stack file before the first deployment (`pulumi config set --secret`). */
  secrets: z.record(z.string(), z.string()).default({}),
  /** The driver process is killed: before/inside/after a stage's update, or inside the n-th rollback update. */
  crash: z
    .strictObject({
      at: z.string().regex(/^([a-z][a-z0-9-]*|rollback-\d+)$/, "expected a stage id or rollback-<n>"),
      when: z.enum(["before", "during", "after"]).default("during"),
      /** During: after this many steps of the update. */
      afterSteps: z.number().int().min(0).default(1),
      /** How long the operator takes to notice (then: status, unlock, and `recover`). */
      noticeAfter: z.string().default("PT10M"),
      /** What the operator runs after unlocking: continue the rollout, or roll it back. @default resume */
      recover: z.enum(["resume", "abort"]).default("resume"),
    })
    .optional(),
  /** Commands run from other machines while the release is under way (an abort, an emergency rollback). */
  during: z
    .array(
      z.strictObject({
        command: z.enum(["abort", "rollback", "status", "start", "unlock", "check"]),
        at: timeRef,
        reason: z.string().optional(),
        image: z.string().optional(),
        version: z.string().optional(),
      }),
    )
    .default([]),
  /** The release's CI job is cancelled at `at` (SIGINT/SIGTERM to the driver); the rehearsal then resumes it. */
  cancel: z.strictObject({ at: timeRef }).optional(),
  /** Another update (a colleague's `pulumi up`) holds the stack lock from `from` until `until`. */
  foreignLock: z.strictObject({ from: timeRef, until: timeRef }).optional(),
  /** A second `start` at the same time as the first (two CI jobs). */
  concurrentStart: z.boolean().default(false),
  /** The stack's secrets provider changes (and git's stack file is re-encrypted) before the later commands. */
  secretsProviderChange: z.boolean().default(false),
  /** Commands run after the release, each `after` the previous one ended (`--then`). */
  later: z.array(command).default([]),
});

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;

export class ScenarioError extends Error {
  override name = "ScenarioError";
}

export function parseScenario(input: unknown, source = "scenario"): Scenario {
  const r = scenarioSchema.safeParse(input);
  if (r.success) return r.data;
  throw new ScenarioError(
    `${source} is not a valid scenario:\n${r.error.issues.map((i) => `  ✗ ${i.path.join(".") || "(root)"}: ${i.message}`).join("\n")}\nThe format is in docs/rehearsal.md (npm run rollout -- rehearse --help).`,
  );
}

export function readScenario(file: string): Scenario {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new ScenarioError(`${file}: not readable JSON: ${(e as Error).message}`);
  }
  return parseScenario(json, file);
}

/** ISO-8601 duration → milliseconds (days, hours, minutes, seconds). */
export function durationMs(iso: string): number {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(iso);
  if (!m) throw new ScenarioError(`'${iso}' is not an ISO-8601 duration such as P7D or PT10M`);
  const [d, h, min, s] = m.slice(1).map((x) => Number(x ?? 0));
  return ((d * 24 + h) * 60 + min) * 60_000 + s * 1000;
}

/** The shortcuts of the command line, as scenario parts. */
export function shortcuts(o: { alarmAt?: string; noData?: string; crashAt?: string; later?: string[] }): ScenarioInput {
  const out: ScenarioInput = {};
  if (o.alarmAt) out.colors = [{ color: "new", from: `${o.alarmAt}+1m`, errorRate: 0.05 }];
  if (o.noData) {
    if (!["new", "old", "all"].includes(o.noData))
      throw new ScenarioError(`--no-data takes new, old or all, got '${o.noData}'`);
    out.noData = [{ color: o.noData as "new" | "old" | "all" }];
  }
  if (o.crashAt) out.crash = { at: o.crashAt };
  if (o.later?.length)
    out.later = o.later.map((t) => {
      const m = /^(start|resume|abort|rollback|apply|scale-down|unlock|status)@(P.+)$/.exec(t);
      if (!m)
        throw new ScenarioError(
          `--then ${t}: expected <command>@<ISO-8601 duration>, e.g. rollback@P7D or resume@PT10M`,
        );
      return { command: m[1] as "rollback", after: m[2] };
    });
  return out;
}

/** Scenario parts merged: lists are concatenated, scalars of `b` win. */
export function mergeScenario(a: ScenarioInput, b: ScenarioInput): ScenarioInput {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const x = out[k];
    out[k] = Array.isArray(x) && Array.isArray(v) ? [...x, ...v] : v;
  }
  return out as ScenarioInput;
}
