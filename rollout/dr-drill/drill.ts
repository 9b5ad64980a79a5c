/**
 * The DR drill (runbook 003 "exercise failover quarterly"; docs/data-protection.md "DR drill"): restore the
 * latest recovery point of the replicated automated backups into a scratch instance in the DR region, run
 * the stack's integrity checks against it as the read-only user, report the data age (RPO achieved) and
 * the time to a usable instance (RTO of the restore), then delete the scratch instance.
 *
 * Hostile reality it assumes: a drill killed mid-way leaves its instance (the next drill deletes every
 * instance tagged as this stack's drill first); replication may have stopped (`retained`) or never started;
 * the restore can fail or take longer than allowed; the read-only password comes from Secrets Manager at run
 * time and is never written, logged or passed on a command line.
 */
// @readiness dr-exercise dr-replication: `rollout dr-drill`: restore the replicated backups in the DR region, integrity checks, RPO achieved
import { TAG, thresholdNumber } from "@app-rollout/shared";
import type { CheckResult, IntegrityCheck } from "../../dbchecks/checks";
import { UnavailableError } from "../errors";
import type { Clock } from "../ports";
import type { CheckRunner, DrDatabases, DrInstance, ReplicatedBackup, SecretJson } from "./ports";

/**
 * Runbook 003: "replicate Postgres every 5 minutes". RDS uploads transaction logs about every 5 minutes and
 * the cross-Region copy adds a lag it does not bound (RDS User Guide, USER_ReplicateBackups): older data
 * than this is a warning; the failure threshold is app:backups.crossRegionCopy.rpoTargetMinutes.
 */
export const DR_REPLICATION_CADENCE_SECONDS = 60 * thresholdNumber("dr-replication", "rpoMinutes", "prod");
/** Tag naming the stack a scratch instance belongs to (its value: the name prefix, e.g. artifortress-prod). */
export const DRILL_TAG = TAG.drDrill;
/** DBInstanceStatus values after which a restore will not become available (RDS User Guide, "DB instance status"). */
const FAILED_STATES = new Set([
  "failed",
  "incompatible-restore",
  "incompatible-network",
  "incompatible-parameters",
  "inaccessible-encryption-credentials",
  "storage-full",
]);
const POLL_MS = 30_000;

export interface DrillSettings {
  stack: string;
  /** Name prefix of the stack (`<namespace>-<stack>`): the drill tag's value. */
  prefix: string;
  /** The primary instance whose backups are replicated. */
  source: string;
  homeRegion: string;
  drRegion: string;
  instanceClass: string;
  dbSubnetGroupName: string;
  vpcSecurityGroupIds: string[];
  dbName: string;
  /** Secrets Manager id of the database users secret (home region): APP_RO_USER / APP_RO_PASSWORD. */
  usersSecretId: string;
  checks: IntegrityCheck[];
  /** Give up waiting for the restored instance after this long. */
  timeoutMinutes: number;
  /** Keep the scratch instance (for a manual look); the next drill deletes it. */
  keep: boolean;
  /** Fail when the restored data is older than this (app:backups.crossRegionCopy.rpoTargetMinutes). */
  rpoTargetSeconds: number;
}

/** passed; failed (the DR copy is not usable as required); unavailable (AWS could not be used); error (unexpected). */
export type DrillOutcome = "passed" | "failed" | "unavailable" | "error";

export interface DrillReport {
  stack: string;
  source: string;
  drRegion: string;
  outcome: DrillOutcome;
  /** Why it did not pass, in words (each names what to do). */
  problems: string[];
  /** What passed but deserves a look (data older than the runbook's 5-minute cadence). */
  warnings: string[];
  instance?: string;
  recoveryPoint?: string;
  requestedAt?: string;
  availableAt?: string;
  /** requestedAt − the latest restorable time: the data a region loss at that moment would have lost. */
  dataAgeSeconds?: number;
  rpoTargetSeconds: number;
  /** requestedAt → available: the restore part of the RTO. */
  restoreSeconds?: number;
  checks: CheckResult[];
  /** Scratch instances of earlier drills deleted (or found still deleting) first. */
  leftovers: string[];
  deleted: boolean;
}

