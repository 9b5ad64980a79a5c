/**
 * PGlite instances from templates (issue #18). `PGlite.create()` runs initdb inside the WebAssembly
 * Postgres: 2.2–4.3 s of CPU here (5–7 s with the other mocha group running), which made PGlite the largest
 * single package in `npm test` (docs/gate.md "Profile"). So initdb runs once: its data directory
 * (`dumpDataDir`) is the empty template, kept for the process and on disk in
 * node_modules/.cache/app-rollout-pglite/, keyed by the PGlite version (the data directory's format is the
 * WebAssembly build's). A seeded template is the empty one loaded, the seed run, and dumped again; every
 * instance is a fresh Postgres loaded from its template (`loadDataDir`, ~0.7 s). Each instance is its own
 * Postgres with its own data: nothing written to one is seen by another (test/rollout/pglite.test.ts).
 * The empty template holds no data of this project, only what initdb creates.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { PGlite } from "@electric-sql/pglite";

const templates = new Map<string, Promise<Blob>>();

/** A fresh Postgres whose database already holds `seedSql` (each distinct seed is run once per process). */
export async function seededPglite(seedSql = ""): Promise<PGlite> {
  const { PGlite } = await import("@electric-sql/pglite");
  return PGlite.create({ loadDataDir: await template(seedSql) });
}

function template(seedSql: string): Promise<Blob> {
  let t = templates.get(seedSql);
  if (!t) {
    t = seedSql ? seeded(seedSql) : initdb();
    templates.set(seedSql, t);
    t.catch(() => templates.delete(seedSql));
  }
  return t;
}

async function seeded(seedSql: string): Promise<Blob> {
  const { PGlite } = await import("@electric-sql/pglite");
  const db = await PGlite.create({ loadDataDir: await template("") });
  try {
    await db.exec(seedSql);
    // Uncompressed: gzip would halve the 40 MB but add its time to every load.
    return await db.dumpDataDir("none");
  } finally {
    await db.close();
  }
}

/** The empty data directory: from the disk cache, or initdb once and stored there. */
async function initdb(): Promise<Blob> {
  const file = cacheFile();
  try {
    return new Blob([readFileSync(file)]);
  } catch {
    // Not cached yet (or unreadable): run initdb.
  }
  const { PGlite } = await import("@electric-sql/pglite");
  const db = await PGlite.create();
  try {
    const dump = await db.dumpDataDir("none");
    store(file, Buffer.from(await dump.arrayBuffer()));
    return dump;
  } finally {
    await db.close();
  }
}

/** node_modules/.cache/app-rollout-pglite/initdb-<version>.tar, beside the installed package. */
export function cacheFile(): string {
  const dist = path.dirname(require.resolve("@electric-sql/pglite"));
  const pkg = JSON.parse(readFileSync(path.join(dist, "..", "package.json"), "utf8")) as { version: string };
  const modules = path.resolve(dist, "..", "..", "..");
  return path.join(modules, ".cache", "app-rollout-pglite", `initdb-${pkg.version}.tar`);
}

/** Written to a temporary name and renamed: a killed run or a concurrent process never leaves half a file. */
function store(file: string, bytes: Buffer): void {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, bytes);
    renameSync(tmp, file);
  } catch {
    // A cache that cannot be written (read-only checkout): initdb once per process instead.
  }
}
