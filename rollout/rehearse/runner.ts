/**
 * `rollout rehearse`: runs a whole release — and whatever the scenario adds: a crash and the operator's
 * resume, a later rollback, a concurrent start — with the real driver against the twin, from the stack
 * file, on virtual time. Never touches a real stack; needs no CLI or credentials.
 */
import { type Color, otherColor } from "../../components/blue-green";
import type { ReleaseKeys } from "../../config/release-keys";
import type { Evaluator } from "../../gate/evaluator";
import { checkoutKeys } from "../compose";
import { RolloutDriver } from "../driver";
import { type CommandResult, EXIT, InterruptedError, RefusedError, UnavailableError } from "../errors";
import { parseMessage } from "../model/message";
import type { RolloutStatus } from "../model/status";
import { StackError } from "../ports";
import { LeaseLostError, StoreUnavailableError } from "../store/port";
import type { TwinProcess } from "../twin/clock";
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

export async function rehearse(o: RehearsalOptions): Promise<RehearsalRun> {
  const t0 = Date.now();
  const sc = o.scenario;
  const logs: string[] = [];
  const log = (p: string) => (line: string) => {
    logs.push(`[${p}] ${line}`);
    o.log?.(`[${p}] ${line}`);
  };
  const initial = checkoutKeys({ dir: o.dir }, o.stack).keys;
  const newColor = otherColor(initial.live);
  let resolver: Resolver | undefined;
  const world = await TwinWorld.create({
    dir: o.dir,
    stack: o.stack,
    start: o.at,
    evaluator: o.evaluator,
    trafficPerMinute: sc.trafficPerMinute,
    behaviour: (color, ms) => {
      const out = {};
      for (const b of sc.colors)
        if (colorsOf(b.color, newColor).includes(color) && resolver?.within(ms, b.from, b.until))
          Object.assign(
            out,
            Object.fromEntries(
              Object.entries(b).filter(([k, v]) => !["color", "from", "until"].includes(k) && v !== undefined),
            ),
          );
      return out;
    },
    silent: (color, ms) =>
      sc.noData.some((n) => colorsOf(n.color, newColor).includes(color) && resolver?.within(ms, n.from, n.until)),
    faults: {
      throttle: {
        calls: sc.throttle?.calls ?? [],
        windows: [],
      },
    },
    missingAlarms: sc.missingAlarms,
    providerError: providerErrors(sc),
    failingMigrations: (image) => (sc.migrationFails && image === o.image ? sc.migrationFails : undefined),
    secrets: sc.secrets,
  });
  resolver = new Resolver(world, world.clock.nowMs());
  const version = o.version ?? world.config().release.version;
  world.versions.set(o.image, version);
  for (const [image, v] of Object.entries(sc.images)) world.versions.set(image, v.version);
  if (sc.throttle?.from) world.throttleBetween(resolver, sc.throttle.from, sc.throttle.until ?? "end");

  const commands: CommandRun[] = [];
  let lastCheckout: string | undefined;
  let releaseStatus: RolloutStatus | undefined;
  const noteStatus = async () => {
    const s = (await world.store.read(o.stack)).status;
    if (s?.kind === "release" && s.request && (!releaseStatus || releaseStatus.runId === s.runId)) releaseStatus = s;
  };
  const run = async (
    command: string,
    f: (d: RolloutDriver, proc: TwinProcess) => Promise<CommandResult>,
    freshCheckout = true,
  ): Promise<CommandRun> => {
    // Not fresh: the same machine as the previous command (an operator's terminal), its checkout reused.
    lastCheckout = freshCheckout || !lastCheckout ? world.checkout() : lastCheckout;
    const proc = world.process(`${command}-${commands.length + 1}`);
    const driver = new RolloutDriver(
      world.driverDeps(proc, {
        who: `rehearsal:${proc.name}`,
        log: log(proc.name),
        checkout: lastCheckout,
      }),
    );
    const entry: CommandRun = {
      command,
      process: proc.name,
      result: "killed",
      startedAt: world.clock.now().toISOString(),
    };
    commands.push(entry);
    const done = f(driver, proc).then(
      (result) => ({ result, message: undefined as string | undefined }),
      (e) => resultOf(e),
    );
    const r = await world.clock.drive(Promise.race([done, proc.killed.then(() => undefined)]));
    if (r) {
      entry.result = r.result;
      entry.message = r.message;
      entry.exitCode = EXIT[r.result];
      if (r.message) log(proc.name)(`${r.result}: ${r.message}`);
    }
    entry.endedAt = world.clock.now().toISOString();
    await noteStatus();
    return entry;
  };

  installCrash(world, sc, o.image);
  const startRequest = { image: o.image, version, commit: o.commit, workerImage: o.workerImage };
  if (sc.concurrentStart) {
    const procs = ["start-1", "start-2"].map((n) => world.process(n));
    const entries = procs.map((proc) => {
      const e: CommandRun = {
        command: "start",
        process: proc.name,
        result: "killed",
        startedAt: world.clock.now().toISOString(),
      };
      commands.push(e);
      const d = new RolloutDriver(world.driverDeps(proc, { who: `rehearsal:${proc.name}`, log: log(proc.name) }));
      return d.start(startRequest).then(
        (result) => Object.assign(e, { result, exitCode: EXIT[result], endedAt: world.clock.now().toISOString() }),
        (err) => {
          const r = resultOf(err);
          return Object.assign(e, { ...r, exitCode: EXIT[r.result], endedAt: world.clock.now().toISOString() });
        },
      );
    });
    await world.clock.drive(Promise.all(entries));
  } else {
    await run("start", (d) => d.start(startRequest));
  }
  if (commands.some((c) => c.result === "killed")) await operatorRecovers(world, sc, run);
  if (sc.secretsProviderChange && sc.later.length > 0) world.changeSecretsProvider();
  for (const t of sc.later) {
    await world.clock.advanceTo(world.clock.nowMs() + durationMs(t.after));
    const image = t.image ?? o.image;
    // CI built and published a later start's image with its version (what its /version reports).
    if (t.command === "start" && t.image && !world.versions.has(t.image))
      world.versions.set(t.image, t.version ?? version);
    await run(
      t.command,
      (d) => {
        switch (t.command) {
          case "start":
            return d.start({ image, version: t.version ?? version });
          case "resume":
            return d.resume();
          case "abort":
            return d.abort(t.reason);
          case "rollback":
            return d.rollback();
          case "apply":
            return d.apply();
          case "unlock":
            return unlockHolder(world, d);
          case "status":
            return d.status().then(() => "done" as const);
        }
      },
      t.freshCheckout,
    );
  }
  await noteStatus();
  return { world, commands, initial, newColor, logs, wallMs: Date.now() - t0, releaseStatus };
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

/** What an operator does after a lost runner: look, break the dead run's lease (cancelling its update), resume. */
async function operatorRecovers(
  world: TwinWorld,
  sc: Scenario,
  run: (command: string, f: (d: RolloutDriver, p: TwinProcess) => Promise<CommandResult>) => Promise<CommandRun>,
): Promise<void> {
  world.hooks = {};
  world.killAfterUpdate = undefined;
  await world.clock.advanceTo(world.clock.nowMs() + durationMs(sc.crash?.noticeAfter ?? "PT10M"));
  await run("status", (d) => d.status().then(() => "done" as const));
  if ((await world.store.read(world.o.stack)).lease) await run("unlock", (d) => unlockHolder(world, d));
  await run("resume", (d) => d.resume());
}
