/**
 * The release store in DynamoDB: the production implementation of the contract in ./port.ts, with the
 * semantics of ./memory.ts (the reference). The contract tests run both (test/rollout/store.test.ts), this
 * one against dynalite. One table (created by `rollout init-store`, `ensureTable` below), two kinds of
 * partition, and every write is a single-item conditional write (no transactions: dynalite has none, and
 * none is needed):
 *
 * The stack record, `pk = "stack#<stack>"`, `sk = "record"`:
 *   - `lastEpoch` (N): the last epoch ever granted; survives releases.
 *   - `leaseEpoch` (N): present only while the lease is held; every lease-fenced write is conditioned on it
 *     (`attribute_not_exists(leaseEpoch)` to acquire, `leaseEpoch = :epoch` to renew, save, release, break,
 *     `attribute_exists(leaseEpoch)` to ask for preemption).
 *   - `lease` (S, JSON `{holder, acquiredAt}`), `heartbeatAt` (S) and `preempt` (S, JSON `PreemptRequest`):
 *     the lease, split so that a heartbeat and a preempt request each change one attribute in place instead
 *     of read-modify-writing one JSON document (which would lose a preempt request racing a heartbeat). The
 *     epoch of a `Lease` is `leaseEpoch`. Acquiring sets `leaseEpoch` and `lastEpoch` to
 *     `if_not_exists(lastEpoch, 0) + 1` in one UpdateItem and reads the new value back (ALL_NEW).
 *   - `status` and `release` (S, JSON): written by `save`; `status: null` REMOVEs `status`.
 *
 * The ledger, `pk = "ledger#<stack>"`:
 *   - one item per entry, `sk = "entry#<id>"`, with `id`, `endedAt`, `seq` (N) and `body` (the entry as
 *     JSON). The key is a function of the id alone, so the append is one PutItem conditioned on
 *     `attribute_not_exists(pk)`: appending an id again (a retry after a crash or a timeout) keeps the first
 *     entry, like memory.ts, and there is no marker item that a crash could leave without its entry (or the
 *     other way round), which a marker + entry design would need a transaction to avoid.
 *   - one counter item, `sk = "seq"`: `seq` is taken from it (ADD, UPDATED_NEW) before each put and gives the
 *     append order of entries that ended at the same time. A retry takes a new number, but its put fails
 *     the condition, so the entry keeps the number of its first append; gaps are harmless.
 *   `readLedger` queries `begins_with(sk, "entry#")` (all pages, following LastEvaluatedKey, consistent) and
 *   sorts by `endedAt`, then `seq`: oldest first, ties in append order. (A sort key of
 *   `<endedAt>#<counter>` would come back sorted, but could not be made idempotent by id without a marker.)
 *
 * Values are JSON round-tripped (like `structuredClone` for the plain data the driver keeps, not for Dates
 * or undefined members). AWS errors other than a failed condition become `StoreUnavailableError`, naming
 * the table and never quoting credentials.
 */
import {
  type AttributeValue,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type TableDescription,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
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

type Attrs = Record<string, AttributeValue>;

const str = (v: string): AttributeValue => ({ S: v });
const num = (v: number): AttributeValue => ({ N: String(v) });

const recordKey = (stack: string): Attrs => ({ pk: str(`stack#${stack}`), sk: str("record") });
const ledgerPk = (stack: string): string => `ledger#${stack}`;

/** ExpressionAttributeNames for every `#name` used (DynamoDB rejects unused ones; `status` is reserved). */
function namesIn(...expressions: (string | undefined)[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of expressions) for (const m of e?.matchAll(/#(\w+)/g) ?? []) out[m[0]] = m[1];
  return out;
}

function errorName(e: unknown): string {
  const name = (e as { name?: unknown } | null | undefined)?.name;
  return typeof name === "string" ? name : "Error";
}

const isConditionFailed = (e: unknown): boolean => errorName(e) === "ConditionalCheckFailedException";

const CREDENTIAL_ERRORS = new Set([
  "CredentialsProviderError",
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "IncompleteSignatureException",
  "MissingAuthenticationTokenException",
  "ExpiredTokenException",
  "ExpiredToken",
  "AccessDeniedException",
  "InvalidClientTokenId",
]);
const THROTTLING_ERRORS = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "RequestLimitExceeded",
  "LimitExceededException",
]);
const NETWORK_ERRORS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "TimeoutError",
  "RequestTimeout",
]);

