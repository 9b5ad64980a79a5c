/**
 * PGlite instances from templates (issue #18). `PGlite.create()` runs initdb inside the WebAssembly
 * Postgres: 2.2–4.3 s of CPU here (5–7 s with the other mocha group running), which made PGlite the largest
 * single package in `npm test` (docs/gate.md "Profile"). So initdb runs once: its data directory
 * (`dumpDataDir`) is the empty template, kept for the process and on disk in
 * node_modules/.cache/app-rollout-pglite/, keyed by the PGlite version and build (the data directory's
 * format is the WebAssembly build's) and checked against a checksum before use. A seeded template is the
 * empty one loaded, the seed run, and dumped again; every instance is a fresh Postgres loaded from its
 * template (`loadDataDir`, ~0.7 s), except the one a template was made with, which its first caller gets.
 * Each instance is its own Postgres with its own data: nothing written to one is seen by another
 * (test/rollout/pglite.test.ts).
 * The empty template holds no data of this project, only what initdb creates.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { PGlite, PGliteOptions } from "@electric-sql/pglite";

/**
 * Postgres' shared buffers in every instance here. initdb writes 128MB into postgresql.conf, and every
 * start zeroes the whole segment: Postgres maps it anonymously (PGlite's CreateAnonymousSegment), and
 * Emscripten's `mmap` clears what it hands out (`memset`, the largest WebAssembly function in a profiled
 * `npm test`: 3.6 s, most of it page faults on the freshly grown memory). Tests and rehearsals hold a few kB
 * of data; 16MB is 2048 buffers, far above Postgres' floor of 16 (a 101 MB table, temp tables, VACUUM and
 * CHECKPOINT ran fine on it). The setting comes from the command line only: templates keep initdb's file.
 */
export const SHARED_BUFFERS = "16MB";

/**
 * A Postgres from `options`, started with PGlite's own parameters plus the shared buffers above (a
 * `startParams` given replaces PGlite's defaults, @electric-sql/pglite dist/index.cjs `defaultStartParams`).
 */
async function start(options: PGliteOptions = {}): Promise<PGlite> {
  const { PGlite } = await import("@electric-sql/pglite");
  return PGlite.create({
    ...options,
    startParams: [...PGlite.defaultStartParams, "-c", `shared_buffers=${SHARED_BUFFERS}`],
  });
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/**
 * A template's bytes as the Blob `loadDataDir` takes, whose `arrayBuffer()` hands over the bytes themselves:
 * node's Blob copies its 40 MB out in 64 kB chunks at every call (node:internal/blob readNext, 40–180 ms of
 * CPU per load here), and PGlite calls it once per load (dist/index.cjs `zr`: `new Uint8Array(await
 * t.arrayBuffer())`, then untar). Nothing writes to the bytes: untar copies each file out (`nl`, tinytar's
 * readData: `slice`) and `FS.writeFile` copies it again into the instance's memory file system (MEMFS write
 * without `canOwn`: `contents = buffer.slice(...)`); test/rollout/pglite.test.ts checks both templates'
 * digests after loads and writes. The bytes are held once: node's Blob store gets none of them (`super([])`),
 * and `size`, `slice`, `stream`, `bytes` and `text` answer from them as a Blob of these bytes would.
 */
export class TemplateBlob extends Blob {
  private readonly data: Uint8Array;
  constructor(bytes: Uint8Array) {
    super([], { type: "application/x-tar" });
    // Exactly the bytes in an ArrayBuffer of their own: a Buffer may be a view into a larger pool (and a
    // Buffer's `slice` is a view too, so the copy is made as a plain Uint8Array).
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    this.data = own ? bytes : Uint8Array.prototype.slice.call(bytes);
    // Node's Blob answers `size` from a getter on its prototype, from the (empty) store: an own property wins.
    Object.defineProperty(this, "size", { value: this.data.byteLength, enumerable: true });
  }
  override arrayBuffer(): Promise<ArrayBuffer> {
    return Promise.resolve(this.data.buffer as ArrayBuffer);
  }
  override slice(start?: number, end?: number, type?: string): Blob {
    return new Blob([this.data]).slice(start, end, type);
  }
  override stream(): ReturnType<Blob["stream"]> {
    return new Blob([this.data]).stream();
  }
  override bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return Promise.resolve(new Uint8Array(this.data));
  }
  override text(): Promise<string> {
    return Promise.resolve(new TextDecoder().decode(this.data));
  }
  /** A digest of the bytes loads read (the spec checks no load changed them). */
  digest(): string {
    return sha256(Buffer.from(this.data.buffer, this.data.byteOffset, this.data.byteLength));
  }
}

