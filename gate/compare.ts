/**
 * Impact analysis (`gate --compare <git ref | file>`): captures the plan of the stack's config at a git
 * ref (or from another stack file) and of the working tree, and lists what a `pulumi up` of the change
 * would touch, before anyone runs it. The program is the working tree's in both: this compares configs.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { ConfigProblem } from "../config/load";
import { diffPlans, type PlanDiff } from "./diff";
import { type Program, planStack } from "./plan";
import { StackFileError } from "./stackfiles";

export type CompareResult =
  | { ok: true; base: string; diff: PlanDiff }
  | { ok: false; side: "base" | "current"; problems: ConfigProblem[] };

/** The stack file to compare against: a file path as is, otherwise `git show <ref>:Pulumi.<stack>.yaml`. */
export function baseStackFile(dir: string, stack: string, against: string): string {
  if (existsSync(against)) return against;
  const rel = `Pulumi.${stack}.yaml`;
  let content: string;
  try {
    const prefix = execFileSync("git", ["-C", dir, "rev-parse", "--show-prefix"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
    content = execFileSync("git", ["-C", dir, "show", `${against}:${prefix}${rel}`], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (e) {
    const stderr = String((e as { stderr?: string }).stderr ?? (e as Error).message).trim();
    throw new StackFileError(
      `--compare ${against}: neither a file nor a git ref with ${rel} (${stderr.split("\n")[0]})`,
    );
  }
  const file = path.join(mkdtempSync(path.join(tmpdir(), "gate-compare-")), rel);
  writeFileSync(file, content);
  return file;
}

export async function compareStack(o: {
  dir: string;
  stack: string;
  against: string;
  program?: Program;
}): Promise<CompareResult> {
  const baseFile = baseStackFile(o.dir, o.stack, o.against);
  const base = await planStack({ dir: o.dir, stack: o.stack, stackFile: baseFile, program: o.program });
  if (!base.ok) return { ok: false, side: "base", problems: base.problems };
  const current = await planStack({ dir: o.dir, stack: o.stack, program: o.program });
  if (!current.ok) return { ok: false, side: "current", problems: current.problems };
  return { ok: true, base: o.against, diff: diffPlans(base.plan, current.plan) };
}
