/**
 * `rollout rehearse`: runs a whole release — and whatever the scenario adds: a crash and the operator's
 * resume, a later rollback, a concurrent start — with the real driver against the twin, from the stack
 * file, on virtual time. Never touches a real stack; needs no CLI or credentials.
 */
import { type Color, otherColor } from "../../components/blue-green";
import type { ReleaseKeys } from "../../config/release-keys";
import type { Evaluator } from "../../gate/evaluator";
import { checkoutKeys } from "../compose";
import { RolloutDriver, type StartRequest } from "../driver";
import { type CommandResult, EXIT, InterruptedError, RefusedError, UnavailableError } from "../errors";
import { parseMessage } from "../model/message";
import type { RolloutStatus } from "../model/status";
import { StackError } from "../ports";
import { LeaseLostError, StoreUnavailableError } from "../store/port";
import type { TwinProcess } from "../twin/clock";
import { mergeConfig } from "../twin/stackfile";
import { TwinWorld } from "../twin/world";
import { durationMs, type Scenario } from "./scenario";

export interface RehearsalOptions {
  dir: string;
  stack: string;
  image: string;
  version?: string;
  /** Release commit (default: the image's sha-<commit>). */
  commit?: string;
  workerImage?: string;
  /** Virtual start time. @default the start of the stack's release window */
  at?: Date;
  scenario: Scenario;
  evaluator: Evaluator;
  /** Progress lines (the driver's log, prefixed by process). */
  log?: (line: string) => void;
}

export interface CommandRun {
  command: string;
  process: string;
  result: CommandResult | "killed";
  exitCode?: number;
  message?: string;
  startedAt: string;
  endedAt?: string;
}

export interface RehearsalRun {
  world: TwinWorld;
  commands: CommandRun[];
  /** Keys before the rehearsal (the stack file, deployed). */
  initial: ReleaseKeys;
  newColor: Color;
  logs: string[];
  wallMs: number;
  /** The status of the rehearsed release as it last stood (a later rollback replaces it in the store). */
  releaseStatus?: RolloutStatus;
}

/** Maps a thrown error of a driver command to its result (the CLI does the same). */
export function resultOf(e: unknown): { result: CommandResult; message: string } {
  if (e instanceof RefusedError) return { result: "refused", message: e.message };
  if (e instanceof InterruptedError) return { result: "interrupted", message: e.message };
  if (
    e instanceof StackError ||
    e instanceof LeaseLostError ||
    e instanceof StoreUnavailableError ||
    e instanceof UnavailableError
  )
    return { result: "unavailable", message: e.message };
  if (e instanceof Error && (e.name === "InvalidConfigError" || e.name === "StackFileError"))
    return { result: "refused", message: e.message };
  throw e;
}

class Resolver {
  constructor(
    private readonly world: TwinWorld,
    private readonly start: number,
  ) {}

  /** The time a reference names, or undefined while it has not happened. */
  at(ref: string): number | undefined {
    if (ref === "start") return this.start;
    if (ref === "end") return Number.POSITIVE_INFINITY;
    if (ref.startsWith("P")) return this.start + durationMs(ref);
    const m = /^([a-z][a-z0-9-]*?)(?:\+(\d+)(m|s))?$/.exec(ref);
    if (!m) return undefined;
    const offset = m[2] ? Number(m[2]) * (m[3] === "m" ? 60_000 : 1000) : 0;
    const u = this.world.updateStarts.find((x) => {
      const p = parseMessage(x.message);
      return (
        p &&
        (p.command === "release" || p.command === "rollback") &&
        (p.command === "rollback" ? `rollback-${p.step}` : p.step) === m[1]
      );
    });
    return u ? u.at + offset : undefined;
  }

  within(ms: number, from: string, until: string): boolean {
    const a = this.at(from);
    const b = this.at(until);
    return a !== undefined && ms >= a && (b === undefined || ms < b);
  }
}

function colorsOf(ref: string, newColor: Color): Color[] {
  if (ref === "all") return ["blue", "green"];
  if (ref === "new") return [newColor];
  if (ref === "old") return [otherColor(newColor)];
  return [ref as Color];
}

type Later = Scenario["later"][number];
type DriverCall = (d: RolloutDriver, proc: TwinProcess) => Promise<CommandResult>;

