/**
 * `npm run rollout -- dr-drill --stack prod [--keep] [--timeout <minutes>] [--format text|json]`: the DR drill
 * (rollout/dr-drill/drill.ts). Runs where the DR region's DB subnets are reachable (the dr-drill workflow's
 * self-hosted runner in the DR VPC). Exit codes (rollout/errors.ts): 0 passed; 8 the drill failed (no
 * usable replicated backup, the restore failed or timed out, a check failed, the data older than the RPO
 * target); 2 refused (config, arguments); 3 AWS unavailable (credentials, permissions, throttling); 6 an
 * unexpected error.
 */
import { parseArgs } from "node:util";
import { APP_DB_NAME, databaseIdentifiers, namePrefix, secretsPrefix } from "../../components/names";
import { formatProblems } from "../../config/load";
import type { AppConfig } from "../../config/schema";
import { checkoutKeys, InvalidConfigError } from "../compose";
import { RefusedError } from "../errors";
import { systemClock } from "../ports";
import type { DrillDeps, DrillReport, DrillSettings } from "./drill";

export const DRILL_USAGE = `Usage: npm run rollout -- dr-drill --stack <name> [--keep] [--timeout <minutes>] [--format text|json] [--sweep]

Restores the latest recovery point of the database's replicated automated backups into a scratch instance
in the DR region (app:backups.crossRegionCopy.region, into app:backups.crossRegionCopy.restoreInto), runs
app:database.integrityChecks against it as the read-only user, reports the data age (RPO achieved) and the
restore time, then deletes the scratch instance (--keep leaves it; the next drill deletes it). --sweep only
deletes the scratch instances earlier drills of the stack left.

Exit codes: 0 passed, 8 the drill failed, 2 refused (config or arguments), 3 AWS unavailable, 6 unexpected error.`;

export interface DrillIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

export type DrillDepsFactory = (s: DrillSettings, log: (s: string) => void, signal: AbortSignal) => Promise<DrillDeps>;

function parse(argv: string[]) {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      stack: { type: "string" },
      dir: { type: "string" },
      keep: { type: "boolean" },
      sweep: { type: "boolean" },
      timeout: { type: "string" },
      format: { type: "string" },
      ci: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (v.help) return v;
  if (!v.stack) throw new RefusedError("--stack is required");
  if (v.timeout !== undefined && !/^[1-9]\d*$/.test(v.timeout))
    throw new RefusedError(`--timeout takes minutes, got '${v.timeout}'`);
  if (v.format && !["text", "json"].includes(v.format))
    throw new RefusedError(`--format must be text or json, got '${v.format}'`);
  return v;
}

/** What the drill needs from the stack config, or a refusal naming the key and the fix. */
export function drillSettings(
  config: AppConfig,
  stack: string,
  homeRegion: string,
  o: { keep: boolean; timeoutMinutes: number },
): DrillSettings {
  const copy = config.backups.crossRegionCopy;
  const set = (key: string, value: string) => `pulumi config set --path '${key}' ${value} --stack ${stack}`;
  if (!copy)
    throw new RefusedError(
      `app:backups.crossRegionCopy is not set for ${stack}: no DR region to drill (${set("app:backups.crossRegionCopy.region", "eu-west-1")})`,
    );
  if (!config.database.crossRegionPitr)
    throw new RefusedError(
      `app:database.crossRegionPitr is false for ${stack}: no automated backups are replicated to ${copy.region} (${set("app:database.crossRegionPitr", "true")}, then apply)`,
    );
  if (!copy.restoreInto)
    throw new RefusedError(
      `app:backups.crossRegionCopy.restoreInto is not set for ${stack}: the drill restores into the DR network's DB subnet group and security groups (${set("app:backups.crossRegionCopy.restoreInto.dbSubnetGroupName", "<name>")})`,
    );
  const prefix = namePrefix(config.cluster.namespace, stack);
  return {
    stack,
    prefix,
    source: databaseIdentifiers(prefix, config.database.restore).primary,
    homeRegion,
    drRegion: copy.region,
    instanceClass: config.database.instanceClass,
    dbSubnetGroupName: copy.restoreInto.dbSubnetGroupName,
    vpcSecurityGroupIds: copy.restoreInto.vpcSecurityGroupIds,
    dbName: APP_DB_NAME,
    usersSecretId: `${secretsPrefix(config.cluster.namespace, stack)}/db-users`,
    checks: config.database.integrityChecks,
    timeoutMinutes: o.timeoutMinutes,
    keep: o.keep,
    rpoTargetSeconds: 60 * copy.rpoTargetMinutes,
  };
}

