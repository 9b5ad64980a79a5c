/**
 * The offline readiness gate: stack files → config validation → the real program under mocks → the real
 * policy pack over the analyzer protocol → a go/no-go decision. The policy pack process starts while the
 * program runs, so the two halves overlap (gate/evaluator.ts keeps both warm for repeated runs).
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { ConfigProblem } from "../config/load";
import {
  type Analysis,
  type Enforcement,
  type PolicyConfig,
  PolicyPackError,
  resolvePolicyConfig,
  type Severity,
} from "./analyzer";
import type { CapturedPlan, CapturedResource } from "./capture";
import { Evaluator } from "./evaluator";
import { checkKubernetes, type KubernetesReport, kubernetesBlocks, kubernetesFindings } from "./kubernetes/check-plan";
import type { Program } from "./plan";
import { loadStackFiles, type StackFiles } from "./stackfiles";

export interface GateOptions {
  dir: string;
  stack: string;
  /** Time the release window is evaluated at; "window" = the start of the stack's release window. @default now */
  at?: Date | "window";
  /** Policy pack directory. @default <dir>/policy */
  packDir?: string;
  /** `--policy-pack-config` file. @default <packDir>/config/<stack>.json when it exists */
  policyConfigFile?: string;
  overrides?: Record<string, unknown>;
  program?: Program;
  /** Stack files already loaded (the driver composes them); `overrides` are then ignored. */
  files?: StackFiles;
  /** Per-policy config merged over the file (e.g. `release-window` advisory for a rollback). */
  policyOverrides?: Record<string, Record<string, unknown>>;
  /** A warm evaluator to use (the driver, the twin); the gate command makes its own. */
  evaluator?: Evaluator;
  /**
   * Judge the plan as `pulumi preview` of a fresh stack sends it: computed outputs, and values derived from
   * them, unknown (gate/capture.ts). A policy that reads one cannot run (`notRun`). @default false
   */
  preview?: boolean;
}

/** A policy the pack could not run on a resource (or the stack) because a value it read is unknown. */
export interface NotRun {
  policy: string;
  /** The enforcement the policy config gives it (the pack reports it as advisory). */
  enforcement: Enforcement;
  resourceType: string;
  resourceName: string;
  urn: string;
  /** The unknown value it read, e.g. `string value at .arn can't be known during preview`. */
  reason: string;
}

export interface Violation {
  policy: string;
  severity: Severity;
  enforcement: Enforcement;
  /** Empty for stack-wide violations. */
  resourceType: string;
  resourceName: string;
  urn: string;
  message: string;
}

export interface GateReport {
  stack: string;
  decision: "go" | "no-go" | "invalid-config";
  at: string;
  resourceCount: number;
  /** Secret keys whose values were replaced by placeholders. */
  placeholders: string[];
  problems: ConfigProblem[];
  violations: Violation[];
  /** Policies that could not run (an unknown value): in a real preview, an advisory "can't run" only. */
  notRun: NotRun[];
  notApplicable: { policy: string; reason: string }[];
  pack?: { name: string; version: string; policies: number; configFile?: string };
  /** Every Kubernetes object of the plan validated against the cluster's schemas (gate/kubernetes). */
  kubernetes?: KubernetesReport;
  plan?: CapturedPlan;
}

const ENFORCEMENT_ORDER: Record<Enforcement, number> = { mandatory: 0, remediate: 1, advisory: 2, disabled: 3 };

/** Reads a `--policy-pack-config` file (or none). */
export function readPolicyConfigFile(file: string | undefined): Record<string, never> {
  if (!file) return {};
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new PolicyPackError(`${file}: not valid JSON: ${(e as Error).message}`);
  }
}

/** The report's violations, worst first, with the resource each one is about. */
export function toViolations(analysis: Analysis, resources: CapturedResource[]): Violation[] {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  return analysis.diagnostics
    .map((d) => {
      const r = byUrn.get(d.urn);
      // The pack prefixes stack-policy messages with the policy description; the report shows it once.
      const message = d.message.startsWith(`${d.description}\n`)
        ? d.message.slice(d.description.length + 1)
        : d.message;
      return {
        policy: d.policyName,
        severity: d.severity,
        enforcement: d.enforcementLevel,
        resourceType: r?.type ?? "",
        resourceName: r?.name ?? "",
        urn: d.urn,
        message,
      };
    })
    .sort(
      (a, b) =>
        ENFORCEMENT_ORDER[a.enforcement] - ENFORCEMENT_ORDER[b.enforcement] ||
        a.policy.localeCompare(b.policy) ||
        a.resourceName.localeCompare(b.resourceName),
    );
}

/** The report before anything was judged. */
function emptyReport(stack: string, files: StackFiles): GateReport {
  return {
    stack,
    decision: "go",
    at: "",
    resourceCount: 0,
    placeholders: files.placeholders,
    problems: [],
    violations: [],
    notRun: [],
    notApplicable: [],
  };
}

