/**
 * tools/build.js: build/ is the transform of the sources as they are. The gate runs build/, and the
 * published policy pack ships build/policy's files (tools/pack-policy.js), so an output older than its
 * source's text must be rebuilt however the source got its mtime.
 */
import * as assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

// tools/build.js is plain CommonJS (bin/gate.js runs it before any TypeScript loader).
const { ensureShared, ensureTranspiled } = require("../../tools/build.js") as {
  ensureShared(root: string): boolean;
  ensureTranspiled(root: string): boolean;
};

describe("build/ (tools/build.js ensureTranspiled)", () => {
  let root: string;
  const src = (name: string) => path.join(root, "gate", name);
  const out = (name: string) => readFileSync(path.join(root, "build", "gate", name.replace(/\.ts$/, ".js")), "utf8");
  /** Writes a source and gives it an mtime an hour old (as cp -p, rsync -a or tar x would). */
  const writeOld = (name: string, text: string) => {
    writeFileSync(src(name), text);
    const past = new Date(Date.now() - 3_600_000);
    utimesSync(src(name), past, past);
  };

  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), "build-"));
    mkdirSync(path.join(root, "gate"));
    writeOld("a.ts", "export const v: number = 1;\n");
    writeOld("b.ts", "export const w = 2;\n");
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("builds once, then not again while nothing changed", () => {
    assert.equal(ensureTranspiled(root), true);
    assert.match(out("a.ts"), /exports\.v = 1;/);
    assert.equal(ensureTranspiled(root), false);
  });

  it("rebuilds a source edited with an old mtime (content, not time, decides)", () => {
    ensureTranspiled(root);
    writeOld("a.ts", "export const v: number = 7;\n");
    assert.equal(ensureTranspiled(root), true);
    assert.match(out("a.ts"), /exports\.v = 7;/);
  });

  it("rebuilds when an output is missing, or a source is added or removed", () => {
    ensureTranspiled(root);
    unlinkSync(path.join(root, "build", "gate", "b.js"));
    assert.equal(ensureTranspiled(root), true);
    assert.match(out("b.ts"), /exports\.w = 2;/);
    writeOld("c.ts", "export const x = 3;\n");
    assert.equal(ensureTranspiled(root), true);
    assert.match(out("c.ts"), /exports\.x = 3;/);
    unlinkSync(src("c.ts"));
    assert.equal(ensureTranspiled(root), true);
    assert.equal(ensureTranspiled(root), false);
  });

  it("rebuilds after a stamp of an older format (mtimes only) or another transform", () => {
    ensureTranspiled(root);
    const stamp = path.join(root, "build", ".stamp");
    const current = JSON.parse(readFileSync(stamp, "utf8"));
    writeFileSync(stamp, JSON.stringify({ time: Date.now(), files: current.files }));
    assert.equal(ensureTranspiled(root), true);
    writeFileSync(stamp, JSON.stringify({ ...current, transform: "another" }));
    assert.equal(ensureTranspiled(root), true);
  });

  it("shared/dist (shipped inside the published pack) is rebuilt after an edit with an old mtime too", () => {
    const shared = path.join(root, "shared");
    mkdirSync(path.join(shared, "src"), { recursive: true });
    writeFileSync(
      path.join(shared, "tsconfig.json"),
      JSON.stringify({
        // The smallest lib, unchecked: each compile here is a whole TypeScript program (ES2020's lib checked
        // made this spec's two builds 1.7 s of CPU).
        compilerOptions: {
          outDir: "dist",
          rootDir: "src",
          lib: ["ES5"],
          skipLibCheck: true,
          types: [],
          module: "commonjs",
        },
        include: ["src"],
      }),
    );
    const edit = (text: string) => {
      writeFileSync(path.join(shared, "src", "index.ts"), text);
      const past = new Date(Date.now() - 3_600_000);
      utimesSync(path.join(shared, "src", "index.ts"), past, past);
    };
    const dist = () => readFileSync(path.join(shared, "dist", "index.js"), "utf8");
    edit("export const v = 1;\n");
    assert.equal(ensureShared(root), true);
    assert.equal(ensureShared(root), false);
    edit("export const v = 2;\n");
    assert.equal(ensureShared(root), true);
    assert.match(dist(), /exports\.v = 2;/);
  });
});