export function renderDrill(r: DrillReport): string[] {
  const lines = [
    `DR drill of ${r.source} in ${r.drRegion}: ${r.outcome.toUpperCase()}`,
    `  recovery point ${r.recoveryPoint ?? "-"}, data age ${r.dataAgeSeconds ?? "-"} s (RPO target ${r.rpoTargetSeconds} s)`,
    `  restore ${r.instance ?? "-"}: requested ${r.requestedAt ?? "-"}, available ${r.availableAt ?? "-"} (${r.restoreSeconds ?? "-"} s)`,
    ...r.checks.map(
      (c) => `  ${c.ok ? "✓" : "✗"} ${c.name}: ${c.skipped ?? `expected ${c.expected}, found ${c.found}`}`,
    ),
    ...r.problems.map((p) => `  problem: ${p}`),
    ...r.warnings.map((w) => `  warning: ${w}`),
  ];
  if (r.leftovers.length) lines.push(`  earlier scratch instances cleaned up: ${r.leftovers.join(", ")}`);
  lines.push(
    `  scratch instance ${r.instance ? (r.deleted ? "deleted" : "left running (the next drill deletes it)") : "none"}`,
  );
  return lines;
}

export const realDrillDeps: DrillDepsFactory = async (s, log, signal) => {
  const { RdsDrDatabases, SecretsManagerJson, tlsCheckRunner } = await import("./aws");
  const { SecretsManagerClient } = await import("@aws-sdk/client-secrets-manager");
  return {
    rds: RdsDrDatabases.inRegion(s.drRegion),
    secrets: new SecretsManagerJson(new SecretsManagerClient({ region: s.homeRegion })),
    runChecks: tlsCheckRunner(process.env.PGSSLROOTCERT, log),
    clock: systemClock,
    log,
    signal,
  };
};

/**
 * SIGINT/SIGTERM (a cancelled GitHub job sends both, then kills): stop waiting and delete the scratch
 * instance before exiting; a third signal exits at once (the next drill deletes what is left).
 */
function onSignals(log: (s: string) => void): AbortController {
  const controller = new AbortController();
  let n = 0;
  const handler = (sig: string) => {
    if (++n >= 3) process.exit(130);
    log(`${sig}: stopping the drill and deleting its scratch instance`);
    controller.abort();
  };
  process.once("SIGINT", () => handler("SIGINT"));
  process.on("SIGTERM", () => handler("SIGTERM"));
  return controller;
}

export async function drillMain(argv: string[], io: DrillIo, deps: DrillDepsFactory = realDrillDeps): Promise<number> {
  let v: ReturnType<typeof parse>;
  let settings: DrillSettings;
  try {
    v = parse(argv);
    if (v.help) {
      io.out(DRILL_USAGE);
      return 0;
    }
    const { config, files } = checkoutKeys({ dir: v.dir ?? process.cwd() }, v.stack!);
    const timeoutMinutes = v.timeout ? Number(v.timeout) : 120;
    settings = drillSettings(config, v.stack!, String(files.config["aws:region"] ?? ""), {
      keep: !!v.keep,
      timeoutMinutes,
    });
  } catch (e) {
    if (e instanceof InvalidConfigError) io.err(formatProblems(e.problems, e.stackName));
    else io.err(`dr-drill: ${(e as Error).message}\n\n${DRILL_USAGE}`);
    return 2;
  }
  const stamp = () => (v.ci ? `[${new Date().toISOString()}] ` : "");
  const log = (s: string) => (v.format === "json" ? io.err(`${stamp()}${s}`) : io.out(`${stamp()}${s}`));
  const { runDrill, sweepLeftovers } = await import("./drill");
  const controller = deps === realDrillDeps ? onSignals(log) : new AbortController();
  const d = await deps(settings, log, controller.signal);
  if (v.sweep) {
    try {
      const gone = await sweepLeftovers(d, settings);
      io.out(
        `dr-drill: ${gone.length} scratch instance(s) of ${settings.prefix} deleted or deleting${gone.length ? `: ${gone.join(", ")}` : ""}`,
      );
      return 0;
    } catch (e) {
      io.err(`dr-drill --sweep: ${(e as Error).message}`);
      return 3;
    }
  }
  const report = await runDrill(d, settings);
  if (v.format === "json") io.out(JSON.stringify(report, null, 2));
  else for (const line of renderDrill(report)) io.out(line);
  if (report.outcome === "passed") return 0;
  if (report.outcome === "failed") return 8;
  return report.outcome === "unavailable" ? 3 : 6;
}