export interface DrillDeps {
  rds: DrDatabases;
  secrets: SecretJson;
  runChecks: CheckRunner;
  clock: Clock;
  log: (s: string) => void;
  signal?: AbortSignal;
}

/** `<prefix>-drill-<yyyymmddhhmmss>`: unique per second, ≤ 63 characters (RDS identifier limit). */
export function drillIdentifier(prefix: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return `${prefix.slice(0, 63 - 21)}-drill-${stamp}`;
}

/** The newest usable replicated backup of the source instance, or why there is none. */
export function pickBackup(all: ReplicatedBackup[], s: DrillSettings): ReplicatedBackup | string {
  const mine = all.filter((b) => b.sourceIdentifier === s.source && b.sourceRegion === s.homeRegion);
  if (mine.length === 0)
    return `no automated backups of ${s.source} (${s.homeRegion}) are replicated to ${s.drRegion}: apply app:database.crossRegionPitr (components/database.ts InstanceAutomatedBackupsReplication)`;
  // Statuses compared case-insensitively: AWS flip-flops on their capitalization (terraform-provider-aws
  // instance_automated_backups_replication.go compares them so too).
  const status = (b: ReplicatedBackup) => b.status.toLowerCase();
  const live = mine.filter((b) => ["replicating", "active", "pending", "creating"].includes(status(b)));
  const usable = live.filter((b) => b.latest && status(b) !== "pending");
  if (usable.length === 0)
    return live.length
      ? `the replicated backups of ${s.source} in ${s.drRegion} have no restorable time yet (status ${live[0].status}): replication is starting, the first replicated snapshot is not ready`
      : `replication of ${s.source} to ${s.drRegion} has stopped (status ${mine.map((b) => b.status).join(", ")}): its backups age from the moment it stopped; re-apply app:database.crossRegionPitr`;
  return usable.sort((a, b) => b.latest!.getTime() - a.latest!.getTime())[0];
}

/** Deletes every scratch instance an earlier drill of this stack left (killed, or --keep). */
export async function sweepLeftovers(d: DrillDeps, s: DrillSettings): Promise<string[]> {
  const old = (await d.rds.list()).filter((i) => i.tags[DRILL_TAG] === s.prefix);
  for (const i of old) {
    if (i.status === "deleting") continue;
    try {
      await d.rds.delete(i.identifier);
      d.log(`  deleted the scratch instance ${i.identifier} of an earlier drill (${i.status})`);
    } catch (e) {
      d.log(`  warning: ${i.identifier} of an earlier drill not deleted yet: ${(e as Error).message}`);
    }
  }
  return old.map((i) => i.identifier);
}

/** Polls until the instance is available; throws with the state it ended in. */
async function waitAvailable(d: DrillDeps, id: string, deadline: number): Promise<DrInstance> {
  for (;;) {
    const i = await d.rds.describe(id);
    if (i?.status === "available" && i.address) return i;
    if (i && FAILED_STATES.has(i.status)) throw new DrillFailure(`the restore of ${id} ended ${i.status}`);
    if (d.signal?.aborted) throw new DrillFailure(`interrupted while ${id} was ${i?.status ?? "absent"}`);
    if (d.clock.now().getTime() + POLL_MS > deadline)
      throw new DrillFailure(`${id} was still ${i?.status ?? "absent"} when the drill's time ran out`);
    await d.clock.sleep(POLL_MS, d.signal);
  }
}

export class DrillFailure extends Error {
  override name = "DrillFailure";
}

const seconds = (from: Date, to: Date) => Math.round((to.getTime() - from.getTime()) / 1000);

