/**
 * The release store in memory: the twin's and the tests' implementation of the contract in ./port.ts.
 * It behaves like the DynamoDB one (./dynamodb.ts): every read returns a copy (nothing the caller mutates
 * reaches the store without a `save`), every write is conditional on the lease epoch, the ledger is
 * append-only with idempotent ids. The contract tests run both (test/rollout/store.test.ts).
 */
import {
  type AcquireResult,
  type HeartbeatResult,
  type Lease,
  type LeaseHolder,
  LeaseLostError,
  type PreemptRequest,
  type ReleaseStore,
  type StackRecord,
  type StoredLedgerEntry,
  StoreUnavailableError,
} from "./port";

interface Item<S, R> {
  lease?: Lease;
  status?: S;
  release?: R;
  lastEpoch: number;
}

export class MemoryReleaseStore<S = unknown, R = unknown> implements ReleaseStore<S, R> {
  readonly location = "memory";
  private readonly items = new Map<string, Item<S, R>>();
  private readonly ledgers = new Map<string, StoredLedgerEntry[]>();
  /** While set, every call fails as an unreachable store would (fault injection). */
  unavailable?: string;
  /** Every write, in order (tests check what was persisted, e.g. that no secret was). */
  readonly writes: { stack: string; what: string; body: string }[] = [];

  private check(): void {
    if (this.unavailable) throw new StoreUnavailableError(this.unavailable);
  }

  private item(stack: string): Item<S, R> {
    let i = this.items.get(stack);
    if (!i) {
      i = { lastEpoch: 0 };
      this.items.set(stack, i);
    }
    return i;
  }

  async read(stack: string): Promise<StackRecord<S, R>> {
    this.check();
    const i = this.item(stack);
    return structuredClone({ stack, lease: i.lease, status: i.status, release: i.release, lastEpoch: i.lastEpoch });
  }

  async acquireLease(stack: string, holder: LeaseHolder, now: Date): Promise<AcquireResult> {
    this.check();
    const i = this.item(stack);
    if (i.lease) return { acquired: false, heldBy: structuredClone(i.lease) };
    i.lastEpoch++;
    i.lease = {
      epoch: i.lastEpoch,
      holder: structuredClone(holder),
      acquiredAt: now.toISOString(),
      heartbeatAt: now.toISOString(),
    };
    this.writes.push({ stack, what: "lease", body: JSON.stringify(i.lease) });
    return { acquired: true, lease: structuredClone(i.lease) };
  }

  async heartbeat(stack: string, epoch: number, now: Date): Promise<HeartbeatResult> {
    this.check();
    const i = this.item(stack);
    if (i.lease?.epoch !== epoch) return { held: false, current: i.lease && structuredClone(i.lease) };
    i.lease.heartbeatAt = now.toISOString();
    return { held: true, lease: structuredClone(i.lease) };
  }

  async requestPreempt(stack: string, request: PreemptRequest): Promise<Lease | undefined> {
    this.check();
    const i = this.item(stack);
    if (!i.lease) return undefined;
    i.lease.preempt ??= structuredClone(request);
    return structuredClone(i.lease);
  }

  async releaseLease(stack: string, epoch: number): Promise<boolean> {
    this.check();
    const i = this.item(stack);
    if (i.lease?.epoch !== epoch) return false;
    i.lease = undefined;
    return true;
  }

  async breakLease(stack: string, epoch: number): Promise<boolean> {
    return this.releaseLease(stack, epoch);
  }

  async save(stack: string, epoch: number, update: { status?: S | null; release?: R }): Promise<void> {
    this.check();
    const i = this.item(stack);
    if (i.lease?.epoch !== epoch) throw new LeaseLostError(stack, i.lease && structuredClone(i.lease));
    if (update.status === null) i.status = undefined;
    else if (update.status !== undefined) i.status = structuredClone(update.status);
    if (update.release !== undefined) i.release = structuredClone(update.release);
    this.writes.push({ stack, what: "record", body: JSON.stringify(update) });
  }

  async appendLedger(stack: string, entry: StoredLedgerEntry): Promise<void> {
    this.check();
    const l = this.ledgers.get(stack) ?? [];
    if (!l.some((e) => e.id === entry.id)) l.push(structuredClone(entry));
    this.ledgers.set(stack, l);
    this.writes.push({ stack, what: "ledger", body: JSON.stringify(entry) });
  }

  async readLedger(stack: string): Promise<StoredLedgerEntry[]> {
    this.check();
    // Stable: entries that ended at the same time keep the order they were appended in.
    return structuredClone(this.ledgers.get(stack) ?? []).sort((a, b) => a.endedAt.localeCompare(b.endedAt));
  }
}