/** The world built for a scenario: colors' behaviour, silence, faults and failures resolved on virtual time. */
async function worldFor(o: RehearsalOptions, newColor: Color, resolve: () => Resolver | undefined): Promise<TwinWorld> {
  const sc = o.scenario;
  const picks = (ref: string, color: Color) => colorsOf(ref, newColor).includes(color);
  return TwinWorld.create({
    dir: o.dir,
    stack: o.stack,
    start: o.at,
    evaluator: o.evaluator,
    trafficPerMinute: sc.trafficPerMinute,
    behaviour: (color, ms) => {
      const out = {};
      for (const { color: c, from, until, ...b } of sc.colors)
        if (picks(c, color) && resolve()?.within(ms, from, until))
          Object.assign(out, Object.fromEntries(Object.entries(b).filter(([, v]) => v !== undefined)));
      return out;
    },
    workerValues: (ms) => {
      let out: { backlog?: number; failedJobs?: number } | null = {};
      for (const { from, until, publishes, ...v } of sc.worker) {
        // `start` here means since the world began: a worker that never published, not one that just stopped.
        const r = resolve();
        const active = from === "start" ? ms < (r?.at(until) ?? Number.POSITIVE_INFINITY) : r?.within(ms, from, until);
        if (active) out = publishes ? { ...out, ...v } : null;
      }
      return out;
    },
    opsIncrease: (ms) => {
      const out: Record<string, number> = {};
      const r = resolve();
      for (const o of sc.ops) {
        const from = r?.at(o.from);
        if (from === undefined || ms <= from) continue;
        const until = Math.min(ms, r?.at(o.until) ?? Number.POSITIVE_INFINITY);
        out[o.counter] = (out[o.counter] ?? 0) + (o.perMinute * Math.max(0, until - from)) / 60_000;
      }
      return out;
    },
    silent: (color, ms) => sc.noData.some((n) => picks(n.color, color) && resolve()?.within(ms, n.from, n.until)),
    faults: { throttle: { calls: sc.throttle?.calls ?? [], windows: [] } },
    missingAlarms: sc.missingAlarms,
    deniedApis: sc.deniedApis,
    providerError: providerErrors(sc),
    failingMigrations: (image) => (sc.migrationFails && image === o.image ? sc.migrationFails : undefined),
    migrationSql:
      sc.migrationSql === undefined ? undefined : (image) => (image === o.image ? sc.migrationSql : undefined),
    secrets: sc.secrets,
  });
}

/** One rehearsal: the world, the commands run against it (each a driver process), and what they logged. */
class Rehearsal {
  readonly commands: CommandRun[] = [];
  readonly logs: string[] = [];
  releaseStatus?: RolloutStatus;
  private lastCheckout?: string;

  constructor(
    readonly o: RehearsalOptions,
    readonly world: TwinWorld,
    readonly resolver: Resolver,
    readonly version: string,
  ) {}

  log(p: string): (line: string) => void {
    return (line) => {
      this.logs.push(`[${p}] ${line}`);
      this.o.log?.(`[${p}] ${line}`);
    };
  }

  /** Starts a driver command in a new process without driving the clock; settles with its entry. */
  launch(command: string, f: DriverCall, o: { fresh?: boolean; signal?: AbortSignal } = {}): Promise<CommandRun> {
    // Not fresh: the same machine as the previous command (an operator's terminal), its checkout reused.
    this.lastCheckout = o.fresh === false && this.lastCheckout ? this.lastCheckout : this.world.checkout();
    const proc = this.world.process(`${command}-${this.commands.length + 1}`);
    const deps = this.world.driverDeps(proc, {
      who: `rehearsal:${proc.name}`,
      log: this.log(proc.name),
      checkout: this.lastCheckout,
    });
    const entry: CommandRun = {
      command,
      process: proc.name,
      result: "killed",
      startedAt: this.world.clock.now().toISOString(),
    };
    this.commands.push(entry);
    const done = f(new RolloutDriver({ ...deps, signal: o.signal }), proc).then(
      (result) => ({ result, message: undefined as string | undefined }),
      (e) => resultOf(e),
    );
    return Promise.race([done, proc.killed.then(() => undefined)]).then(async (r) => {
      if (r) Object.assign(entry, { result: r.result, message: r.message, exitCode: EXIT[r.result] });
      if (r?.message) this.log(proc.name)(`${r.result}: ${r.message}`);
      entry.endedAt = this.world.clock.now().toISOString();
      await this.noteStatus();
      return entry;
    });
  }

  /** Runs a command to its end, driving virtual time (and whatever else runs meanwhile). */
  async run(command: string, f: DriverCall, o: { fresh?: boolean; signal?: AbortSignal } = {}): Promise<CommandRun> {
    return this.world.clock.drive(this.launch(command, f, o));
  }

  private async noteStatus(): Promise<void> {
    const s = (await this.world.store.read(this.o.stack)).status;
    if (s?.kind === "release" && s.request && (!this.releaseStatus || this.releaseStatus.runId === s.runId))
      this.releaseStatus = s;
  }

