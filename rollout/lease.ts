/**
 * Mutual exclusion per stack: exactly one release, rollback, abort or apply holds the stack's lease in the
 * durable store at a time. A holder renews it at every poll (heartbeat) and stops as soon as it lost it or
 * another command asked it to stop (an abort or rollback preempts a release, which notices at its next
 * poll). A lease whose holder died is broken only deliberately, with `rollout unlock`.
 */
import { hostname } from "node:os";
import { InterruptedError, RefusedError } from "./errors";
import type { Clock, RolloutStore } from "./ports";
import { type Lease, type LeaseHolder, LeaseLostError, type PreemptRequest } from "./store/port";

/** A lease whose heartbeat is older than this is presumed dead (only `rollout unlock` breaks it). */
export const STALE_AFTER_MS = 3 * 60_000;

export function newHolder(command: string, who: string, runId?: string): LeaseHolder {
  return {
    runId: runId ?? `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`,
    command,
    who,
    host: hostname(),
    pid: process.pid,
  };
}

export function describeLease(l: Lease, now: Date): string {
  const age = Math.round((now.getTime() - Date.parse(l.heartbeatAt)) / 1000);
  return `${l.holder.command} run ${l.holder.runId} by ${l.holder.who} on ${l.holder.host} (pid ${l.holder.pid}), since ${l.acquiredAt}, last heartbeat ${age}s ago`;
}

export class LeaseKeeper {
  constructor(
    private readonly store: RolloutStore,
    private readonly stack: string,
    private lease: Lease,
    private readonly clock: Clock,
  ) {}

  get epoch(): number {
    return this.lease.epoch;
  }

  get holder(): LeaseHolder {
    return this.lease.holder;
  }

  /** Renews the lease; throws `LeaseLostError` or, when another command asked this run to stop, `Preempted`. */
  async heartbeat(): Promise<void> {
    const r = await this.store.heartbeat(this.stack, this.lease.epoch, this.clock.now());
    if (!r.held) throw new LeaseLostError(this.stack, r.current);
    this.lease = r.lease;
    if (r.lease.preempt) throw new Preempted(r.lease.preempt);
  }

  async release(): Promise<void> {
    await this.store.releaseLease(this.stack, this.lease.epoch);
  }
}

export class Preempted extends InterruptedError {
  constructor(readonly request: PreemptRequest) {
    super(
      `${request.command} run ${request.runId} by ${request.who} asked this run to stop (${request.reason}); it stops here and hands the stack over`,
    );
  }
}

/** Takes the lease, or refuses saying who holds it. */
export async function acquire(
  store: RolloutStore,
  stack: string,
  holder: LeaseHolder,
  clock: Clock,
): Promise<LeaseKeeper> {
  const r = await store.acquireLease(stack, holder, clock.now());
  if (r.acquired) return new LeaseKeeper(store, stack, r.lease, clock);
  throw new RefusedError(
    `stack ${stack} is held by ${describeLease(r.heldBy, clock.now())}. Wait for it, 'rollout abort' it, or — if that process is gone — 'rollout unlock --stack ${stack} --run ${r.heldBy.holder.runId}'.`,
  );
}

/**
 * Takes the lease for an abort or rollback: when a live run holds it, asks it to stop and waits until it
 * has handed over (it notices at its next poll, or when its current `up` returns). A holder whose heartbeat
 * is stale is not waited for: breaking its lease is a human decision (`rollout unlock`).
 */
export async function acquireOrPreempt(
  store: RolloutStore,
  stack: string,
  holder: LeaseHolder,
  clock: Clock,
  o: { reason: string; waitMs: number; pollMs: number; log: (s: string) => void },
): Promise<LeaseKeeper> {
  const deadline = clock.now().getTime() + o.waitMs;
  let asked = false;
  for (;;) {
    const r = await store.acquireLease(stack, holder, clock.now());
    if (r.acquired) return new LeaseKeeper(store, stack, r.lease, clock);
    const now = clock.now();
    if (now.getTime() - Date.parse(r.heldBy.heartbeatAt) > STALE_AFTER_MS)
      throw new RefusedError(
        `stack ${stack} is held by ${describeLease(r.heldBy, now)}: its heartbeat is stale, so that process is probably gone. If it is, run 'rollout unlock --stack ${stack} --run ${r.heldBy.holder.runId}', then this command again.`,
      );
    if (!asked) {
      await store.requestPreempt(stack, {
        runId: holder.runId,
        command: holder.command,
        who: holder.who,
        reason: o.reason,
        at: now.toISOString(),
      });
      o.log(`asked ${describeLease(r.heldBy, now)} to stop; waiting for it to hand over`);
      asked = true;
    }
    if (now.getTime() >= deadline)
      throw new RefusedError(
        `stack ${stack} is still held by ${describeLease(r.heldBy, now)} after waiting ${Math.round(o.waitMs / 60_000)} min; nothing was changed. Retry, or 'rollout unlock' if that process is gone.`,
      );
    await clock.sleep(o.pollMs);
  }
}
