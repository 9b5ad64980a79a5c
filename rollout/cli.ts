/**
 * `npm run rollout -- <command> --stack <name>`: the progressive rollout driver (rollout/driver.ts,
 * docs/release.md) and its offline rehearsal on the twin (rollout/rehearse/, docs/rehearsal.md).
 * Exit codes: rollout/errors.ts (EXIT).
 */
import { parseArgs } from "node:util";
import { secretsPrefix } from "../components/names";
import { formatProblems } from "../config/load";
import { PolicyPackError } from "../gate/analyzer";
import { Evaluator } from "../gate/evaluator";
import { gateViolations, runGate } from "../gate/run";
import { StackFileError } from "../gate/stackfiles";
import { InvalidConfigError, stackPolicyNames } from "./compose";
import { RolloutDriver } from "./driver";
import { type CommandResult, EXIT, RefusedError } from "./errors";
import { buildReport, renderPlanText, renderRehearsalMarkdown, renderRehearsalText } from "./rehearse/report";
import { rehearse, resultOf } from "./rehearse/runner";
import { mergeScenario, parseScenario, readScenario, ScenarioError, shortcuts } from "./rehearse/scenario";
import type { DriverDeps } from "./run";

export const USAGE = `Usage: npm run rollout -- <command> --stack <name> [options]

Commands (on the real stack: Pulumi CLI, AWS credentials and the release store in DynamoDB):
  start --image <ref>       preflight, then release: pause worker → deploy the idle color (snapshot, migration,
                            in-cluster smoke test) → 10/50/100 % with bakes → flip → resume worker → watch;
                            automatic rollback on an alarm, a failed up, a no-go gate or the window closing
  resume                    continue the rollout (or its rollback) from its durable status, from any machine
  abort [--reason <text>]   roll the rollout in progress back (interrupts a running release at its next poll)
  rollback                  return traffic to the previous good release (durable ledger) or roll back the
                            release under way; restores release keys only, never secrets/window/data settings
  apply                     an ordinary pulumi up of the checkout's config that keeps the deployed release keys
  scale-down                after a watched release: the idle (previous) color runs api.idleReplicas; a later
                            'rollback' scales it up again before it moves traffic
  unlock --run <id>         break the lease of a dead run (deliberately) and cancel a stuck update it owned
  status                    phase, deployed release keys, lease, last rollout, alarm states
  history                   the release ledger
  check                     post-deploy check (runbook 001 §7, hourly for 24 h after a release): readiness,
                            ops summary and the watch alarms; a failure pages the alert topic (exit 8)
  init-store                create the DynamoDB table of the release store (app:rollout.stateTable)
  dr-drill [--keep] [--timeout <minutes>]
                            DR drill: restore the latest replicated recovery point into a scratch instance in the
                            DR region, run the integrity checks, report the data age (RPO) and restore time
                            (exit 0 passed, 8 failed; rollout/dr-drill/cli.ts)

Offline (the twin: no CLI, no credentials, never touches a stack):
  plan --image <ref>        each stage's release-key change and the resources it touches
  rehearse --image <ref>    run the whole release against the twin and report every stage, rollback and the end state

Options:
  --stack <name>            stack (required)
  --image <ref>             API image to release: <repository>:sha-<commit> or @sha256:<digest>
  --version <v>             release version (default: app:release.version of the stack file)
  --commit <sha>            release commit (default: the image's sha-<commit>; required for digest images)
  --worker-image <ref>      also update the worker to this image after the flip
  --reason <text>           why (abort)
  --run <id>                the run whose lease to break (unlock; shown by status)
  --wait <minutes>          abort/rollback: how long to wait for a running release to hand over (default 60)
  --who <name>              recorded in the ledger (default: $GITHUB_ACTOR or $USER)
  --ci                      timestamp every line (non-interactive logs)
  --dir <path>              project directory (default: current directory)
Rehearsal options:
  --scenario <file.json>    what the world does (docs/rehearsal.md); combinable with the shortcuts:
  --alarm-at <stage>        the new color's error rate goes to 5 % a minute into that stage (its alarm fires)
  --no-data <new|old|all>   those colors report no datapoints for the whole rehearsal
  --crash-at <stage|rollback-n>  the driver is killed inside that update; the operator then unlocks and resumes
  --then <command>@<ISO-8601 duration>  a later command, e.g. rollback@P7D (repeatable)
  --at <ISO|window>         virtual start time (default window: the start of the release window)
  --format text|json|markdown

Exit codes: 0 released/done, 1 rolled back or aborted (traffic is on the previous color — also when a
requested 'rollback' succeeded), 2 refused (nothing changed), 3 stack or release store unavailable
(nothing more changed), 4 a rollback failed (a human must act: resume retries it), 5 interrupted (another
command took over, or SIGINT/SIGTERM), 6 failed (an apply's update failed mid-way, or an unexpected error),
7 paused (a bake without evidence, app:rollout.onNoData pause), 8 unhealthy (check found a problem).`;

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const consoleIo: Io = { out: (s) => process.stdout.write(`${s}\n`), err: (s) => process.stderr.write(`${s}\n`) };

