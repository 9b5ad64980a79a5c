/**
 * `npm run rollout -- <command> --stack <name>`: the progressive rollout driver (see rollout/driver.ts
 * and docs/release.md). Exit codes: 0 done; 1 the release was rolled back or aborted (traffic is on the
 * previous color); 2 refused (bad arguments, invalid config, preflight failed) — nothing changed;
 * 3 the stack could not be used (locked, credentials, unknown stack, undecryptable config) — nothing
 * changed; 4 a rollback failed — a human must act.
 */
import * as path from "node:path";
import { parseArgs } from "node:util";
import { NAMESPACE } from "../config/load";
import { runGate } from "../gate/run";
import type { StructuredConfig } from "./config-state";
import { type DriverDeps, type Outcome, RefusedError, RolloutDriver } from "./driver";
import { Ledger } from "./ledger";
import { StackError, systemClock } from "./ports";

export const USAGE = `Usage: npm run rollout -- <command> --stack <name> [options]

Commands:
  plan --image <ref>        print the stages 'start' would run; changes nothing
  start --image <ref>       preflight, then release: pause worker → deploy idle color → 10/50/100 % with bake
                            → flip live → resume worker → watch; automatic rollback on alarm or failure
  resume                    continue a rollout after its last completed stage (e.g. after a crash)
  abort                     stop the rollout in progress and restore the config from before it
  rollback [--to <update>]  restore the config of the last successful update before the current release
                            (or of the given update version) and run up: Pulumi's missing rollback
  status                    colors, weights, images, release, rollout stage, alarm states
  history                   the release ledger

Options:
  --stack <name>            stack (required)
  --image <ref>             API image to release: <repository>:sha-<commit> or @sha256:<digest>
  --version <v>             release version (default: app:release.version)
  --worker-image <ref>      also update the worker to this image after the flip
  --reason <text>           why (abort)
  --who <name>              recorded in the ledger (default: $GITHUB_ACTOR or $USER)
  --ledger <file>           ledger file (default: .rollout/ledger.jsonl); also mirrored to SSM unless --no-ssm
  --ci                      non-interactive: timestamp every line
  --dir <path>              project directory (default: current directory)

Exit codes: 0 done, 1 rolled back/aborted, 2 refused (nothing changed), 3 stack unavailable (nothing changed), 4 rollback failed.`;

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const consoleIo: Io = { out: (s) => process.stdout.write(`${s}\n`), err: (s) => process.stderr.write(`${s}\n`) };

export type DepsFactory = (o: {
  dir: string;
  stack: string;
  ledgerFile: string;
  ssm: boolean;
  who: string;
  log: (s: string) => void;
}) => Promise<DriverDeps>;

/** The app config keys of a structured config, as gate overrides. */
function overridesOf(config: StructuredConfig): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(config)
      .filter(([k]) => k.startsWith(`${NAMESPACE}:`))
      .map(([k, e]) => [k.slice(NAMESPACE.length + 1), e.value]),
  );
}

export const realDeps: DepsFactory = async (o) => {
  const { AutomationStack } = await import("./pulumi-stack");
  const { AcmCertificates, CloudWatchAlarms, SsmLedgerMirror } = await import("./aws");
  const stack = await AutomationStack.select(o.dir, o.stack);
  return {
    stack,
    alarms: new CloudWatchAlarms(),
    certificates: new AcmCertificates(),
    clock: systemClock,
    ledger: new Ledger(o.ledgerFile, o.ssm ? new SsmLedgerMirror() : undefined),
    gate: (config, at) => runGate({ dir: o.dir, stack: o.stack, at, overrides: overridesOf(config) }),
    progressFile: path.join(o.dir, ".rollout", `${o.stack}.json`),
    who: o.who,
    log: o.log,
  };
};

const EXIT: Record<Outcome["result"], number> = { released: 0, "rolled-back": 1, aborted: 1, failed: 4 };

export async function main(argv: string[], io: Io = consoleIo, deps: DepsFactory = realDeps): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  let command: string | undefined;
  try {
    const parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        stack: { type: "string" },
        image: { type: "string" },
        version: { type: "string" },
        "worker-image": { type: "string" },
        to: { type: "string" },
        reason: { type: "string" },
        who: { type: "string" },
        ledger: { type: "string" },
        "no-ssm": { type: "boolean" },
        ci: { type: "boolean" },
        dir: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
    values = parsed.values;
    command = parsed.positionals[0];
    if (values.help) {
      io.out(USAGE);
      return 0;
    }
    if (!command || !["plan", "start", "resume", "abort", "rollback", "status", "history"].includes(command))
      throw new RefusedError(`unknown command '${command ?? ""}'`);
    if (!values.stack) throw new RefusedError("--stack is required");
    if ((command === "plan" || command === "start") && !values.image)
      throw new RefusedError(`${command} needs --image <ref>`);
    if (values.to !== undefined && !/^\d+$/.test(String(values.to)))
      throw new RefusedError(`--to must be an update version number, got '${values.to}'`);
  } catch (e) {
    io.err(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const dir = String(values.dir ?? process.cwd());
  const stackName = String(values.stack);
  const stamp = () => (values.ci ? `[${new Date().toISOString()}] ` : "");
  const log = (s: string) => io.out(`${stamp()}${s}`);
  const ledgerFile = String(values.ledger ?? path.join(dir, ".rollout", "ledger.jsonl"));
  try {
    if (command === "history") {
      for (const e of new Ledger(ledgerFile).read(stackName))
        io.out(
          `${e.endedAt}  ${e.kind.padEnd(8)} ${e.outcome.padEnd(11)} ${e.release ?? ""}  ${e.from.color}(${e.from.image.split(":").pop()}) → ${e.to.color}(${e.to.image.split(":").pop()})  by ${e.who}  stages: ${e.stagesReached.join(",") || "-"}${e.reason ? `  reason: ${e.reason}` : ""}`,
        );
      return 0;
    }
    const who = String(values.who ?? process.env.GITHUB_ACTOR ?? process.env.USER ?? "unknown");
    const driver = new RolloutDriver(
      await deps({ dir, stack: stackName, ledgerFile, ssm: !values["no-ssm"], who, log }),
    );
    const image = values.image === undefined ? "" : String(values.image);
    const opts = {
      version: values.version as string | undefined,
      workerImage: values["worker-image"] as string | undefined,
    };
    switch (command) {
      case "plan":
        await driver.plan(image, opts);
        return 0;
      case "status":
        await driver.status();
        return 0;
      case "start":
        return EXIT[(await driver.start(image, opts)).result];
      case "resume":
        return EXIT[(await driver.resume()).result];
      case "abort":
        return EXIT[(await driver.abort(values.reason as string | undefined)).result];
      case "rollback": {
        const r = await driver.rollback(values.to === undefined ? undefined : Number(values.to));
        return r.result === "rolled-back" ? 0 : 4;
      }
    }
    return 2;
  } catch (e) {
    if (e instanceof RefusedError) {
      io.err(`refused: ${e.message}`);
      return 2;
    }
    if (e instanceof StackError) {
      io.err(`${e.kind}: ${e.message}`);
      return 3;
    }
    io.err(`rollout failed unexpectedly: ${(e as Error).message}`);
    return 4;
  }
}