/** A dump (node's Blob) as a TemplateBlob: its bytes copied out once. */
async function templateOf(dump: Blob): Promise<TemplateBlob> {
  return new TemplateBlob(new Uint8Array(await dump.arrayBuffer()));
}

const templates = new Map<string, Promise<TemplateBlob>>();

/**
 * A template, and the instance it was dumped from when one was made for it: the same data, sequences and
 * settings as a load of the template (`seeded`); only new objects' OIDs may differ (an online checkpoint
 * records the OID counter with its prefetch), which nothing here reads.
 */
interface Made {
  template: TemplateBlob;
  db?: PGlite;
}

/**
 * A fresh Postgres whose database already holds `seedSql` (each distinct seed is run once per process).
 * The first caller of a seed gets the instance its template was dumped from — dumped before it is handed
 * out, so nothing it writes reaches the template — and the later ones a load of the template: one load
 * (~0.6 s of CPU) fewer per seed and process.
 */
export async function seededPglite(seedSql = ""): Promise<PGlite> {
  const held = templates.get(seedSql);
  if (held) return start({ loadDataDir: await held });
  const made = make(seedSql);
  remember(
    seedSql,
    made.then((m) => m.template),
  );
  const { db, template } = await made;
  return db ?? start({ loadDataDir: template });
}

/**
 * The template alone (a seeded template starts from the empty one): an instance made for it is closed.
 * Exported for the spec, which checks that loads leave a template's bytes as they were.
 */
export function template(seedSql: string): Promise<TemplateBlob> {
  const held = templates.get(seedSql);
  if (held) return held;
  const t = make(seedSql).then(async (m) => {
    await m.db?.close();
    return m.template;
  });
  remember(seedSql, t);
  return t;
}

function remember(seedSql: string, t: Promise<TemplateBlob>): void {
  templates.set(seedSql, t);
  t.catch(() => {
    if (templates.get(seedSql) === t) templates.delete(seedSql);
  });
}

function make(seedSql: string): Promise<Made> {
  return seedSql ? seeded(seedSql) : initdb();
}

async function seeded(seedSql: string): Promise<Made> {
  const db = await start({ loadDataDir: await template("") });
  try {
    await db.exec(seedSql);
    // The instance handed to the first caller and those loaded from the dump must be alike. A dump is a crash
    // image (`dumpDataDir` tars the running server's files), so a load runs crash recovery from the last
    // checkpoint, which moves sequences on by their pre-logged values and the OID counter by its prefetch:
    // a CHECKPOINT first leaves nothing to replay. DISCARD ALL drops the seed's session state (SET, temp
    // tables, prepared statements), which a load would not have, and refuses a seed that leaves a
    // transaction open ("cannot run inside a transaction block").
    await db.exec("DISCARD ALL");
    await db.exec("CHECKPOINT");
    // Uncompressed: gzip would halve the 40 MB but add its time to every load.
    return { db, template: await templateOf(await db.dumpDataDir("none")) };
  } catch (e) {
    await db.close();
    throw e;
  }
}

/** The empty data directory: from the disk cache when it is whole, or initdb once and stored there. */
async function initdb(): Promise<Made> {
  const file = cacheFile();
  const cached = readWhole(file);
  if (cached) return { template: new TemplateBlob(cached) };
  const db = await start();
  try {
    const template = await templateOf(await db.dumpDataDir("none"));
    store(file, Buffer.from(await template.arrayBuffer()));
    return { db, template };
  } catch (e) {
    await db.close();
    throw e;
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
