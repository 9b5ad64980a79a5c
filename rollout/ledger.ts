/**
 * The release ledger (runbook 002 "release ledger"): one JSON line per release, rollback and abort —
 * who, when, from → to image and color, stages reached, reason — in a local file and, on real stacks,
 * mirrored to SSM so the history survives the machine.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { LedgerEntry, LedgerMirror } from "./ports";

export class Ledger {
  constructor(
    readonly file: string,
    private readonly mirror?: LedgerMirror,
  ) {}

  async append(entry: LedgerEntry): Promise<void> {
    mkdirSync(path.dirname(this.file), { recursive: true });
    appendFileSync(this.file, `${JSON.stringify(entry)}\n`);
    if (this.mirror) await this.mirror.put(entry.stack, entry);
  }

  read(stack?: string): LedgerEntry[] {
    if (!existsSync(this.file)) return [];
    return readFileSync(this.file, "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as LedgerEntry)
      .filter((e) => !stack || e.stack === stack);
  }
}