/** Restores the newest recovery point; fills what the report knows so far. */
async function restore(d: DrillDeps, s: DrillSettings, r: DrillReport): Promise<string | undefined> {
  r.leftovers = await sweepLeftovers(d, s);
  const backup = pickBackup(await d.rds.replicatedBackups(), s);
  if (typeof backup === "string") {
    r.problems.push(backup);
    return undefined;
  }
  if (d.signal?.aborted) throw new DrillFailure("interrupted before the restore was requested");
  const requestedAt = d.clock.now();
  const id = drillIdentifier(s.prefix, requestedAt);
  await d.rds.restoreLatest({
    backupArn: backup.arn,
    identifier: id,
    instanceClass: s.instanceClass,
    dbSubnetGroupName: s.dbSubnetGroupName,
    vpcSecurityGroupIds: s.vpcSecurityGroupIds,
    tags: { [DRILL_TAG]: s.prefix, purpose: "dr-drill" },
  });
  r.instance = id;
  r.requestedAt = requestedAt.toISOString();
  r.recoveryPoint = backup.latest!.toISOString();
  r.dataAgeSeconds = seconds(backup.latest!, requestedAt);
  d.log(`  restoring ${backup.latest!.toISOString()} (data age ${r.dataAgeSeconds} s) into ${id} in ${s.drRegion}`);
  if (r.dataAgeSeconds > r.rpoTargetSeconds)
    r.problems.push(
      `data age ${r.dataAgeSeconds} s exceeds the RPO target of ${r.rpoTargetSeconds} s (app:backups.crossRegionCopy.rpoTargetMinutes): check the replication's lag in ${s.drRegion}`,
    );
  else if (r.dataAgeSeconds > DR_REPLICATION_CADENCE_SECONDS)
    r.warnings.push(
      `data age ${r.dataAgeSeconds} s is above the runbook's 5-minute replication cadence (within the ${r.rpoTargetSeconds} s target)`,
    );
  return id;
}

/** Waits for the scratch instance and runs the checks as the read-only user (password in memory only). */
async function verify(d: DrillDeps, s: DrillSettings, r: DrillReport, id: string): Promise<void> {
  const deadline = new Date(r.requestedAt!).getTime() + s.timeoutMinutes * 60_000;
  const instance = await waitAvailable(d, id, deadline);
  const availableAt = d.clock.now();
  r.availableAt = availableAt.toISOString();
  r.restoreSeconds = seconds(new Date(r.requestedAt!), availableAt);
  d.log(`  ${id} available after ${r.restoreSeconds} s`);
  const users = await d.secrets.read(s.usersSecretId);
  if (!users.APP_RO_USER || !users.APP_RO_PASSWORD)
    throw new DrillFailure(`${s.usersSecretId} has no APP_RO_USER / APP_RO_PASSWORD (components/app-secrets.ts)`);
  r.checks = await d.runChecks(
    {
      host: instance.address!,
      port: instance.port ?? 5432,
      database: s.dbName,
      user: users.APP_RO_USER,
      password: users.APP_RO_PASSWORD,
    },
    s.checks,
  );
  for (const c of r.checks.filter((x) => !x.ok))
    r.problems.push(`integrity check ${c.name} FAILED on the DR copy: expected ${c.expected}, found ${c.found}`);
}

/** Deletes the scratch instance (unless kept); a failure is reported, the next drill deletes it. */
async function cleanUp(d: DrillDeps, s: DrillSettings, r: DrillReport): Promise<void> {
  if (!r.instance || s.keep) return;
  try {
    await d.rds.delete(r.instance);
    r.deleted = true;
  } catch (e) {
    d.log(`  warning: ${r.instance} not deleted (${(e as Error).message}); the next drill deletes it`);
  }
}

export async function runDrill(d: DrillDeps, s: DrillSettings): Promise<DrillReport> {
  const r: DrillReport = {
    stack: s.stack,
    source: s.source,
    drRegion: s.drRegion,
    outcome: "passed",
    problems: [],
    warnings: [],
    rpoTargetSeconds: s.rpoTargetSeconds,
    checks: [],
    leftovers: [],
    deleted: false,
  };
  try {
    const id = await restore(d, s, r);
    if (id) await verify(d, s, r, id);
    r.outcome = r.problems.length ? "failed" : "passed";
  } catch (e) {
    r.problems.push((e as Error).message);
    r.outcome = e instanceof DrillFailure ? "failed" : e instanceof UnavailableError ? "unavailable" : "error";
  } finally {
    await cleanUp(d, s, r);
  }
  return r;
}
