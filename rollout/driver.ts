/**
 * The progressive rollout driver (runbooks 001 §4–§7, 002 §3–§7, 004 deployment and rollback triggers).
 * A release is a sequence of stack-config edits, each applied with `pulumi up` (policy pack included):
 *
 *   pause worker → deploy the idle color at weight 0 (snapshot, migration, smoke test inside that up)
 *   → each traffic step (10, 50, 100 %): set weight, up, bake while polling the color's rollback alarm
 *   → flip live → resume/update the worker → post-deploy watch on the new live color.
 *
 * An alarm in ALARM, a failed up or a failed smoke test restores the config from before the release and
 * runs up: traffic returns to the previous color, which is still running. Progress is persisted after
 * every stage, so a killed driver resumes at the next stage; every outcome is written to the ledger.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { type Color, otherColor, trafficWeights } from "../components/blue-green";
import { namePrefix, rollbackAlarmName } from "../components/names";
import { parseImmutableImage } from "../config/image";
import { formatProblems } from "../config/load";
import type { AppConfig } from "../config/schema";
import { appConfig, configChanges, type StructuredConfig, setPath } from "./config-state";
import type { Ledger } from "./ledger";
import {
  type AlarmSource,
  type CertificateSource,
  type Clock,
  type LedgerEntry,
  StackError,
  type StackOps,
} from "./ports";

export type StageKind = "pause-worker" | "deploy" | "traffic" | "flip" | "resume-worker" | "watch";

export interface Stage {
  id: string;
  kind: StageKind;
  /** Traffic stages: percent on the new color. */
  weight?: number;
  /** Minutes of alarm watching after the stage's up (bake or post-deploy watch). */
  watchMinutes: number;
  describe: string;
}

export interface Progress {
  stack: string;
  status: "in-progress" | "released" | "rolled-back" | "aborted" | "failed";
  who: string;
  startedAt: string;
  release: string;
  image: string;
  workerImage?: string;
  /** Color serving traffic before the release, and the color receiving the new image. */
  previousColor: Color;
  newColor: Color;
  previousImage: string;
  stages: Stage[];
  completed: string[];
  /** The stack config before the release: what a rollback restores. */
  previousConfig: StructuredConfig;
  reason?: string;
}

export type GateCheck = (
  config: StructuredConfig,
  at: Date,
) => Promise<{ decision: string; violations: { policy: string; enforcement: string; message: string }[] }>;

export interface DriverDeps {
  stack: StackOps;
  alarms: AlarmSource;
  certificates: CertificateSource;
  clock: Clock;
  ledger: Ledger;
  /** Runs the readiness gate on a config (preflight). */
  gate: GateCheck;
  /** Progress file of this stack. */
  progressFile: string;
  who: string;
  log: (line: string) => void;
}

/** Why the driver refused to act; nothing was changed. Exit code 2 in the CLI. */
export class RefusedError extends Error {
  override name = "RefusedError";
}

/** A rollback trigger observed during a stage. */
class RollbackTrigger extends Error {}

export type Outcome =
  | { result: "released" | "rolled-back" | "aborted"; progress: Progress }
  | { result: "failed"; progress: Progress; error: string };

export function stagesFor(config: AppConfig, opts: { workerImage?: string }): Stage[] {
  const r = config.rollout;
  const stages: Stage[] = [];
  const pause = r.pauseWorkerDuringMigration && !config.worker.paused;
  if (pause)
    stages.push({
      id: "pause-worker",
      kind: "pause-worker",
      watchMinutes: 0,
      describe: "pause the worker (0 replicas) for the migration",
    });
  stages.push({
    id: "deploy",
    kind: "deploy",
    watchMinutes: 0,
    describe: "deploy the new image to the idle color at weight 0: pre-release snapshot, migration Job, smoke test",
  });
  for (const w of r.steps)
    stages.push({
      id: `traffic-${w}`,
      kind: "traffic",
      weight: w,
      watchMinutes: r.bakeMinutes,
      describe: `send ${w}% to the new color, bake ${r.bakeMinutes} min`,
    });
  stages.push({
    id: "flip",
    kind: "flip",
    watchMinutes: 0,
    describe: "flip live to the new color (weight 0 on the old one)",
  });
  if (pause || opts.workerImage)
    stages.push({
      id: "resume-worker",
      kind: "resume-worker",
      watchMinutes: 0,
      describe: `${opts.workerImage ? `update the worker to ${opts.workerImage} and ` : ""}resume it`,
    });
  stages.push({
    id: "watch",
    kind: "watch",
    watchMinutes: r.watchMinutes,
    describe: `post-deploy watch of ${r.watchMinutes} min on the new live color`,
  });
  return stages;
}

