/**
 * PGlite instances from templates (issue #18). `PGlite.create()` runs initdb inside the WebAssembly
 * Postgres: 2.2–4.3 s of CPU here (5–7 s with the other mocha group running), which made PGlite the largest
 * single package in `npm test` (docs/gate.md "Profile"). So initdb runs once: its data directory
 * (`dumpDataDir`) is the empty template, kept for the process and on disk in
 * node_modules/.cache/app-rollout-pglite/, keyed by the PGlite version and build (the data directory's
 * format is the WebAssembly build's) and checked against a checksum before use. A seeded template is the empty one loaded, the seed run, and dumped again; every
 * instance is a fresh Postgres loaded from its template (`loadDataDir`, ~0.7 s). Each instance is its own
 * Postgres with its own data: nothing written to one is seen by another (test/rollout/pglite.test.ts).
 * The empty template holds no data of this project, only what initdb creates.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
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

/** The empty data directory: from the disk cache when it is whole, or initdb once and stored there. */
async function initdb(): Promise<Blob> {
  const file = cacheFile();
  const cached = readWhole(file);
  if (cached) return new Blob([cached]);
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

/**
 * node_modules/.cache/app-rollout-pglite/initdb-<version>-<build>.tar beside the installed package; <build>
 * is a digest of the size and mtime of the WebAssembly build's files (another build of the same version
 * gets its own template).
 */
export function cacheFile(): string {
  const dist = path.dirname(require.resolve("@electric-sql/pglite"));
  const pkg = JSON.parse(readFileSync(path.join(dist, "..", "package.json"), "utf8")) as { version: string };
  const build = createHash("sha256");
  for (const f of ["pglite.wasm", "pglite.data", "initdb.wasm"]) {
    const st = statSync(path.join(dist, f), { throwIfNoEntry: false });
    build.update(`${f}:${st?.size ?? "-"}:${st?.mtimeMs ?? "-"};`);
  }
  const modules = path.resolve(dist, "..", "..", "..");
  const name = `initdb-${pkg.version}-${build.digest("hex").slice(0, 12)}.tar`;
  return path.join(modules, ".cache", "app-rollout-pglite", name);
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/**
 * The cached tarball if its checksum (written beside it after it) matches, else undefined: a truncated or
 * corrupted file is removed and initdb runs again, instead of every later load failing.
 */
export function readWhole(file: string): Buffer | undefined {
  let bytes: Buffer;
  let sum: string;
  try {
    bytes = readFileSync(file);
    sum = readFileSync(`${file}.sha256`, "utf8").trim();
  } catch {
    return undefined;
  }
  if (sha256(bytes) === sum) return bytes;
  rmSync(file, { force: true });
  rmSync(`${file}.sha256`, { force: true });
  return undefined;
}

/**
 * Written to a temporary name and renamed, the checksum last: a killed run or a concurrent process never
 * leaves a file that passes the check half-written.
 */
export function store(file: string, bytes: Buffer): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(tmp, bytes);
    renameSync(tmp, file);
    writeFileSync(tmp, sha256(bytes));
    renameSync(tmp, `${file}.sha256`);
  } catch {
    // A cache that cannot be written (read-only checkout, full disk): initdb once per process instead.
    rmSync(tmp, { force: true });
  }
}