/**
 * An AWS SDK error as a `StoreUnavailableError` naming the table and what was being done. Credential errors
 * are reported by name only: their text can quote signing details.
 */
export function storeError(e: unknown, table: string, op: string, stack?: string): StoreUnavailableError {
  const err = (e ?? {}) as { name?: string; message?: string; code?: string };
  const name = errorName(e);
  const where = `the release store (DynamoDB table ${table})`;
  if (name === "ResourceNotFoundException")
    return new StoreUnavailableError(
      `${where} does not exist (${op}): create it with \`npm run rollout -- init-store --stack ${stack ?? "<stack>"}\``,
    );
  if (CREDENTIAL_ERRORS.has(name) || /credential/i.test(err.message ?? ""))
    return new StoreUnavailableError(
      `${op} on ${where} failed for want of usable AWS credentials or permissions (${name}): use the OIDC role in CI or 'aws sso login' locally, with dynamodb access to ${table}. Nothing was changed.`,
    );
  if (THROTTLING_ERRORS.has(name))
    return new StoreUnavailableError(`${where} is still throttling ${op} after the SDK's retries (${name}); try again`);
  if (NETWORK_ERRORS.has(err.code ?? "") || NETWORK_ERRORS.has(name))
    return new StoreUnavailableError(
      `${where} could not be reached for ${op} (${err.code ?? name}): check the network, the region and the endpoint`,
    );
  const detail = (err.message ?? String(e)).slice(0, 300);
  return new StoreUnavailableError(`${op} on ${where} failed: ${name}: ${detail}`);
}

function parse<T>(v: AttributeValue | undefined): T | undefined {
  return v?.S === undefined ? undefined : (JSON.parse(v.S) as T);
}

/** The lease in a stack record's attributes; undefined while nobody holds it. */
function leaseOf(a: Attrs): Lease | undefined {
  const body = parse<Pick<Lease, "holder" | "acquiredAt">>(a.lease);
  if (a.leaseEpoch?.N === undefined || !body) return undefined;
  const lease: Lease = {
    epoch: Number(a.leaseEpoch.N),
    holder: body.holder,
    acquiredAt: body.acquiredAt,
    heartbeatAt: a.heartbeatAt?.S ?? body.acquiredAt,
  };
  const preempt = parse<PreemptRequest>(a.preempt);
  if (preempt) lease.preempt = preempt;
  return lease;
}

/** A lease the condition just checked for, from ALL_NEW attributes. */
function heldLease(a: Attrs): Lease {
  const lease = leaseOf(a);
  if (!lease) throw new Error("DynamoDB returned a stack record without its lease after a conditional write");
  return lease;
}

interface Update {
  update: string;
  condition: string;
  values?: Attrs;
}

/** The UpdateExpression of a save: SET what is given, REMOVE a `null` status. */
function saveExpression(epoch: number, update: { status?: unknown; release?: unknown }): Update {
  const set: string[] = [];
  const remove: string[] = [];
  const values: Attrs = { ":epoch": num(epoch) };
  if (update.status === null) remove.push("#status");
  else if (update.status !== undefined) {
    set.push("#status = :status");
    values[":status"] = str(JSON.stringify(update.status));
  }
  if (update.release !== undefined) {
    set.push("#release = :release");
    values[":release"] = str(JSON.stringify(update.release));
  }
  // Nothing to write: still check the lease, as memory.ts does, with a no-op SET.
  if (set.length === 0 && remove.length === 0) set.push("#leaseEpoch = :epoch");
  const parts = [set.length ? `SET ${set.join(", ")}` : "", remove.length ? `REMOVE ${remove.join(", ")}` : ""];
  return { update: parts.filter(Boolean).join(" "), condition: "#leaseEpoch = :epoch", values };
}

const RELEASE_LEASE: Omit<Update, "values"> = {
  update: "REMOVE #leaseEpoch, #lease, #heartbeatAt, #preempt",
  condition: "#leaseEpoch = :epoch",
};

/** How often acquireLease retries when the holder let go between its failed write and its read. */
const ACQUIRE_ATTEMPTS = 3;

export class DynamoReleaseStore<S = unknown, R = unknown> implements ReleaseStore<S, R> {
  readonly location: string;

  constructor(
    private readonly table: string,
    private readonly client = new DynamoDBClient({}),
  ) {
    this.location = `dynamodb://${table}`;
  }

