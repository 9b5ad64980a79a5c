/**
 * Contract tests of the release store (rollout/store/port.ts): the same cases against the in-memory twin and
 * the DynamoDB implementation, the latter against dynalite (a DynamoDB API server in this process, on
 * loopback, in memory).
 */
import * as assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoReleaseStore, ensureTable } from "../../rollout/store/dynamodb";
import { MemoryReleaseStore } from "../../rollout/store/memory";
import {
  type LeaseHolder,
  LeaseLostError,
  type PreemptRequest,
  type ReleaseStore,
  type StoredLedgerEntry,
  StoreUnavailableError,
} from "../../rollout/store/port";

interface Status {
  phase: string;
  step?: number;
}
interface Release {
  keys: Record<string, string>;
}
type Store = ReleaseStore<Status, Release>;

interface DynaliteServer {
  listen(port: number, host: string, cb: () => void): void;
  address(): AddressInfo | string | null;
  close(cb: (err?: Error) => void): void;
}
// dynalite ships no type declarations.
const dynalite = require("dynalite") as (options: Record<string, number>) => DynaliteServer;

const holder = (runId: string, command = "start"): LeaseHolder => ({
  runId,
  command,
  who: "ci",
  host: "runner",
  pid: 42,
});
const preempt = (runId: string, command: string): PreemptRequest => ({
  runId,
  command,
  who: "oncall",
  reason: `${command} requested`,
  at: "2030-01-01T00:05:00.000Z",
});
const T0 = new Date("2030-01-01T00:00:00.000Z");
const T1 = new Date("2030-01-01T00:01:00.000Z");

let stackCounter = 0;
/** A stack nobody used yet, so every case starts from an empty record and ledger in a shared table. */
const freshStack = (): string => `prod-${process.pid}-${++stackCounter}`;

async function holding(store: Store, stack: string, runId = "run-1"): Promise<number> {
  const r = await store.acquireLease(stack, holder(runId), T0);
  assert.equal(r.acquired, true);
  return r.acquired ? r.lease.epoch : -1;
}