export type DepsFactory = (o: {
  dir: string;
  stack: string;
  who: string;
  log: (s: string) => void;
  signal: AbortSignal;
}) => Promise<DriverDeps & { close?: () => void }>;

const COMMANDS = [
  "plan",
  "rehearse",
  "start",
  "resume",
  "abort",
  "rollback",
  "apply",
  "unlock",
  "status",
  "history",
  "check",
  "init-store",
  "scale-down",
];

/** The Pulumi Automation API, AWS and DynamoDB behind the driver (loaded only for real commands). */
export const realDeps: DepsFactory = async (o) => {
  const { AutomationStack } = await import("./pulumi-stack");
  const { AcmCertificates, CloudWatchAlarms, ElbTraffic, HttpAppProbe, RdsSnapshots, SnsNotifier } = await import(
    "./aws"
  );
  const { DynamoReleaseStore } = await import("./store/dynamodb");
  const { checkoutKeys } = await import("./compose");
  const config = checkoutKeys({ dir: o.dir }, o.stack).config;
  const evaluator = new Evaluator({ dir: o.dir, stackPolicies: stackPolicyNames() });
  return {
    stack: AutomationStack.lazy(o.dir, o.stack),
    alarms: new CloudWatchAlarms(),
    traffic: new ElbTraffic(),
    notifier: new SnsNotifier(config.rollout.notifyWebhookSecret),
    snapshots: new RdsSnapshots(),
    app: new HttpAppProbe({
      baseUrl: `https://${config.tls.hostname}`,
      // components/app-secrets.ts: `${namespace}/${stack}/app`
      secretId: `${secretsPrefix(config.cluster.namespace, o.stack)}/app`,
      readyPath: config.api.healthPaths.ready,
      versionPath: config.api.healthPaths.version,
      opsPath: config.checks.opsSummary.path,
    }),
    certificates: new AcmCertificates(),
    clock: (await import("./ports")).systemClock,
    store: new DynamoReleaseStore(config.rollout.stateTable),
    checkout: { dir: o.dir },
    packDir: evaluator.packDir,
    plan: async (composed) => {
      const r = await evaluator.plan(composed.files);
      if (!r.ok) throw new InvalidConfigError(o.stack, r.problems);
      return r.plan.resources;
    },
    gate: async (composed, at, policyConfigFile) => {
      const r = await runGate({ dir: o.dir, stack: o.stack, files: composed.files, at, policyConfigFile, evaluator });
      return {
        decision: r.decision,
        violations: gateViolations(r),
      };
    },
    who: o.who,
    log: o.log,
    signal: o.signal,
    close: () => evaluator.close(),
  };
};

