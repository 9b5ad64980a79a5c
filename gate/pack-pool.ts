/**
 * Policy pack processes shared by every evaluator of a process (issue #18). A pack start costs ~0.45 s of
 * CPU plus a cold first analysis, and the pack's decode memos (tools/pack-requests.js, pack-memo.js) warm
 * up per process; a test run, or a driver that builds several evaluators, would otherwise start one pack
 * per evaluator for the same project (this project's pack switches stacks, gate/evaluator.ts).
 *
 * An entry lives while someone holds a lease on it: the last `release` closes the process (the gate and
 * the driver exit then), unless `keepIdlePacks(true)` keeps it for the next lease — what a long-lived
 * host such as the test run wants; `closeIdlePacks` ends those.
 *
 * A pooled process still running when this process exits normally (its end, process.exit: a test worker's
 * end) is killed then. However this process ends — killed by a signal too — this project's pack exits by
 * itself when its stdin pipe from here closes (tools/exit-with-parent.js).
 *
 * `configure` is global state in a pack process, so whoever uses an entry queues on it (`exclusive`) and
 * configures before its calls; `configuredBy` names the last configurer, so a holder that configured once
 * (a test's shared pack) knows whether another holder reconfigured the process in between.
 */
import type { PackInfo, PolicyPackProcess } from "./analyzer";

export interface PooledPack {
  process: PolicyPackProcess;
  info: PackInfo;
  /** The holder whose configuration the process has now (`configure` is global to the process). */
  configuredBy?: object;
  /** A hash of the config `configuredBy` sent, once the pack accepted it. */
  configuredWith?: string;
}

interface Entry {
  pack: Promise<PooledPack>;
  /** Tail of the chain of exclusive uses of the process. */
  queue: Promise<unknown>;
  leases: number;
}

export interface PackLease {
  readonly pack: Promise<PooledPack>;
  /** Runs `f` with exclusive use of the process (queued after every earlier use). */
  exclusive<T>(f: (pack: PooledPack) => Promise<T>): Promise<T>;
  /** Gives the lease back (idempotent); the last one closes the process unless idle packs are kept. */
  release(): void;
}

const entries = new Map<string, Entry>();
let keepIdle = false;
/** Every started process not yet ended: killed when this process exits normally. */
const live = new Set<PolicyPackProcess>();
let exitHookInstalled = false;

function track(process: PolicyPackProcess): void {
  live.add(process);
  process.onExit(() => live.delete(process));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers run synchronously: close() sends the kill signal at once (child_process kill).
  globalThis.process.on("exit", () => {
    for (const p of live) p.close();
  });
}

/** A lease on the pack process for `key`, started with `start` when there is none. */
export function leasePack(key: string, start: () => Promise<PolicyPackProcess>): PackLease {
  let entry = entries.get(key);
  if (!entry) {
    const pack = start().then(async (process) => {
      track(process);
      return { process, info: await process.info() };
    });
    const created: Entry = { pack, queue: Promise.resolve(), leases: 0 };
    entry = created;
    entries.set(key, created);
    const forget = () => {
      if (entries.get(key) === created) entries.delete(key);
    };
    // A process that failed to start, or ended (killed, crashed), is not handed to the next lease.
    pack.then((p) => p.process.onExit(forget), forget);
  }
  const e = entry;
  e.leases++;
  let released = false;
  return {
    pack: e.pack,
    exclusive<T>(f: (pack: PooledPack) => Promise<T>): Promise<T> {
      const run = e.queue.then(() => e.pack).then(f);
      e.queue = run.catch(() => undefined);
      return run;
    },
    release() {
      if (released) return;
      released = true;
      e.leases--;
      if (e.leases === 0 && !keepIdle) closeEntry(key, e);
    },
  };
}

function closeEntry(key: string, e: Entry): void {
  if (entries.get(key) === e) entries.delete(key);
  e.pack.then((p) => p.process.close()).catch(() => undefined);
}

/** Keep processes nobody leases for the next lease (a test run); `false` closes the idle ones now. */
export function keepIdlePacks(keep: boolean): void {
  keepIdle = keep;
  if (!keep) closeIdlePacks();
}

/** Closes every pooled process nobody holds a lease on. */
export function closeIdlePacks(): void {
  for (const [key, e] of [...entries]) if (e.leases === 0) closeEntry(key, e);
}
