/**
 * The plan file written by `gate --plan-out`: shaped like `pulumi preview --json` (a `steps` array of
 * `create` steps whose `newState` carries type, URN, parent, dependencies, inputs, outputs and options),
 * so tools that read preview JSON can read it, and `readPlanFile` turns it back into a captured plan.
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { CapturedPlan, CapturedResource } from "./capture";
import { deepFreeze } from "./freeze";

export interface PlanStep {
  op: "create";
  urn: string;
  newState: {
    type: string;
    urn: string;
    custom: boolean;
    parent?: string;
    provider?: string;
    inputs: Record<string, unknown>;
    outputs?: Record<string, unknown>;
    dependencies: string[];
    propertyDependencies: Record<string, string[]>;
    protect: boolean;
    retainOnDelete: boolean;
    deleteBeforeReplace: boolean;
    ignoreChanges: string[];
    replaceOnChanges: string[];
    additionalSecretOutputs: string[];
    deletedWith?: string;
  };
}

export interface PlanFile {
  /** Format marker: bump when the shape changes. */
  format: "app-rollout-plan/v1";
  project: string;
  stack: string;
  steps: PlanStep[];
  changeSummary: { create: number };
  outputs: Record<string, unknown>;
}

const nameOf = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);

export function toPlanFile(plan: CapturedPlan): PlanFile {
  return {
    format: "app-rollout-plan/v1",
    project: plan.project,
    stack: plan.stack,
    // Steps in the order the program registered the resources, as the engine reports them.
    steps: [...plan.resources]
      .sort((a, b) => a.seq - b.seq)
      .map((r) => ({
        op: "create",
        urn: r.urn,
        newState: {
          type: r.type,
          urn: r.urn,
          custom: r.custom,
          parent: r.parent,
          provider: r.provider,
          inputs: r.inputs,
          outputs: r.outputs,
          dependencies: r.dependencies,
          propertyDependencies: r.propertyDependencies,
          protect: r.options.protect,
          retainOnDelete: r.options.retainOnDelete,
          deleteBeforeReplace: r.options.deleteBeforeReplace,
          ignoreChanges: r.options.ignoreChanges,
          replaceOnChanges: r.options.replaceOnChanges,
          additionalSecretOutputs: r.options.additionalSecretOutputs,
          deletedWith: r.options.deletedWith,
        },
      })),
    changeSummary: { create: plan.resources.length },
    outputs: plan.outputs,
  };
}

export function fromPlanFile(f: PlanFile): CapturedPlan {
  if (f.format !== "app-rollout-plan/v1")
    throw new Error(`not a plan file of this tool (format ${JSON.stringify(f.format)})`);
  const resources: CapturedResource[] = f.steps.map(({ newState: s }, seq) => ({
    seq,
    urn: s.urn,
    type: s.type,
    name: nameOf(s.urn),
    custom: s.custom,
    parent: s.parent,
    dependencies: s.dependencies,
    propertyDependencies: s.propertyDependencies,
    provider: s.provider,
    inputs: s.inputs,
    outputs: s.outputs,
    options: {
      protect: s.protect,
      ignoreChanges: s.ignoreChanges,
      retainOnDelete: s.retainOnDelete,
      deleteBeforeReplace: s.deleteBeforeReplace,
      replaceOnChanges: s.replaceOnChanges,
      additionalSecretOutputs: s.additionalSecretOutputs,
      deletedWith: s.deletedWith,
    },
  }));
  resources.sort((a, b) => a.urn.localeCompare(b.urn));
  // Frozen as a captured plan is (./freeze.ts).
  return deepFreeze({ project: f.project, stack: f.stack, resources, outputs: f.outputs });
}

export function writePlanFile(file: string, plan: CapturedPlan): void {
  writeFileSync(file, `${JSON.stringify(toPlanFile(plan), null, 2)}\n`);
}

export function readPlanFile(file: string): CapturedPlan {
  return fromPlanFile(JSON.parse(readFileSync(file, "utf8")) as PlanFile);
}