function parse(argv: string[]) {
  const parsed = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      stack: { type: "string" },
      image: { type: "string" },
      version: { type: "string" },
      commit: { type: "string" },
      "worker-image": { type: "string" },
      reason: { type: "string" },
      run: { type: "string" },
      wait: { type: "string" },
      who: { type: "string" },
      ci: { type: "boolean" },
      dir: { type: "string" },
      scenario: { type: "string" },
      "alarm-at": { type: "string" },
      "no-data": { type: "string" },
      "crash-at": { type: "string" },
      // biome-ignore lint/suspicious/noThenProperty: the --then flag of rehearse (a later command), not a thenable
      then: { type: "string", multiple: true },
      at: { type: "string" },
      format: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const command = parsed.positionals[0];
  const v = parsed.values;
  if (v.help) return { help: true as const, command, v };
  if (!command || !COMMANDS.includes(command)) throw new RefusedError(`unknown command '${command ?? ""}'`);
  if (!v.stack) throw new RefusedError("--stack is required");
  if (["plan", "rehearse", "start"].includes(command) && !v.image)
    throw new RefusedError(`${command} needs --image <ref>`);
  if (command === "unlock" && !v.run)
    throw new RefusedError("unlock needs --run <id> (the run holding the lease: rollout status shows it)");
  if (v.format && !["text", "json", "markdown"].includes(v.format))
    throw new RefusedError(`--format must be text, json or markdown, got '${v.format}'`);
  if (v.wait !== undefined && !/^\d+$/.test(v.wait)) throw new RefusedError(`--wait takes minutes, got '${v.wait}'`);
  if (v.at && v.at !== "window" && (!/^\d{4}-\d{2}-\d{2}T/.test(v.at) || Number.isNaN(Date.parse(v.at))))
    throw new RefusedError(`--at must be an ISO-8601 time such as 2026-11-25T09:00:00Z or 'window', got '${v.at}'`);
  return { help: false as const, command, v };
}

