import * as assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import {
  cacheFile,
  readWhole,
  SHARED_BUFFERS,
  seededPglite,
  store,
  TemplateBlob,
  template,
} from "../../rollout/twin/pglite";

describe("PGlite from templates (rollout/twin/pglite.ts)", function () {
  this.timeout(60_000);

  // Two instances of one seed (the first is the one its template was dumped from) and one of the empty
  // template: each PGlite load is ~0.7 s of CPU.
  it("every instance starts from the seed and keeps its own data: a write to one is not in the other", async () => {
    // A serial and a SET: a load of a dump taken without a checkpoint moved the sequence on by its 32
    // pre-logged values, and only the instance the seed ran in kept the seed's session settings.
    const seed =
      "CREATE TABLE seeded (id int PRIMARY KEY); INSERT INTO seeded VALUES (1), (2);" +
      " CREATE TABLE numbered (n serial, v text); INSERT INTO numbered (v) VALUES ('x'), ('y');" +
      " SET search_path TO pg_catalog;";
    const alike = async (db: PGlite) =>
      (
        await db.query<{ n: number; path: string }>(
          "INSERT INTO public.numbered (v) VALUES ('z') RETURNING n, current_setting('search_path') AS path",
        )
      ).rows[0];
    const count = async (db: PGlite) =>
      (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM seeded")).rows[0].n;
    const tables = async (db: PGlite, name: string) =>
      (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = $1", [name])).rows[0]
        .n;
    const a = await seededPglite(seed);
    // Loads get the template's bytes themselves, not a copy (TemplateBlob): no load may change them.
    const t = await template(seed);
    assert.equal(await t.arrayBuffer(), await t.arrayBuffer(), "the template's bytes are copied at each load");
    const before = t.digest();
    try {
      await a.exec("INSERT INTO seeded VALUES (3); CREATE TABLE only_a (x int);");
      const b = await seededPglite(seed);
      try {
        assert.deepEqual(await alike(a), await alike(b), "the first instance and a loaded one differ");
        // Started with the small shared buffers (PGlite ignores no parameter: a wrong one fails the start),
        // not initdb's 128MB, which each start zeroes.
        for (const db of [a, b])
          assert.equal(
            (await db.query<{ s: string }>("SELECT current_setting('shared_buffers') AS s")).rows[0].s,
            SHARED_BUFFERS,
          );
        assert.equal(await count(b), 2, "a later instance does not start from the seed but from a's writes");
        assert.equal(await tables(b, "only_a"), 0, "a table a created is in b");
        await b.exec("DELETE FROM seeded WHERE id = 1;");
        assert.equal(await count(a), 3, "b's delete reached a");
        assert.equal(await count(b), 1);
        await b.exec("VACUUM FULL seeded");
        await b.exec("CHECKPOINT");
        assert.equal(t.digest(), before, "a load or its writes changed the template's bytes");
        // The empty template a was loaded from (then seeded and written to) is still initdb's, as on disk.
        const empty = readFileSync(`${cacheFile()}.sha256`, "utf8").trim();
        assert.equal((await template("")).digest(), empty, "the empty template changed");
      } finally {
        await b.close();
      }
    } finally {
      await a.close();
    }
  });

  it("a different seed is a different template; the empty one (test/support/postgres.ts) is on disk, written whole", async () => {
    const db = await seededPglite("");
    try {
      const r = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'seeded'");
      assert.equal(r.rows[0].n, 0);
    } finally {
      await db.close();
    }
    const file = cacheFile();
    assert.ok(existsSync(file), `${file} was not written`);
    assert.match(file, /node_modules\/\.cache\/app-rollout-pglite\/initdb-\d+\.\d+\.\d+-[0-9a-f]{12}\.tar$/);
    assert.ok(readWhole(file), "the stored template does not pass its own checksum");
    assert.ok(statSync(file).size > 1_000_000, "the template is smaller than an initdb'd data directory");
  });

  it("a seed that fails, or leaves a transaction open, rejects with Postgres's error", async () => {
    const bad = "CREATE TABLE t (id int); INSERT INTO no_such_table VALUES (1);";
    await assert.rejects(seededPglite(bad), /relation "no_such_table" does not exist/);
    await assert.rejects(seededPglite("BEGIN; CREATE TABLE t (id int);"), /cannot run inside a transaction block/);
  });

  it("a template is a Blob of exactly its bytes, also from a view into a larger buffer", async () => {
    const pool = Buffer.from("ahead|template bytes|behind");
    const blob = new TemplateBlob(pool.subarray(6, 20));
    assert.ok(blob instanceof Blob);
    assert.equal(blob.size, 14);
    assert.equal(blob.type, "application/x-tar");
    assert.equal((await blob.arrayBuffer()).byteLength, 14);
    assert.equal(await blob.text(), "template bytes");
    assert.equal(await blob.slice(9).text(), "bytes");
    assert.deepEqual(Buffer.from(await blob.bytes()), Buffer.from("template bytes"));
    const chunks: Uint8Array[] = [];
    for await (const c of blob.stream()) chunks.push(c);
    assert.equal(Buffer.concat(chunks).toString(), "template bytes");
    pool[6] = 0x54; // "T": the template holds its own copy of a view's bytes
    assert.equal(await blob.text(), "template bytes");
  });

  it("a cached template that does not match its checksum (truncated, or no checksum) is removed, not loaded", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "pglite-cache-"));
    const file = path.join(dir, "initdb-test.tar");
    const bytes = Buffer.alloc(64 * 1024, 7);
    store(file, bytes);
    assert.deepEqual(readWhole(file), bytes);
    truncateSync(file, 1000);
    assert.equal(readWhole(file), undefined);
    assert.ok(!existsSync(file) && !existsSync(`${file}.sha256`), "the bad template was left for the next run");
    writeFileSync(file, bytes);
    assert.equal(readWhole(file), undefined, "a template without its checksum was trusted");
  });
});
