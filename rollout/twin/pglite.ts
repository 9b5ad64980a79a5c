/**
 * PGlite instances from a per-process template (issue #18). `PGlite.create()` runs initdb inside the
 * WebAssembly Postgres: 2.2–4.3 s of CPU here, once per twin that touches its database, which made PGlite
 * the largest single cost of the scenario library after the pack round trips. The first instance per seed
 * is created and seeded as before, and its data directory is dumped (`dumpDataDir`, ~0.25 s); the next ones
 * start from that dump (`loadDataDir`, ~0.7 s). Each instance is still its own Postgres with its own data:
 * nothing written to one is seen by another (test/rollout/pglite.test.ts).
 */
import type { PGlite } from "@electric-sql/pglite";

const templates = new Map<string, Promise<Blob>>();

/** A fresh Postgres whose database already holds `seedSql` (run once per process per distinct seed). */
export async function seededPglite(seedSql = ""): Promise<PGlite> {
  const { PGlite } = await import("@electric-sql/pglite");
  const template = templates.get(seedSql);
  if (template) return PGlite.create({ loadDataDir: await template });
  const db = await PGlite.create();
  if (seedSql) await db.exec(seedSql);
  // Uncompressed: gzip would halve the 40 MB but add its time to every load.
  const dump = db.dumpDataDir("none");
  templates.set(seedSql, dump);
  dump.catch(() => templates.delete(seedSql));
  await dump;
  return db;
}