/** `offline.evaluator`: a warm evaluator to reuse for plan/rehearse (tests); closed by its owner. */
export async function main(
  argv: string[],
  io: Io = consoleIo,
  deps: DepsFactory = realDeps,
  offlineOptions: { evaluator?: Evaluator } = {},
): Promise<number> {
  if (argv[0] === "dr-drill") return (await import("./dr-drill/cli")).drillMain(argv.slice(1), io);
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (e) {
    io.err(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    io.out(USAGE);
    return 0;
  }
  const { command, v } = args;
  const dir = v.dir ?? process.cwd();
  const stack = v.stack!;
  const stamp = () => (v.ci ? `[${new Date().toISOString()}] ` : "");
  const log = (s: string) => io.out(`${stamp()}${s}`);
  try {
    if (command === "plan" || command === "rehearse")
      return await offline(command, dir, stack, v, io, offlineOptions.evaluator);
    if (command === "init-store") {
      const { ensureTable } = await import("./store/dynamodb");
      const { checkoutKeys } = await import("./compose");
      const table = checkoutKeys({ dir }, stack).config.rollout.stateTable;
      const { DynamoDBClient } = await import("@aws-sdk/client-dynamodb");
      await ensureTable(new DynamoDBClient({}), table);
      log(`release store table ${table} is ready`);
      return 0;
    }
    // A cancelled GitHub job gets SIGINT, then SIGTERM 7.5 s later, then SIGKILL: both signals ask for the
    // same graceful stop (cancel the running update, persist, give the lease back); only a third exits at once.
    const controller = new AbortController();
    let signals = 0;
    const onSignal = (sig: string) => {
      if (++signals >= 3) process.exit(130);
      if (controller.signal.aborted) return log(`${sig}: still stopping gracefully (a third signal exits at once)`);
      log(`${sig}: cancelling the running update gracefully and stopping`);
      controller.abort();
    };
    process.on("SIGINT", () => onSignal("SIGINT"));
    process.on("SIGTERM", () => onSignal("SIGTERM"));
    const who = String(v.who ?? process.env.GITHUB_ACTOR ?? process.env.USER ?? "unknown");
    const d = await deps({ dir, stack, who, log, signal: controller.signal });
    try {
      return await online(command, new RolloutDriver(d), v, io);
    } finally {
      d.close?.();
    }
  } catch (e) {
    return fail(e, stack, io);
  }
}

type Values = ReturnType<typeof parse>["v"];

async function online(command: string, driver: RolloutDriver, v: Values, io: Io): Promise<number> {
  let result: CommandResult;
  const wait = v.wait === undefined ? 60 : Number(v.wait);
  switch (command) {
    case "status":
      await driver.status();
      return 0;
    case "history":
      for (const e of await driver.history())
        io.out(
          `${e.endedAt}  ${e.kind.padEnd(8)} ${e.outcome.padEnd(15)} ${e.release ?? ""}  ${e.from.live}→${e.to.live}  ${e.to.images[e.to.live].split(/[:@]/).pop()}  by ${e.who}  stages: ${e.stagesReached.join(",") || "-"}${e.reason ? `  ${e.reason.code}: ${e.reason.detail}` : ""}`,
        );
      return 0;
    case "check":
      result = await driver.check();
      break;
    case "start":
      result = await driver.start({
        image: v.image!,
        version: v.version,
        commit: v.commit,
        workerImage: v["worker-image"],
      });
      break;
    case "resume":
      result = await driver.resume();
      break;
    case "abort":
      result = await driver.abort(v.reason, wait);
      break;
    case "rollback":
      result = await driver.rollback(wait, v.reason);
      break;
    case "apply":
      result = await driver.apply();
      break;
    case "scale-down":
      result = await driver.apply({ scaleDownIdle: true });
      break;
    case "unlock":
      result = await driver.unlock(v.run!);
      break;
    default:
      throw new RefusedError(`unknown command ${command}`);
  }
  return EXIT[result];
}

async function offline(
  command: "plan" | "rehearse",
  dir: string,
  stack: string,
  v: Values,
  io: Io,
  shared?: Evaluator,
): Promise<number> {
  const file = v.scenario ? readScenario(v.scenario) : parseScenario({});
  const extra = shortcuts({ alarmAt: v["alarm-at"], noData: v["no-data"], crashAt: v["crash-at"], later: v.then });
  const scenario = command === "plan" ? parseScenario({}) : parseScenario(mergeScenario(file, extra));
  const evaluator = shared ?? new Evaluator({ dir, stackPolicies: stackPolicyNames() });
  try {
    const run = await rehearse({
      dir,
      stack,
      image: v.image!,
      version: v.version,
      commit: v.commit,
      workerImage: v["worker-image"],
      at: v.at && v.at !== "window" ? new Date(v.at) : undefined,
      scenario,
      evaluator,
    });
    try {
      const report = await buildReport(run, v.image!, Object.values(scenario.secrets));
      const format = v.format ?? "text";
      io.out(
        format === "json"
          ? JSON.stringify(report, null, 2)
          : format === "markdown"
            ? renderRehearsalMarkdown(report)
            : command === "plan"
              ? renderPlanText(report)
              : renderRehearsalText(report),
      );
      // plan describes; it fails only when the release would be refused or cannot be planned.
      return command === "plan" && report.exitCode !== 2 ? 0 : report.exitCode;
    } finally {
      run.world.close();
    }
  } finally {
    // GATE_TIMINGS=1 (docs/gate.md "Profile"): what the rehearsal asked of its program and pack.
    if (process.env.GATE_TIMINGS === "1") io.err(`evaluator: ${JSON.stringify(evaluator.stats)}`);
    if (!shared) evaluator.close();
  }
}

function fail(e: unknown, stack: string, io: Io): number {
  if (e instanceof InvalidConfigError) {
    io.err(formatProblems(e.problems, stack));
    return 2;
  }
  if (e instanceof ScenarioError || e instanceof StackFileError || e instanceof PolicyPackError) {
    io.err(e.message);
    return 2;
  }
  try {
    const r = resultOf(e);
    io.err(`${r.result}: ${r.message}`);
    return EXIT[r.result];
  } catch {
    io.err(
      `rollout failed unexpectedly: ${(e as Error).message}\nNo release or rollback was started by this error's handling: 'rollout status --stack ${stack}'.`,
    );
    return EXIT.failed;
  }
}