/** The cases every implementation must pass. `queries` counts ledger Query pages where that means something. */
function contract(store: () => Store, queries?: () => number): void {
  it("reads an empty record for a stack never used", async () => {
    const stack = freshStack();
    assert.deepEqual(await store().read(stack), {
      stack,
      lease: undefined,
      status: undefined,
      release: undefined,
      lastEpoch: 0,
    });
    assert.deepEqual(await store().readLedger(stack), []);
  });

  it("grants a free lease and refuses a held one, naming the holder", async () => {
    const stack = freshStack();
    const a = await store().acquireLease(stack, holder("run-1"), T0);
    assert.ok(a.acquired);
    assert.deepEqual(a.lease, {
      epoch: 1,
      holder: holder("run-1"),
      acquiredAt: T0.toISOString(),
      heartbeatAt: T0.toISOString(),
    });
    const b = await store().acquireLease(stack, holder("run-2", "abort"), T1);
    assert.deepEqual(b, { acquired: false, heldBy: a.lease });
    const rec = await store().read(stack);
    assert.deepEqual(rec.lease, a.lease);
    assert.equal(rec.lastEpoch, 1);
  });

  it("increases the epoch across acquire-release cycles, and fences the old epoch", async () => {
    const stack = freshStack();
    const epochs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const epoch = await holding(store(), stack, `run-${i}`);
      epochs.push(epoch);
      assert.equal(await store().releaseLease(stack, epoch), true);
      assert.equal(await store().releaseLease(stack, epoch), false);
    }
    assert.deepEqual(epochs, [1, 2, 3]);
    const rec = await store().read(stack);
    assert.equal(rec.lease, undefined);
    assert.equal(rec.lastEpoch, 3);
  });

  it("renews with heartbeat; a stale epoch gets held:false and the current lease", async () => {
    const stack = freshStack();
    const old = await holding(store(), stack, "run-1");
    assert.equal(await store().breakLease(stack, old), true);
    assert.deepEqual(await store().heartbeat(stack, old, T1), { held: false, current: undefined });
    const epoch = await holding(store(), stack, "run-2");
    const hb = await store().heartbeat(stack, epoch, T1);
    assert.ok(hb.held);
    assert.equal(hb.lease.heartbeatAt, T1.toISOString());
    assert.equal(hb.lease.acquiredAt, T0.toISOString());
    const stale = await store().heartbeat(stack, old, T1);
    assert.deepEqual(stale, { held: false, current: hb.lease });
  });

  it("save by a non-holder throws LeaseLostError with the current lease and changes nothing", async () => {
    const stack = freshStack();
    const old = await holding(store(), stack, "run-1");
    await store().save(stack, old, { status: { phase: "canary" }, release: { keys: { api: "v1" } } });
    await store().releaseLease(stack, old);
    await assert.rejects(store().save(stack, old, { status: { phase: "x" } }), (e: unknown) => {
      assert.ok(e instanceof LeaseLostError);
      assert.equal(e.current, undefined);
      assert.match(e.message, /was broken/);
      return true;
    });
    const epoch = await holding(store(), stack, "run-2");
    await assert.rejects(store().save(stack, old, { release: { keys: { api: "v2" } } }), (e: unknown) => {
      assert.ok(e instanceof LeaseLostError);
      assert.equal(e.current?.epoch, epoch);
      assert.equal(e.current?.holder.runId, "run-2");
      return true;
    });
    await assert.rejects(store().save(stack, old, {}), LeaseLostError);
    const rec = await store().read(stack);
    assert.deepEqual(rec.status, { phase: "canary" });
    assert.deepEqual(rec.release, { keys: { api: "v1" } });
  });

  it("save writes status and release separately, and status:null removes the status", async () => {
    const stack = freshStack();
    const epoch = await holding(store(), stack);
    await store().save(stack, epoch, { status: { phase: "canary", step: 1 } });
    await store().save(stack, epoch, { release: { keys: { api: "v2" } } });
    assert.deepEqual((await store().read(stack)).status, { phase: "canary", step: 1 });
    await store().save(stack, epoch, { status: null });
    await store().save(stack, epoch, {});
    const rec = await store().read(stack);
    assert.equal(rec.status, undefined);
    assert.deepEqual(rec.release, { keys: { api: "v2" } });
  });

  it("returns copies: mutating what was read or written does not change the store", async () => {
    const stack = freshStack();
    const epoch = await holding(store(), stack);
    const status: Status = { phase: "canary" };
    await store().save(stack, epoch, { status, release: { keys: { api: "v1" } } });
    status.phase = "mutated";
    const rec = await store().read(stack);
    assert.ok(rec.status && rec.release && rec.lease);
    rec.status.phase = "changed";
    rec.release.keys.api = "changed";
    rec.lease.holder.runId = "changed";
    const again = await store().read(stack);
    assert.deepEqual(again.status, { phase: "canary" });
    assert.deepEqual(again.release, { keys: { api: "v1" } });
    assert.equal(again.lease?.holder.runId, "run-1");
  });

  it("requestPreempt keeps the first request, shows it on heartbeat, and needs a holder", async () => {
    const stack = freshStack();
    assert.equal(await store().requestPreempt(stack, preempt("abort-1", "abort")), undefined);
    const epoch = await holding(store(), stack);
    const first = await store().requestPreempt(stack, preempt("abort-1", "abort"));
    assert.deepEqual(first?.preempt, preempt("abort-1", "abort"));
    assert.equal(first?.epoch, epoch);
    const second = await store().requestPreempt(stack, preempt("rollback-1", "rollback"));
    assert.deepEqual(second?.preempt, preempt("abort-1", "abort"));
    const hb = await store().heartbeat(stack, epoch, T1);
    assert.ok(hb.held);
    assert.deepEqual(hb.lease.preempt, preempt("abort-1", "abort"));
    await store().releaseLease(stack, epoch);
    const next = await store().acquireLease(stack, holder("run-2"), T1);
    assert.ok(next.acquired);
    assert.equal(next.lease.preempt, undefined, "a new lease starts without the old preempt request");
  });

  it("breakLease deletes the lease only with the matching epoch", async () => {
    const stack = freshStack();
    const epoch = await holding(store(), stack);
    assert.equal(await store().breakLease(stack, epoch + 1), false);
    assert.equal(await store().breakLease(stack, epoch - 1), false);
    assert.equal((await store().read(stack)).lease?.epoch, epoch);
    assert.equal(await store().breakLease(stack, epoch), true);
    assert.equal((await store().read(stack)).lease, undefined);
    assert.equal(await store().breakLease(stack, epoch), false);
    assert.equal(await store().breakLease(freshStack(), 1), false);
  });

  it("appends the ledger idempotently by id and reads it oldest first, ties in append order, all pages", async () => {
    const stack = freshStack();
    const pad = "x".repeat(20_000); // 60 × ~20 KB: more than DynamoDB's 1 MB page
    const entry = (id: string, endedAt: string): StoredLedgerEntry => ({ id, endedAt, command: "start", pad });
    const times = ["2030-01-01T00:03:00.000Z", "2030-01-01T00:01:00.000Z", "2030-01-01T00:02:00.000Z"];
    const appended: StoredLedgerEntry[] = [];
    for (let i = 0; i < 60; i++) {
      // ids out of lexical order within a time, so that an order by id would show
      const e = entry(`id-${(997 * i) % 1000}`, times[i % 3]);
      appended.push(e);
      await store().appendLedger(stack, e);
    }
    await store().appendLedger(stack, { ...entry("id-0", times[2]), command: "retry" });
    await store().appendLedger(stack, appended[5]);
    const before = queries?.() ?? 0;
    const read = await store().readLedger(stack);
    if (queries) assert.ok(queries() - before >= 2, `the ledger was read in ${queries() - before} page(s)`);
    const expected = [1, 2, 0].flatMap((t) => appended.filter((e) => e.endedAt === times[t]));
    assert.equal(read.length, 60);
    assert.deepEqual(
      read.map((e) => e.id),
      expected.map((e) => e.id),
    );
    assert.deepEqual(read[0], expected[0]);
    assert.equal(read.find((e) => e.id === "id-0")?.command, "start", "the first append of an id is kept");
    assert.deepEqual(await store().readLedger(freshStack()), []);
  });

  it("grants the lease to exactly one of two concurrent acquireLease calls", async () => {
    for (let round = 0; round < 3; round++) {
      const stack = freshStack();
      const results = await Promise.all([
        store().acquireLease(stack, holder("run-a"), T0),
        store().acquireLease(stack, holder("run-b"), T0),
      ]);
      const winners = results.filter((r) => r.acquired);
      assert.equal(winners.length, 1);
      const winner = winners[0];
      const loser = results.find((r) => !r.acquired);
      assert.ok(winner?.acquired && loser && !loser.acquired);
      assert.deepEqual(loser.heldBy, winner.lease);
      assert.equal(winner.lease.epoch, 1);
    }
  });
}

