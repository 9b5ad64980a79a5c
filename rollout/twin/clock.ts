/**
 * Virtual time for the twin, and the processes that live in it.
 *
 * A release with 15-minute bakes must rehearse in seconds, and several driver processes (a release and the
 * abort that interrupts it, two concurrent starts) sleep at the same time. So `sleep` registers a timer and
 * virtual time only moves when everything else is idle: `drive()` lets real work finish (captures, policy
 * pack calls, HTTP to the app model — each registered with `busy()`), then jumps to the earliest timer.
 *
 * A `TwinProcess` is one driver process. `kill()` models SIGKILL of the CI runner: from then on every call
 * the process makes through its ports, and every sleep it started, never settles — nothing it would have
 * done afterwards happens (no catch handler, no finally, no heartbeat), exactly like a dead process.
 */
import type { Clock } from "../ports";

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
}

export class TwinClock implements Clock {
  private timers: Timer[] = [];
  private seq = 0;
  private busyCount = 0;
  private readonly busyWork = new Set<Promise<unknown>>();

  constructor(private ms: number) {}

  now(): Date {
    return new Date(this.ms);
  }

  nowMs(): number {
    return this.ms;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const onAbort = () => {
        this.timers = this.timers.filter((t) => t !== timer);
        resolve();
      };
      const timer: Timer = {
        at: this.ms + Math.max(0, ms),
        seq: this.seq++,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      this.timers.push(timer);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Moves virtual time forward by `ms` inside a step (e.g. an RDS snapshot takes minutes). */
  spend(ms: number): Promise<void> {
    return this.sleep(ms);
  }

  /** Registers real (not virtual) work: virtual time does not move until it settles. */
  busy<T>(work: Promise<T>): Promise<T> {
    this.busyCount++;
    this.busyWork.add(work);
    const done = () => {
      this.busyCount--;
      this.busyWork.delete(work);
    };
    work.then(done, done);
    return work;
  }

  private async settle(): Promise<void> {
    for (let quiet = 0; quiet < 3; ) {
      if (this.busyCount > 0) {
        await Promise.allSettled([...this.busyWork]);
        quiet = 0;
        continue;
      }
      await new Promise((r) => setImmediate(r));
      quiet = this.busyCount === 0 ? quiet + 1 : 0;
    }
  }

  /**
   * Runs virtual time until `until` settles: whenever nothing but timers is pending, the clock jumps to the
   * earliest timer. Throws when `until` can never settle (no timer, nothing busy: a deadlock or a killed
   * process being awaited) — or after `maxMs` of virtual time.
   */
  async drive<T>(until: Promise<T>, maxMs = 7 * 24 * 3600_000): Promise<T> {
    let done = false;
    until.then(
      () => {
        done = true;
      },
      () => {
        done = true;
      },
    );
    const limit = this.ms + maxMs;
    for (;;) {
      await this.settle();
      if (done) return until;
      if (this.timers.length === 0)
        throw new Error("twin clock: nothing left to wait for, but the awaited operation never settles");
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift()!;
      if (next.at > limit) throw new Error(`twin clock: still running after ${maxMs / 60_000} virtual minutes`);
      this.ms = Math.max(this.ms, next.at);
      next.resolve();
    }
  }

  /** Advances virtual time to `at`, letting every timer due before it fire (a later command's start). */
  async advanceTo(at: number): Promise<void> {
    const marker = this.sleep(Math.max(0, at - this.ms));
    await this.drive(marker);
  }
}

const NEVER = new Promise<never>(() => undefined);

/** One driver process (a CI job, an operator's terminal). */
export class TwinProcess {
  private alive = true;
  readonly killedAt: { ms?: number } = {};
  private onKill!: () => void;
  /** Settles when the process is killed. */
  readonly killed = new Promise<void>((r) => {
    this.onKill = r;
  });

  constructor(
    readonly name: string,
    private readonly clock: TwinClock,
  ) {}

  get isAlive(): boolean {
    return this.alive;
  }

  /** SIGKILL: nothing this process started settles any more. */
  kill(): void {
    if (!this.alive) return;
    this.alive = false;
    this.killedAt.ms = this.clock.nowMs();
    this.onKill();
  }

  /** Runs `f` on behalf of this process: never settles if the process is (or gets) killed. */
  run<T>(f: () => Promise<T>): Promise<T> {
    if (!this.alive) return NEVER;
    return f().then(
      (v) => (this.alive ? v : NEVER),
      (e) => (this.alive ? Promise.reject(e) : NEVER),
    );
  }

  /** The process's view of the clock: its sleeps stop when it dies. */
  clockView(): Clock {
    return {
      now: () => this.clock.now(),
      sleep: (ms, signal) => this.run(() => this.clock.sleep(ms, signal)),
    };
  }

  /** Wraps every method of a port so it runs on behalf of this process. */
  bind<T extends object>(port: T): T {
    return new Proxy(port, {
      get: (target, prop, receiver) => {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== "function") return v;
        return (...args: unknown[]) => {
          if (!this.alive) return NEVER;
          const r = (v as (...a: unknown[]) => unknown).apply(target, args);
          return r instanceof Promise ? this.run(() => r) : r;
        };
      },
    });
  }
}
