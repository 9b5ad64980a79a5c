/**
 * Produces the captured plan of a stack from its files: load `Pulumi.yaml` + `Pulumi.<stack>.yaml`,
 * validate the config (problems are returned, not thrown), run the real program under mocks.
 * Shared by the gate command and the tests, so both see exactly the same plan.
 */
import { createHash } from "node:crypto";
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
  const plan = await captured(req.program ?? loadProgram(req.dir), req.stack, files, req.preview === true);
  return { ok: true, files, plan, config: parsed.config };
}

/**
 * Plans captured in this process, by everything a capture reads: the program (by identity), the stack, the
 * project, its config and secret keys, preview or not, and the environment (providers read it when they are
 * created: @pulumi/kubernetes provider.js:63-76 `PULUMI_K8S_*`, @pulumi/aws `AWS_REGION`; the program reads
 * no clock, and the mocks answer from the config: gate/mock-state.ts). Each evaluator memoizes its own
 * plans, but the gate's `--compare` and `--parity`, a second evaluator and the specs' plan cache captured the
 * same config again (1.25 s of CPU per `npm test`). Every caller gets the same plan, frozen by the capture
 * (./freeze.ts). A capture that fails is not kept.
 */
const plans = new Map<string, Promise<CapturedPlan>>();
/** At most this many plans (~0.8 MB each for prod); the least recently asked goes first. */
export const planMemo = { limit: 64 };
const programIds = new WeakMap<Program, number>();
let nextProgramId = 0;

function captured(program: Program, stack: string, files: StackFiles, preview: boolean): Promise<CapturedPlan> {
  if (!programIds.has(program)) programIds.set(program, nextProgramId++);
  const environment = Object.entries(process.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const key = createHash("sha1")
    .update(JSON.stringify([programIds.get(program), stack, files.project, files.config, files.secretKeys, preview]))
    .update(JSON.stringify(environment))
    .digest("base64");
  const known = plans.get(key);
  if (known) {
    plans.delete(key);
    plans.set(key, known);
    return known;
  }
  const plan = capturePlan({
    project: files.project,
    stack,
    config: files.config,
    secretKeys: files.secretKeys,
    program,
    preview,
  });
  plans.set(key, plan);
  while (plans.size > planMemo.limit) plans.delete(plans.keys().next().value as string);
  plan.catch(() => {
    if (plans.get(key) === plan) plans.delete(key);
  });
  return plan;
}
