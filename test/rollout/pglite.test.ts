import * as assert from "node:assert/strict";
import { existsSync, mkdtempSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { cacheFile, readWhole, seededPglite, store } from "../../rollout/twin/pglite";

describe("PGlite from templates (rollout/twin/pglite.ts)", function () {
  this.timeout(60_000);

  it("every instance starts from the seed and keeps its own data: a write to one is not in the other", async () => {
    const seed = "CREATE TABLE seeded (id int PRIMARY KEY); INSERT INTO seeded VALUES (1), (2);";
    const a = await seededPglite(seed);
    const b = await seededPglite(seed);
    try {
      await a.exec("INSERT INTO seeded VALUES (3); CREATE TABLE only_a (x int);");
      await b.exec("DELETE FROM seeded WHERE id = 1;");
      const count = async (db: typeof a) =>
        (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM seeded")).rows[0].n;
      assert.equal(await count(a), 3);
      assert.equal(await count(b), 1);
      const c = await seededPglite(seed);
      try {
        assert.equal(await count(c), 2, "a later instance still starts from the seed, not from a's or b's writes");
        const tables = await c.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'only_a'",
        );
        assert.equal(tables.rows[0].n, 0);
      } finally {
        await c.close();
      }
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("a different seed is a different template (the empty one test/support/postgres.ts uses)", async () => {
    const db = await seededPglite("");
    try {
      const r = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'seeded'");
      assert.equal(r.rows[0].n, 0);
    } finally {
      await db.close();
    }
  });

  it("keeps the empty template (initdb's data directory) on disk, written whole", async () => {
    const db = await seededPglite("");
    await db.close();
    const file = cacheFile();
    assert.ok(existsSync(file), `${file} was not written`);
    assert.match(file, /node_modules\/\.cache\/app-rollout-pglite\/initdb-\d+\.\d+\.\d+-[0-9a-f]{12}\.tar$/);
    assert.ok(readWhole(file), "the stored template does not pass its own checksum");
    assert.ok(statSync(file).size > 1_000_000, "the template is smaller than an initdb'd data directory");
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