  /** Runs one SDK call; every error but a failed condition becomes a StoreUnavailableError. */
  private async send<T>(stack: string, op: string, run: (client: DynamoDBClient) => Promise<T>): Promise<T> {
    try {
      return await run(this.client);
    } catch (e) {
      if (isConditionFailed(e)) throw e;
      throw storeError(e, this.table, op, stack);
    }
  }

  /** A conditional UpdateItem of the stack record: the new attributes, or undefined if the condition failed. */
  private async updateRecord(stack: string, op: string, u: Update): Promise<Attrs | undefined> {
    const command = new UpdateItemCommand({
      TableName: this.table,
      Key: recordKey(stack),
      UpdateExpression: u.update,
      ConditionExpression: u.condition,
      ExpressionAttributeNames: namesIn(u.update, u.condition),
      ExpressionAttributeValues: u.values && Object.keys(u.values).length ? u.values : undefined,
      ReturnValues: "ALL_NEW",
    });
    try {
      return (await this.send(stack, op, (c) => c.send(command))).Attributes ?? {};
    } catch (e) {
      if (isConditionFailed(e)) return undefined;
      throw e;
    }
  }

  async read(stack: string): Promise<StackRecord<S, R>> {
    const r = await this.send(stack, "GetItem", (c) =>
      c.send(new GetItemCommand({ TableName: this.table, Key: recordKey(stack), ConsistentRead: true })),
    );
    const a = r.Item ?? {};
    return {
      stack,
      lease: leaseOf(a),
      status: parse<S>(a.status),
      release: parse<R>(a.release),
      lastEpoch: Number(a.lastEpoch?.N ?? 0),
    };
  }

  async acquireLease(stack: string, holder: LeaseHolder, now: Date): Promise<AcquireResult> {
    const at = now.toISOString();
    // leaseEpoch is assigned before lastEpoch: both read the old lastEpoch (SET operands are the old item).
    const u: Update = {
      update:
        "SET #leaseEpoch = if_not_exists(#lastEpoch, :zero) + :one, #lastEpoch = if_not_exists(#lastEpoch, :zero) + :one, #lease = :lease, #heartbeatAt = :at REMOVE #preempt",
      condition: "attribute_not_exists(#leaseEpoch)",
      values: {
        ":zero": num(0),
        ":one": num(1),
        ":lease": str(JSON.stringify({ holder, acquiredAt: at })),
        ":at": str(at),
      },
    };
    for (let attempt = 0; attempt < ACQUIRE_ATTEMPTS; attempt++) {
      const a = await this.updateRecord(stack, "acquireLease", u);
      if (a) return { acquired: true, lease: heldLease(a) };
      const heldBy = (await this.read(stack)).lease;
      // An SDK retry of a write that had succeeded fails its own condition: the lease is ours already.
      if (heldBy && heldBy.holder.runId === holder.runId) return { acquired: true, lease: heldBy };
      if (heldBy) return { acquired: false, heldBy };
    }
    throw new StoreUnavailableError(
      `the lease of ${stack} in ${this.location} was taken and given back ${ACQUIRE_ATTEMPTS} times while acquiring it; try again`,
    );
  }

  async heartbeat(stack: string, epoch: number, now: Date): Promise<HeartbeatResult> {
    const a = await this.updateRecord(stack, "heartbeat", {
      update: "SET #heartbeatAt = :at",
      condition: "#leaseEpoch = :epoch",
      values: { ":at": str(now.toISOString()), ":epoch": num(epoch) },
    });
    if (a) return { held: true, lease: heldLease(a) };
    return { held: false, current: (await this.read(stack)).lease };
  }

  async requestPreempt(stack: string, request: PreemptRequest): Promise<Lease | undefined> {
    // if_not_exists: the first request is kept (memory.ts: `preempt ??= request`).
    const a = await this.updateRecord(stack, "requestPreempt", {
      update: "SET #preempt = if_not_exists(#preempt, :preempt)",
      condition: "attribute_exists(#leaseEpoch)",
      values: { ":preempt": str(JSON.stringify(request)) },
    });
    return a && heldLease(a);
  }

  async releaseLease(stack: string, epoch: number): Promise<boolean> {
    return (
      (await this.updateRecord(stack, "releaseLease", { ...RELEASE_LEASE, values: { ":epoch": num(epoch) } })) !==
      undefined
    );
  }

  async breakLease(stack: string, epoch: number): Promise<boolean> {
    return (
      (await this.updateRecord(stack, "breakLease", { ...RELEASE_LEASE, values: { ":epoch": num(epoch) } })) !==
      undefined
    );
  }

