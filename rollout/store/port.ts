/**
 * The durable release store: where a rollout's lease, status, deployed release keys and ledger live, outside
 * the CI runner that runs the driver (runners are thrown away after each job). One record per stack holds
 * the lease, the rollout status and the deployed release keys, so every write can be conditional on the
 * writer still holding the lease (a single-item conditional write: DynamoDB has no cross-item conditions
 * without transactions). Ledger entries are separate, append-only items with idempotent ids.
 *
 * Implementations: `MemoryReleaseStore` (the twin, tests) and `DynamoReleaseStore` (production), which
 * pass the same contract tests (test/rollout/store.test.ts), the DynamoDB one against dynalite.
 */

/** Who holds (or asks for) the lease: one driver process. */
export interface LeaseHolder {
  /** Unique id of the driver run (also in update messages and ledger entries). */
  runId: string;
  /** The driver command: start, resume, abort, rollback, apply, unlock. */
  command: string;
  who: string;
  host: string;
  pid: number;
}

/** A request from another command (abort, rollback) that the holder stop at its next heartbeat. */
export interface PreemptRequest {
  runId: string;
  command: string;
  who: string;
  reason: string;
  at: string;
}

export interface Lease {
  /** Increases by one every time the lease is granted; writes are fenced by it. */
  epoch: number;
  holder: LeaseHolder;
  acquiredAt: string;
  heartbeatAt: string;
  preempt?: PreemptRequest;
}

/** Everything the store keeps about one stack, read consistently. S = rollout status, R = release state. */
export interface StackRecord<S, R> {
  stack: string;
  lease?: Lease;
  status?: S;
  release?: R;
  /** The last epoch ever granted (0 when never). */
  lastEpoch: number;
}

export type AcquireResult = { acquired: true; lease: Lease } | { acquired: false; heldBy: Lease };
export type HeartbeatResult = { held: true; lease: Lease } | { held: false; current?: Lease };

/** A ledger entry as stored: an opaque JSON document with an id (idempotent append) and a time (order). */
export interface StoredLedgerEntry {
  id: string;
  endedAt: string;
  [k: string]: unknown;
}

/** The writer no longer holds the lease (it was broken with `rollout unlock`, or taken over). */
export class LeaseLostError extends Error {
  override name = "LeaseLostError";
  constructor(
    readonly stackName: string,
    readonly current?: Lease,
  ) {
    super(
      current
        ? `the lease of ${stackName} is now held by ${current.holder.command} ${current.holder.runId} (${current.holder.who}); this run stops without changing anything else`
        : `the lease of ${stackName} was broken (rollout unlock); this run stops without changing anything else`,
    );
  }
}

/** The store could not be reached or refused the call (credentials, missing table, throttling after retries). */
export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";
}

export interface ReleaseStore<S = unknown, R = unknown> {
  /** Where the store lives, for messages (`dynamodb://app-rollout` or `memory`). */
  readonly location: string;
  /** Consistent read of the stack's record (lease, status, release); an empty record when there is none. */
  read(stack: string): Promise<StackRecord<S, R>>;
  /** Grants the lease when nobody holds it; otherwise says who does. Never waits, never breaks a lease. */
  acquireLease(stack: string, holder: LeaseHolder, now: Date): Promise<AcquireResult>;
  /** Renews the lease of `epoch`; `held: false` when it was broken or granted to someone else. */
  heartbeat(stack: string, epoch: number, now: Date): Promise<HeartbeatResult>;
  /** Records a preempt request on the current lease; undefined when nobody holds the lease. */
  requestPreempt(stack: string, request: PreemptRequest): Promise<Lease | undefined>;
  /** Gives the lease of `epoch` back; false when it was not held with that epoch any more. */
  releaseLease(stack: string, epoch: number): Promise<boolean>;
  /** Deletes the lease if it still has `epoch` (the one the operator saw): `rollout unlock`. */
  breakLease(stack: string, epoch: number): Promise<boolean>;
  /**
   * Writes the status and/or the release state as the holder of `epoch`, atomically with the check that the
   * lease is still held with that epoch. `status: null` removes it. Throws `LeaseLostError` otherwise.
   */
  save(stack: string, epoch: number, update: { status?: S | null; release?: R }): Promise<void>;
  /** Appends an entry; appending the same id twice keeps one. */
  appendLedger(stack: string, entry: StoredLedgerEntry): Promise<void>;
  /** Every entry of the stack, oldest first (all pages). */
  readLedger(stack: string): Promise<StoredLedgerEntry[]>;
}
