/** A throwaway copy of the project's user-edited files, and an Io that records what a command prints. */
import { cpSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ROOT } from "./stacks";

/** Stack files and parity.json copied (a test may edit them); the program and the policy pack are the real ones. */
export function projectCopy(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "gate-"));
  for (const f of ["Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml", "parity.json"])
    cpSync(path.join(ROOT, f), path.join(dir, f));
  writeFileSync(path.join(dir, "index.ts"), `export = require(${JSON.stringify(path.join(ROOT, "index"))});\n`);
  symlinkSync(path.join(ROOT, "policy"), path.join(dir, "policy"));
  return dir;
}

export function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s) }, out, err };
}