  async save(stack: string, epoch: number, update: { status?: S | null; release?: R }): Promise<void> {
    const a = await this.updateRecord(stack, "save", saveExpression(epoch, update));
    if (!a) throw new LeaseLostError(stack, (await this.read(stack)).lease);
  }

  /** The next number of the stack's ledger counter (the append order of entries). */
  private async nextSeq(stack: string): Promise<number> {
    const r = await this.send(stack, "appendLedger", (c) =>
      c.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: str(ledgerPk(stack)), sk: str("seq") },
          UpdateExpression: "ADD #seq :one",
          ExpressionAttributeNames: { "#seq": "seq" },
          ExpressionAttributeValues: { ":one": num(1) },
          ReturnValues: "UPDATED_NEW",
        }),
      ),
    );
    return Number(r.Attributes?.seq?.N ?? 0);
  }

  async appendLedger(stack: string, entry: StoredLedgerEntry): Promise<void> {
    const seq = await this.nextSeq(stack);
    const item: Attrs = {
      pk: str(ledgerPk(stack)),
      sk: str(`entry#${entry.id}`),
      id: str(entry.id),
      endedAt: str(entry.endedAt),
      seq: num(seq),
      body: str(JSON.stringify(entry)),
    };
    const put = new PutItemCommand({
      TableName: this.table,
      Item: item,
      ConditionExpression: "attribute_not_exists(pk)",
    });
    try {
      await this.send(stack, "appendLedger", (c) => c.send(put));
    } catch (e) {
      if (!isConditionFailed(e)) throw e; // failed condition: this id was appended already; keep the first
    }
  }

  async readLedger(stack: string): Promise<StoredLedgerEntry[]> {
    const rows: { endedAt: string; seq: number; body: string }[] = [];
    let start: Attrs | undefined;
    do {
      const r = await this.send(stack, "readLedger", (c) =>
        c.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: "pk = :pk AND begins_with(sk, :entry)",
            ExpressionAttributeValues: { ":pk": str(ledgerPk(stack)), ":entry": str("entry#") },
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        ),
      );
      for (const i of r.Items ?? [])
        rows.push({ endedAt: i.endedAt?.S ?? "", seq: Number(i.seq?.N ?? 0), body: i.body?.S ?? "{}" });
      start = r.LastEvaluatedKey;
    } while (start);
    rows.sort((a, b) => a.endedAt.localeCompare(b.endedAt) || a.seq - b.seq);
    return rows.map((r) => JSON.parse(r.body) as StoredLedgerEntry);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Throws when an existing table's keys are not the store's (`pk` HASH, `sk` RANGE). */
function checkKeySchema(table: string, t: TableDescription | undefined): void {
  const keys = (t?.KeySchema ?? []).map((k) => `${k.AttributeName}:${k.KeyType}`).join(",");
  if (t?.KeySchema && keys !== "pk:HASH,sk:RANGE")
    throw new StoreUnavailableError(
      `DynamoDB table ${table} exists with keys ${keys}, not the release store's pk:HASH,sk:RANGE: choose another app:rollout.stateTable`,
    );
}

/**
 * Creates the release store's table (on-demand billing, `pk` + `sk` string keys) unless it exists, then waits
 * until it is ACTIVE (polling DescribeTable for at most `timeoutMs`). `rollout init-store`.
 */
export async function ensureTable(
  client: DynamoDBClient,
  table: string,
  { pollMs = 500, timeoutMs = 120_000 }: { pollMs?: number; timeoutMs?: number } = {},
): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [
          { AttributeName: "pk", AttributeType: "S" },
          { AttributeName: "sk", AttributeType: "S" },
        ],
        KeySchema: [
          { AttributeName: "pk", KeyType: "HASH" },
          { AttributeName: "sk", KeyType: "RANGE" },
        ],
      }),
    );
  } catch (e) {
    if (errorName(e) !== "ResourceInUseException") throw storeError(e, table, "CreateTable");
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let t: TableDescription | undefined;
    try {
      t = (await client.send(new DescribeTableCommand({ TableName: table }))).Table;
    } catch (e) {
      throw storeError(e, table, "DescribeTable");
    }
    checkKeySchema(table, t);
    if (t?.TableStatus === "ACTIVE") return;
    if (Date.now() >= deadline)
      throw new StoreUnavailableError(
        `DynamoDB table ${table} is still ${t?.TableStatus ?? "unknown"} after ${Math.round(timeoutMs / 1000)} s; run init-store again later`,
      );
    await sleep(pollMs);
  }
}