/** GATE_TIMINGS=1: phase timestamps (seconds since process start) on stderr, for the profile in docs/gate.md. */
function mark(phase: string): void {
  if (process.env.GATE_TIMINGS) console.error(`gate timing: ${phase} at ${process.uptime().toFixed(3)} s`);
}

export async function runGate(o: GateOptions): Promise<GateReport> {
  mark("modules loaded");
  let at = o.at instanceof Date ? o.at : new Date();
  const evaluator = o.evaluator ?? new Evaluator({ dir: o.dir, packDir: o.packDir, program: o.program });
  const packDir = evaluator.packDir;
  const configFile = o.policyConfigFile ?? [path.join(packDir, "config", `${o.stack}.json`)].find(existsSync);
  const files = o.files ?? loadStackFiles(o.dir, o.stack, o.overrides);
  const base = emptyReport(o.stack, files);
  try {
    // Start the pack first: it needs only the config, and it loads while the program runs.
    const info = evaluator.warm(files);
    info.catch(() => undefined);
    const planned = await evaluator.plan(files, undefined, o.preview === true);
    mark("program evaluated under mocks");
    if (!planned.ok) return { ...base, at: at.toISOString(), decision: "invalid-config", problems: planned.problems };
    const plan = planned.plan;
    if (o.at === "window") at = new Date(planned.config.release.window.start);
    const file = readPolicyConfigFile(configFile);
    const policyConfig = resolvePolicyConfig(await info, file, {
      ...o.policyOverrides,
      "release-window": { at: at.toISOString(), ...o.policyOverrides?.["release-window"] },
    });
    mark("policy pack ready");
    const analysis = await analyzePlan(evaluator, files, policyConfig, plan.resources);
    mark("policies evaluated over gRPC");
    const { violations, notRun } = splitNotRun(toViolations(analysis, plan.resources), policyConfig);
    const kubernetes = checkKubernetes(plan.resources, planned.config.cluster);
    const packInfo = await info;
    mark("kubernetes objects validated");
    const blocked =
      kubernetesBlocks(kubernetes) ||
      violations.some((v) => v.enforcement === "mandatory" || v.enforcement === "remediate");
    return {
      ...base,
      at: at.toISOString(),
      decision: blocked ? "no-go" : "go",
      resourceCount: plan.resources.length,
      violations,
      notRun,
      notApplicable: analysis.notApplicable.map((n) => ({ policy: n.policyName, reason: n.reason })),
      pack: {
        name: packInfo.name,
        version: packInfo.version,
        policies: packInfo.policies.length,
        configFile: configFile ? path.relative(o.dir, configFile) : undefined,
      },
      kubernetes,
      plan,
    };
  } finally {
    if (!o.evaluator) evaluator.close();
  }
}

const CANT_RUN = /^can't run policy '([^']+)' from policy pack '[^']+' during preview: (.*)$/s;

/**
 * The pack turns a policy that read an unknown value into an advisory "can't run … during preview"
 * (@pulumi/policy server.js, UnknownValueError): not a violation, but a check that did not happen.
 */
export function splitNotRun(all: Violation[], config: PolicyConfig): { violations: Violation[]; notRun: NotRun[] } {
  const violations: Violation[] = [];
  const notRun: NotRun[] = [];
  for (const v of all) {
    const m = CANT_RUN.exec(v.message);
    if (!m) violations.push(v);
    else
      notRun.push({
        policy: v.policy,
        enforcement: config[v.policy]?.enforcementLevel ?? v.enforcement,
        resourceType: v.resourceType,
        resourceName: v.resourceName,
        urn: v.urn,
        reason: m[2],
      });
  }
  return { violations, notRun };
}

/**
 * The resource policies and the stack policies over the plan's resources in one pack session, at once: the
 * verdicts of one never depend on the other (the engine too sends analyzeStack only after every analyze).
 */
async function analyzePlan(
  evaluator: Evaluator,
  files: StackFiles,
  policyConfig: PolicyConfig,
  resources: CapturedResource[],
): Promise<Analysis> {
  return evaluator.session(files, policyConfig, (s) => s.analyzeAll(resources));
}

/** The blocking and advisory findings of a report in one list: policy violations, then Kubernetes findings. */
export function gateViolations(r: GateReport): { policy: string; enforcement: string; message: string }[] {
  return [
    ...r.violations.map((v) => ({ policy: v.policy, enforcement: v.enforcement, message: v.message })),
    ...(r.kubernetes ? kubernetesFindings(r.kubernetes, r.stack) : []).map((f) => ({
      policy: f.check,
      enforcement: "mandatory",
      message: f.message,
    })),
  ];
}