describe("release store contract: MemoryReleaseStore", () => {
  let store = new MemoryReleaseStore<Status, Release>();
  beforeEach(() => {
    store = new MemoryReleaseStore<Status, Release>();
  });
  contract(() => store);
});

describe("release store contract: DynamoReleaseStore (dynalite)", () => {
  const table = "app-rollout-test";
  let server: DynaliteServer;
  let endpoint = "";
  let client: DynamoDBClient;
  let store: DynamoReleaseStore<Status, Release>;
  let queryPages = 0;
  const newClient = (options: { maxAttempts?: number; credentialsFail?: boolean } = {}) =>
    new DynamoDBClient({
      endpoint,
      region: "us-east-1",
      maxAttempts: options.maxAttempts,
      credentials: options.credentialsFail
        ? async () => {
            throw Object.assign(new Error("Could not load credentials from any providers"), {
              name: "CredentialsProviderError",
            });
          }
        : { accessKeyId: "AKIDTEST", secretAccessKey: "test-secret-not-real" },
    });

  before(async () => {
    server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    client = newClient();
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "QueryCommand") queryPages++;
        return next(args);
      },
      { step: "initialize", name: "countQueryPages" },
    );
    await ensureTable(client, table, { pollMs: 20 });
    await ensureTable(client, table, { pollMs: 20 }); // exists already: fine
    store = new DynamoReleaseStore<Status, Release>(table, client);
  });

  after(async () => {
    client?.destroy();
    await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  });

  contract(
    () => store,
    () => queryPages,
  );

  it("names the table in its location", () => {
    assert.equal(store.location, `dynamodb://${table}`);
  });

  it("reports a missing table as StoreUnavailableError that says to run init-store", async () => {
    const missing = new DynamoReleaseStore<Status, Release>("no-such-table", client);
    for (const call of [
      () => missing.read("prod"),
      () => missing.acquireLease("prod", holder("run-1"), T0),
      () => missing.appendLedger("prod", { id: "a", endedAt: T0.toISOString() }),
      () => missing.readLedger("prod"),
    ])
      await assert.rejects(call(), (e: unknown) => {
        assert.ok(e instanceof StoreUnavailableError);
        assert.match(e.message, /no-such-table/);
        assert.match(e.message, /npm run rollout -- init-store --stack prod/);
        return true;
      });
  });

  it("reports missing credentials and an unreachable endpoint as StoreUnavailableError, without secrets", async () => {
    const noCredentials = newClient({ credentialsFail: true, maxAttempts: 1 });
    await assert.rejects(new DynamoReleaseStore(table, noCredentials).read("prod"), (e: unknown) => {
      assert.ok(e instanceof StoreUnavailableError);
      assert.match(e.message, /app-rollout-test.*credentials/);
      return true;
    });
    noCredentials.destroy();
    const closed = dynalite({});
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const unreachable = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: "us-east-1",
      maxAttempts: 1,
      credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "test-secret-not-real" },
    });
    await assert.rejects(new DynamoReleaseStore(table, unreachable).heartbeat("prod", 1, T0), (e: unknown) => {
      assert.ok(e instanceof StoreUnavailableError);
      assert.match(e.message, /app-rollout-test.*could not be reached/);
      assert.doesNotMatch(e.message, /test-secret-not-real/);
      return true;
    });
    unreachable.destroy();
  });
});