  /** Calls `fire` once the scenario time `ref` has come (checked every 5 virtual seconds) until `done()`. */
  when(ref: string, fire: () => void, done: () => boolean): void {
    const loop = async () => {
      for (;;) {
        const t = this.resolver.at(ref);
        if (t !== undefined && this.world.clock.nowMs() >= t) return fire();
        if (done()) return;
        await this.world.clock.sleep(5_000);
      }
    };
    void loop();
  }

  /** The driver call of a scenario command. */
  call(t: Pick<Later, "command" | "image" | "version" | "reason">): DriverCall {
    return (d) => {
      switch (t.command) {
        case "start":
          return d.start({ image: t.image ?? this.o.image, version: t.version ?? this.version });
        case "resume":
          return d.resume();
        case "abort":
          return d.abort(t.reason);
        case "rollback":
          return d.rollback();
        case "apply":
          return d.apply();
        case "scale-down":
          return d.apply({ scaleDownIdle: true });
        case "unlock":
          return unlockHolder(this.world, d);
        case "status":
          return d.status().then(() => "done" as const);
        case "check":
          return d.check();
      }
    };
  }
}

export async function rehearse(o: RehearsalOptions): Promise<RehearsalRun> {
  const t0 = Date.now();
  const sc = o.scenario;
  const checkout = checkoutKeys({ dir: o.dir }, o.stack);
  const initial = checkout.keys;
  // The pack is pooled per project (gate/pack-pool.ts): started now, it loads while the world is
  // built and the first program runs, instead of after them (~0.3 s of a prod rehearsal, docs/gate.md).
  // A pack that fails to start fails the first gate, which reports it.
  o.evaluator.warm(checkout.files).catch(() => undefined);
  const newColor = otherColor(initial.live);
  let resolver: Resolver | undefined;
  const world = await worldFor(o, newColor, () => resolver);
  resolver = new Resolver(world, world.clock.nowMs());
  // Config committed after the deployment the world starts from (what the driver reads from its checkout).
  if (Object.keys(sc.config).length > 0) world.commit((text) => mergeConfig(text, sc.config));
  const version = o.version ?? world.config().release.version;
  world.versions.set(o.image, version);
  for (const [image, v] of Object.entries(sc.images)) world.versions.set(image, v.version);
  if (sc.throttle?.from) world.throttleBetween(resolver, sc.throttle.from, sc.throttle.until ?? "end");
  world.listenerFailures = sc.listenerFailures;
  world.notifyFailures = sc.notifyFailures;
  world.addRetainedReleaseSnapshots(sc.retainedSnapshots);
  const r = new Rehearsal(o, world, resolver, version);
  try {
    await play(r, { image: o.image, version, commit: o.commit, workerImage: o.workerImage });
  } catch (e) {
    world.close(); // the app model's server must not outlive a rehearsal that failed unexpectedly
    throw e;
  }
  return {
    world,
    commands: r.commands,
    initial,
    newColor,
    logs: r.logs,
    wallMs: Date.now() - t0,
    releaseStatus: r.releaseStatus,
  };
}

/** The scenario's commands in order: the release, a recovery after a crash or a cancel, the later commands. */
async function play(r: Rehearsal, request: StartRequest): Promise<void> {
  const { world, o } = r;
  const sc = o.scenario;
  installCrash(world, sc, o.image);
  if (sc.foreignLock) lockBetween(r, sc.foreignLock.from, sc.foreignLock.until);
  await firstStart(r, request);
  if (r.commands.some((c) => c.result === "killed")) await operatorRecovers(r);
  else if (r.commands.some((c) => c.result === "interrupted" && c.command === "start") && sc.cancel)
    await r.run("resume", (d) => d.resume());
  if (sc.secretsProviderChange && sc.later.length > 0) world.changeSecretsProvider();
  for (const t of sc.later) {
    await world.clock.advanceTo(world.clock.nowMs() + durationMs(t.after));
    // A config change merged to git before the command (null removes a key).
    if (t.config) world.commit((text) => mergeConfig(text, t.config ?? {}));
    // CI built and published a later start's image with its version (what its /version reports).
    if (t.command === "start" && t.image && (t.version || !world.versions.has(t.image)))
      world.versions.set(t.image, t.version ?? r.version);
    await r.run(t.command, r.call(t), { fresh: t.freshCheckout });
  }
}

/**
 * The release's `start` — twice at once with `concurrentStart` — with what the scenario does meanwhile:
 * commands run `during` it from other machines (an abort, an emergency rollback) and a `cancel` of its CI job.
 */
