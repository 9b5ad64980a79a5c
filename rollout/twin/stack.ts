import { existsSync, readFileSync } from "node:fs";
/** StackOps of the twin: one driver process's view of the twin's backend and engine (`pulumi up`, history, cancel). */
import { StackError, type StackOps, type UpdateSummary, type UpOutcome, type UpRequest } from "../ports";
import { NOTHING_TO_CANCEL, type TwinBackend } from "./backend";
import type { TwinProcess } from "./clock";
import type { TwinEngine } from "./engine";

export class TwinStack implements StackOps {
  /** The argv each call would have run (the rehearsal checks no secret ever appears on a command line). */
  readonly argv: string[][] = [];
  /** The content of every config file the driver handed to `up` (the rehearsal checks them for secrets). */
  readonly files: string[] = [];

  constructor(
    readonly stack: string,
    private readonly engine: TwinEngine,
    private readonly backend: TwinBackend,
    private readonly proc: TwinProcess,
  ) {}

  up(req: UpRequest): Promise<UpOutcome> {
    for (const f of [req.configFile, req.policyPackConfigFile])
      if (existsSync(f)) this.files.push(readFileSync(f, "utf8"));
    this.argv.push([
      "pulumi",
      "up",
      "--yes",
      "--skip-preview",
      "--stack",
      this.stack,
      "--message",
      req.message,
      "--config-file",
      req.configFile,
      "--policy-pack",
      "policy",
      "--policy-pack-config",
      req.policyPackConfigFile,
      ...(req.target ?? []).flatMap((t) => ["--target", t]),
    ]);
    return this.proc.run(() => this.engine.up(this.stack, req, this.proc));
  }

  async history(page: number, pageSize: number): Promise<UpdateSummary[]> {
    this.argv.push(["pulumi", "stack", "history", "--json", "--page-size", String(pageSize), "--page", String(page)]);
    return this.backend.history(this.stack, { page, pageSize }).map(({ config: _c, ...u }) => u);
  }

  async cancel(): Promise<void> {
    this.argv.push(["pulumi", "cancel", "--yes", "--stack", this.stack]);
    const s = this.backend.stack(this.stack);
    if (!s.lock) throw new StackError("update-failed", NOTHING_TO_CANCEL);
    const u = s.updates.find((x) => x.version === s.lock?.version);
    if (u && u.result === "in-progress") {
      u.result = "failed";
      u.error = "cancelled (pulumi cancel)";
    }
    s.lock = undefined;
  }
}