export class RolloutDriver {
  constructor(private readonly d: DriverDeps) {}

  private get stackName(): string {
    return this.d.stack.stack;
  }

  // ---- persistence -------------------------------------------------------------------------------

  readProgress(): Progress | undefined {
    if (!existsSync(this.d.progressFile)) return undefined;
    return JSON.parse(readFileSync(this.d.progressFile, "utf8")) as Progress;
  }

  private save(p: Progress): void {
    mkdirSync(path.dirname(this.d.progressFile), { recursive: true });
    const tmp = `${this.d.progressFile}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(p, null, 2)}\n`);
    renameSync(tmp, this.d.progressFile);
  }

  private async current(): Promise<{ structured: StructuredConfig; config: AppConfig }> {
    const structured = await this.d.stack.getConfig();
    const parsed = appConfig(structured, this.stackName);
    if (!parsed.ok) throw new RefusedError(formatProblems(parsed.problems, this.stackName));
    return { structured, config: parsed.config };
  }

  // ---- the config each stage writes --------------------------------------------------------------

  /** The release config before traffic: new image on the idle color, release version and commit, weight 0. */
  releaseConfig(
    base: StructuredConfig,
    config: AppConfig,
    image: string,
    version: string | undefined,
  ): StructuredConfig {
    const idle = otherColor(config.blueGreen.live);
    const commit = parseImmutableImage(image)?.commit;
    let s = setPath(base, "blueGreen", [idle, "image"], image);
    s = setPath(s, "blueGreen", ["canaryWeight"], 0);
    s = setPath(s, "blueGreen", ["scaleDownIdle"], false);
    if (version) s = setPath(s, "release", ["version"], version);
    if (commit) s = setPath(s, "release", ["commit"], commit);
    return s;
  }

  stageConfig(p: Progress, stage: Stage, current: StructuredConfig): StructuredConfig {
    switch (stage.kind) {
      case "pause-worker":
        return setPath(current, "worker", ["paused"], true);
      case "deploy": {
        const parsed = appConfig(current, this.stackName);
        if (!parsed.ok) throw new RefusedError(formatProblems(parsed.problems, this.stackName));
        return this.releaseConfig(current, parsed.config, p.image, p.release);
      }
      case "traffic":
        return setPath(current, "blueGreen", ["canaryWeight"], stage.weight ?? 0);
      case "flip":
        return setPath(setPath(current, "blueGreen", ["live"], p.newColor), "blueGreen", ["canaryWeight"], 0);
      case "resume-worker": {
        const s = setPath(current, "worker", ["paused"], false);
        return p.workerImage ? setPath(s, "worker", ["image"], p.workerImage) : s;
      }
      case "watch":
        return current;
    }
  }

  private async apply(from: StructuredConfig, to: StructuredConfig, message: string): Promise<void> {
    const { set, remove } = configChanges(from, to);
    if (Object.keys(set).length) await this.d.stack.setConfig(set);
    if (remove.length) await this.d.stack.removeConfig(remove);
    this.d.log(`  pulumi up: ${message}`);
    try {
      await this.d.stack.up(message, (line) => this.d.log(`    | ${line.trimEnd()}`));
    } catch (e) {
      // The stack could not run at all (locked, credentials, ...): put the config back so nothing changed.
      if (e instanceof StackError && e.kind !== "update-failed") {
        const back = configChanges(to, from);
        if (Object.keys(back.set).length) await this.d.stack.setConfig(back.set);
        if (back.remove.length) await this.d.stack.removeConfig(back.remove);
      }
      throw e;
    }
  }

  // ---- alarms --------------------------------------------------------------------------------------

  private alarmName(config: AppConfig, color: Color): string {
    return rollbackAlarmName(namePrefix(config.cluster.namespace, this.stackName), color);
  }

  /** Watches a color's rollback alarm for `minutes`, polling every `pollSeconds`; throws on ALARM. */
  private async watch(config: AppConfig, color: Color, minutes: number, label: string): Promise<void> {
    const alarm = this.alarmName(config, color);
    const pollMs = config.rollout.pollSeconds * 1000;
    const end = this.d.clock.now().getTime() + minutes * 60_000;
    for (;;) {
      const state = (await this.d.alarms.states([alarm]))[alarm] ?? "INSUFFICIENT_DATA";
      const left = Math.max(0, end - this.d.clock.now().getTime());
      if (state === "ALARM") throw new RollbackTrigger(`alarm ${alarm} is in ALARM during ${label}`);
      this.d.log(
        `  ${label}: ${Math.floor(left / 60_000)}m${String(Math.floor((left % 60_000) / 1000)).padStart(2, "0")}s left, ${alarm} ${state}`,
      );
      if (left <= 0) return;
      await this.d.clock.sleep(Math.min(pollMs, left));
    }
  }

  // ---- commands ------------------------------------------------------------------------------------

  /** The stages `start` would run, without changing anything. */
  async plan(
    image: string,
    opts: { version?: string; workerImage?: string } = {},
  ): Promise<{ stages: Stage[]; from: Color; to: Color }> {
    const { config } = await this.current();
    const to = otherColor(config.blueGreen.live);
    this.d.log(
      `Release ${opts.version ?? config.release.version} of ${image} on stack ${this.stackName}: ${config.blueGreen.live} → ${to}`,
    );
    const stages = stagesFor(config, opts);
    stages.forEach((s, i) => {
      this.d.log(`  ${i + 1}. ${s.id}: ${s.describe}`);
    });
    return { stages, from: config.blueGreen.live, to };
  }

  async start(image: string, opts: { version?: string; workerImage?: string } = {}): Promise<Outcome> {
    const existing = this.readProgress();
    if (existing?.status === "in-progress")
      throw new RefusedError(
        `a rollout of ${existing.image} is in progress on ${this.stackName} (completed: ${existing.completed.join(", ") || "none"}): run 'rollout resume' or 'rollout abort'`,
      );
    const { structured, config } = await this.current();
    const now = this.d.clock.now();
    const live = config.blueGreen.live;
    const idle = otherColor(live);
    if (!parseImmutableImage(image))
      throw new RefusedError(
        `--image ${image} is not an immutable reference (<repository>:sha-<commit> or @sha256:<digest>)`,
      );
    if (config.blueGreen[live].image === image)
      throw new RefusedError(`${image} is already live on ${live}: nothing to release`);

    const target = this.releaseConfig(structured, config, image, opts.version);
    const parsed = appConfig(target, this.stackName);
    if (!parsed.ok)
      throw new RefusedError(`the release config is invalid:\n${formatProblems(parsed.problems, this.stackName)}`);
    const w = parsed.config.release.window;
    if (now < new Date(w.start) || now > new Date(w.end))
      throw new RefusedError(
        `${now.toISOString()} is outside the approved release window ${w.start} – ${w.end} (app:release.window)`,
      );
    const notAfter = await this.d.certificates.notAfter(config.tls.certificateArn);
    const days = (notAfter.getTime() - now.getTime()) / 86_400_000;
    if (days < config.rollout.certificateMinDays)
      throw new RefusedError(
        `certificate ${config.tls.certificateArn} expires ${notAfter.toISOString()} (${Math.max(0, Math.floor(days))} days): at least ${config.rollout.certificateMinDays} needed`,
      );
    const gate = await this.d.gate(target, now);
    const blocking = gate.violations.filter((v) => v.enforcement === "mandatory");
    if (gate.decision !== "go")
      throw new RefusedError(
        `the readiness gate says ${gate.decision}:\n${blocking.map((v) => `  ✗ ${v.policy}: ${v.message}`).join("\n")}`,
      );

    const progress: Progress = {
      stack: this.stackName,
      status: "in-progress",
      who: this.d.who,
      startedAt: now.toISOString(),
      release: parsed.config.release.version,
      image,
      workerImage: opts.workerImage,
      previousColor: live,
      newColor: idle,
      previousImage: config.blueGreen[live].image,
      stages: stagesFor(config, opts),
      completed: [],
      previousConfig: structured,
    };
    this.save(progress);
    this.d.log(
      `Preflight passed (window, certificate ${Math.floor(days)} days, gate go). Releasing ${progress.release}: ${live} → ${idle}`,
    );
    return this.run(progress);
  }

  async resume(): Promise<Outcome> {
    const p = this.readProgress();
    if (p?.status !== "in-progress") throw new RefusedError(`no rollout in progress on ${this.stackName}`);
    this.d.log(`Resuming the release ${p.release} after ${p.completed.at(-1) ?? "the start"}`);
    return this.run(p);
  }

  private async run(p: Progress): Promise<Outcome> {
    for (const stage of p.stages) {
      if (p.completed.includes(stage.id)) continue;
      this.d.log(`▶ ${stage.id}: ${stage.describe}`);
      try {
        const { structured, config } = await this.current();
        const next = this.stageConfig(p, stage, structured);
        if (stage.kind !== "watch") await this.apply(structured, next, `rollout ${p.release}: ${stage.id}`);
        if (stage.watchMinutes > 0) {
          const weights = stage.kind === "traffic" ? trafficWeights(p.previousColor, stage.weight ?? 0) : undefined;
          await this.watch(
            config,
            p.newColor,
            stage.watchMinutes,
            weights ? `bake at ${weights[p.newColor]}%` : "post-deploy watch",
          );
        }
      } catch (e) {
        if (e instanceof StackError && e.kind !== "update-failed") {
          // Locked, credentials, ...: the stage was reverted (apply); nothing to roll back. Before the first
          // stage completes the release has not begun: forget it, so a later start is not refused.
          if (p.completed.length === 0) rmSync(this.d.progressFile, { force: true });
          throw e;
        }
        const reason = e instanceof RollbackTrigger ? e.message : `${stage.id} failed: ${(e as Error).message}`;
        return this.rollbackRelease(p, reason);
      }
      p.completed.push(stage.id);
      this.save(p);
    }
    p.status = "released";
    this.save(p);
    await this.record(p, "release", "released");
    this.d.log(`✓ released ${p.release}: ${p.image} is live on ${p.newColor}`);
    return { result: "released", progress: p };
  }

  /**
   * Automatic rollback in two ups: first traffic only (live back to the previous color, weight 0 — the
   * production listener is the only resource that changes, so it takes seconds), then the rest of the
   * config from before the release (worker resumed, idle color back to its previous image and release).
   */
  private async rollbackRelease(p: Progress, reason: string, kind: "release" | "abort" = "release"): Promise<Outcome> {
    this.d.log(`✗ ${reason}`);
    this.d.log(`↩ rolling back: traffic to ${p.previousColor} first, then the config from before the release`);
    p.reason = reason;
    let phase = "traffic";
    try {
      const { structured } = await this.current();
      const traffic = setPath(
        setPath(structured, "blueGreen", ["live"], p.previousColor),
        "blueGreen",
        ["canaryWeight"],
        0,
      );
      await this.apply(structured, traffic, `rollback of ${p.release}: traffic to ${p.previousColor} (${reason})`);
      this.d.log(`  traffic is 100% on ${p.previousColor}`);
      phase = "config";
      await this.apply(
        traffic,
        p.previousConfig,
        `rollback of ${p.release}: restore the config from before the release`,
      );
    } catch (e) {
      p.status = "failed";
      this.save(p);
      const error =
        phase === "traffic"
          ? `the rollback itself failed: ${(e as Error).message}. Traffic may not be on ${p.previousColor}: run 'rollout rollback' or restore the config by hand, and page the rollback owner.`
          : `traffic is back on ${p.previousColor}, but restoring the rest of the config failed: ${(e as Error).message}. Run 'rollout abort' again or restore the config by hand.`;
      p.reason = `${reason}; ${error}`;
      await this.record(p, kind, "failed");
      this.d.log(`✗✗ ${error}`);
      return { result: "failed", progress: p, error };
    }
    p.status = kind === "abort" ? "aborted" : "rolled-back";
    this.save(p);
    await this.record(p, kind, kind === "abort" ? "aborted" : "rolled-back");
    this.d.log(`✓ rolled back: traffic is on ${p.previousColor} (${p.previousImage})`);
    return { result: kind === "abort" ? "aborted" : "rolled-back", progress: p };
  }

  async abort(reason = "aborted by operator"): Promise<Outcome> {
    const p = this.readProgress();
    if (p?.status !== "in-progress") throw new RefusedError(`no rollout in progress on ${this.stackName} to abort`);
    return this.rollbackRelease(p, reason, "abort");
  }

  /**
   * Stack rollback (Pulumi has no `pulumi rollback`, pulumi/pulumi#96): restores the config of the last
   * successful update of another release than the current one — skipping the driver's mid-release updates
   * — or of update `to`, and runs up.
   */
  async rollback(to?: number): Promise<Outcome> {
    const { structured, config } = await this.current();
    const history = (await this.d.stack.history()).filter((u) => u.kind === "update");
    let target = to === undefined ? undefined : history.find((u) => u.version === to);
    if (to !== undefined && !target) throw new RefusedError(`no update ${to} in the history of ${this.stackName}`);
    if (to !== undefined && target?.result !== "succeeded")
      throw new RefusedError(
        `update ${to} of ${this.stackName} did not succeed (${target?.result}); pick a successful one`,
      );
    if (!target) {
      const release = config.release.version;
      // Mid-release states (worker paused, new color at weight 0, canary steps) are not rollback targets.
      const midRelease = /^rollout [^:]+: (pause-worker|deploy|traffic-\d+)$/;
      target = history
        .filter((u) => u.result === "succeeded" && !midRelease.test(u.message))
        .sort((a, b) => b.version - a.version)
        .find((u) => {
          const c = appConfig(u.config, this.stackName);
          return c.ok && c.config.release.version !== release;
        });
    }
    if (!target)
      throw new RefusedError(
        `no previous successful update of ${this.stackName} with another release than ${config.release.version}: nothing to roll back to`,
      );
    const restored = appConfig(target.config, this.stackName);
    const toColor = restored.ok ? restored.config.blueGreen.live : config.blueGreen.live;
    const p: Progress = {
      stack: this.stackName,
      status: "in-progress",
      who: this.d.who,
      startedAt: this.d.clock.now().toISOString(),
      release: config.release.version,
      image: config.blueGreen[config.blueGreen.live].image,
      previousColor: toColor,
      newColor: config.blueGreen.live,
      previousImage: restored.ok ? restored.config.blueGreen[toColor].image : "",
      stages: [],
      completed: [],
      previousConfig: target.config,
    };
    this.d.log(
      `Rolling ${this.stackName} back to the config of update ${target.version} (release ${restored.ok ? restored.config.release.version : "?"}, live ${toColor})`,
    );
    try {
      await this.apply(structured, target.config, `rollback to update ${target.version}`);
    } catch (e) {
      if (e instanceof StackError && e.kind !== "update-failed") throw e;
      const error = (e as Error).message;
      await this.record({ ...p, reason: error }, "rollback", "failed");
      return { result: "failed", progress: p, error };
    }
    p.status = "rolled-back";
    p.reason = `rollback to update ${target.version}`;
    await this.record(p, "rollback", "rolled-back");
    rmSync(this.d.progressFile, { force: true });
    return { result: "rolled-back", progress: p };
  }

  async status(): Promise<{
    config: AppConfig;
    weights: Record<Color, number>;
    alarms: Record<string, string>;
    progress?: Progress;
  }> {
    const { config } = await this.current();
    const names = (["blue", "green"] as const).map((c) => this.alarmName(config, c));
    const alarms = await this.d.alarms.states(names);
    const weights = trafficWeights(config.blueGreen.live, config.blueGreen.canaryWeight);
    const progress = this.readProgress();
    this.d.log(`stack ${this.stackName}: release ${config.release.version}, live ${config.blueGreen.live}`);
    for (const c of ["blue", "green"] as const)
      this.d.log(
        `  ${c.padEnd(5)} ${String(weights[c]).padStart(3)}%  ${config.blueGreen[c].image}  ${this.alarmName(config, c)}: ${alarms[this.alarmName(config, c)] ?? "unknown"}`,
      );
    if (progress)
      this.d.log(
        `  rollout ${progress.release}: ${progress.status}; completed ${progress.completed.join(", ") || "none"}${progress.reason ? `; ${progress.reason}` : ""}`,
      );
    return { config, weights, alarms, progress };
  }

  private async record(p: Progress, kind: LedgerEntry["kind"], outcome: LedgerEntry["outcome"]): Promise<void> {
    await this.d.ledger.append({
      kind,
      outcome,
      stack: this.stackName,
      who: p.who,
      startedAt: p.startedAt,
      endedAt: this.d.clock.now().toISOString(),
      release: p.release,
      from: { color: p.previousColor, image: p.previousImage },
      to: { color: p.newColor, image: p.image },
      stagesReached: [...p.completed],
      reason: p.reason,
    });
  }
}