async function firstStart(r: Rehearsal, request: StartRequest): Promise<void> {
  const sc = r.o.scenario;
  const start: DriverCall = (d) => d.start(request);
  if (sc.concurrentStart) {
    await r.world.clock.drive(Promise.all([r.launch("start", start), r.launch("start", start)]));
    return;
  }
  let ended = false;
  const also: Promise<unknown>[] = [];
  for (const x of sc.during)
    r.when(
      x.at,
      () => also.push(r.launch(x.command, r.call(x), { fresh: true })),
      () => ended,
    );
  const controller = new AbortController();
  if (sc.cancel)
    r.when(
      sc.cancel.at,
      () => controller.abort(),
      () => ended,
    );
  const entry = r.launch("start", start, { signal: controller.signal }).then((e) => {
    ended = true;
    return e;
  });
  // Commands started during the release are awaited too (they may still be rolling back when it stops).
  await r.world.clock.drive(entry.then(async () => Promise.all(also)));
}

async function unlockHolder(world: TwinWorld, d: RolloutDriver): Promise<CommandResult> {
  const rec = await world.store.read(world.o.stack);
  if (!rec.lease) throw new RefusedError("nothing to unlock");
  return d.unlock(rec.lease.holder.runId);
}

/** The scenario's provider errors: an update for the step fails at its first changing step, `times` updates in a row. */
function providerErrors(sc: Scenario): (message: string) => string | undefined {
  const used = new Map<number, number>();
  return (message) => {
    const p = parseMessage(message);
    if (!p || p.command === "apply") return undefined;
    const step = p.command === "rollback" ? `rollback-${p.step}` : p.step;
    const i = sc.providerErrors.findIndex((e) => e.step === step);
    const n = used.get(i) ?? 0;
    if (i < 0 || n >= sc.providerErrors[i].times) return undefined;
    used.set(i, n + 1);
    return sc.providerErrors[i].message;
  };
}

/** A crash of the first driver process, as the scenario asks. */
function installCrash(world: TwinWorld, sc: Scenario, _image: string): void {
  const c = sc.crash;
  if (!c) return;
  const matches = (message: string) => {
    const p = parseMessage(message);
    if (!p || p.command === "apply") return false;
    if (/^rollback-\d+$/.test(c.at) && p.command === "rollback") {
      const n = Number(c.at.slice("rollback-".length));
      return world.updateStarts.filter((u) => parseMessage(u.message)?.command === "rollback").length === n;
    }
    return (p.command === "rollback" ? `rollback-${p.step}` : p.step) === c.at;
  };
  let fired = false;
  const killFirst = () => {
    if (fired) return;
    fired = true;
    world.processes.find((p) => p.isAlive && p.name !== "seed")?.kill();
  };
  world.hooks = {
    onUpdate: (ctx) => {
      if (c.when === "before" && matches(ctx.message)) killFirst();
    },
    afterStep: (ctx) => {
      if (fired || !matches(ctx.message)) return;
      const changed =
        world.backend
          .stack(world.o.stack)
          .updates.at(-1)
          ?.steps.filter((s) => s.op !== "same").length ?? 0;
      if (c.when === "during" && changed >= Math.max(1, c.afterSteps)) killFirst();
    },
  };
  if (c.when === "after")
    world.killAfterUpdate = (message) => {
      if (!matches(message)) return false;
      killFirst();
      return true;
    };
}

/** Someone else's update holds the stack lock between two scenario times. */
function lockBetween(r: Rehearsal, from: string, until: string): void {
  const s = r.world.backend.stack(r.world.o.stack);
  let locked = false;
  let unlocked = false;
  r.when(
    from,
    () => {
      locked = true;
      s.lock = { version: 0, since: r.world.clock.nowMs() };
      r.when(
        until,
        () => {
          unlocked = true;
          s.lock = undefined;
        },
        () => unlocked,
      );
    },
    () => locked,
  );
}

/** What an operator does after a lost runner: look, break the dead run's lease (cancelling its update), resume. */
async function operatorRecovers(r: Rehearsal): Promise<void> {
  r.world.hooks = {};
  r.world.killAfterUpdate = undefined;
  await r.world.clock.advanceTo(r.world.clock.nowMs() + durationMs(r.o.scenario.crash?.noticeAfter ?? "PT10M"));
  await r.run("status", r.call({ command: "status" }));
  if ((await r.world.store.read(r.world.o.stack)).lease) await r.run("unlock", r.call({ command: "unlock" }));
  const recover = r.o.scenario.crash?.recover ?? "resume";
  await r.run(recover, r.call({ command: recover, reason: "the release runner was lost" }));
}
