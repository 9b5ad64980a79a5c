/**
 * Produces the captured plan of a stack from its files: load `Pulumi.yaml` + `Pulumi.<stack>.yaml`,
 * validate the config (problems are returned, not thrown), run the real program under mocks.
 * Shared by the gate command and the tests, so both see exactly the same plan.
 */
import { type ConfigProblem, parseFlatConfig } from "../config/load";
import type { AppConfig } from "../config/schema";
import { type CapturedPlan, capturePlan } from "./capture";
import { projectModule } from "./runtime";
import { loadStackFiles, type StackFiles } from "./stackfiles";

export interface PlanRequest {
  /** Project directory (holds Pulumi.yaml). */
  dir: string;
  stack: string;
  /** Top-level config keys merged over the stack file (tests, `--compare`). */
  overrides?: Record<string, unknown>;
  /** Read the stack's config from this file instead of `Pulumi.<stack>.yaml` (`--compare`). */
  stackFile?: string;
  /** The program to run. @default the `index` module of `dir` */
  program?: Program;
  /** Already loaded stack files (the evaluator, the twin): used instead of reading `dir`. */
  files?: StackFiles;
  /** Capture as a preview of a fresh stack (gate/capture.ts `preview`). @default false */
  preview?: boolean;
}

export type PlanResult =
  | { ok: true; files: StackFiles; plan: CapturedPlan; config: AppConfig }
  | { ok: false; files: StackFiles; problems: ConfigProblem[] };

export type Program = () => unknown;

/** Loads the project's program (`index.ts` exports a function, as the Pulumi CLI expects). */
export function loadProgram(dir: string): Program {
  const mod = require(projectModule(dir, "index")) as Program | { default?: Program };
  const program = typeof mod === "function" ? mod : mod.default;
  if (typeof program !== "function")
    throw new Error(`${dir}/index.ts must export a function (export = async () => ...)`);
  return program;
}

export async function planStack(req: PlanRequest): Promise<PlanResult> {
  const files = req.files ?? loadStackFiles(req.dir, req.stack, req.overrides, req.stackFile);
  const parsed = parseFlatConfig(files.config, req.stack);
  if (!parsed.ok) return { ok: false, files, problems: parsed.problems };
  const plan = await capturePlan({
    project: files.project,
    stack: req.stack,
    config: files.config,
    secretKeys: files.secretKeys,
    program: req.program ?? loadProgram(req.dir),
    preview: req.preview,
  });
  return { ok: true, files, plan, config: parsed.config };
}
