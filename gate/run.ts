/**
 * The offline readiness gate: stack files → config validation → the real program under mocks → the real
 * policy pack over the analyzer protocol → a go/no-go decision. The policy pack process starts while the
 * program runs, so the two halves overlap.
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { ConfigProblem } from "../config/load";
import {
  type Enforcement,
  type PackInfo,
  PolicyPackError,
  PolicyPackProcess,
  resolvePolicyConfig,
  type Severity,
} from "./analyzer";
import type { CapturedPlan } from "./capture";
import { type Program, planStack } from "./plan";
import { loadStackFiles } from "./stackfiles";

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
  notApplicable: { policy: string; reason: string }[];
  pack?: { name: string; version: string; policies: number; configFile?: string };
  plan?: CapturedPlan;
}

const ENFORCEMENT_ORDER: Record<Enforcement, number> = { mandatory: 0, remediate: 1, advisory: 2, disabled: 3 };

export async function runGate(o: GateOptions): Promise<GateReport> {
  let at = o.at instanceof Date ? o.at : new Date();
  const packDir = o.packDir ?? path.join(o.dir, "policy");
  const configFile = o.policyConfigFile ?? [path.join(packDir, "config", `${o.stack}.json`)].find(existsSync);
  const files = loadStackFiles(o.dir, o.stack, o.overrides);
  const base: GateReport = {
    stack: o.stack,
    decision: "go",
    at: "",
    resourceCount: 0,
    placeholders: files.placeholders,
    problems: [],
    violations: [],
    notApplicable: [],
  };

  // Start the pack first: it needs only the config, and it loads while the program runs.
  const packPromise = PolicyPackProcess.start({
    packDir,
    project: files.project,
    stack: o.stack,
    config: files.config,
    secretKeys: files.secretKeys,
  });
  packPromise.catch(() => undefined);
  let pack: PolicyPackProcess | undefined;
  try {
    const planned = await planStack({ dir: o.dir, stack: o.stack, overrides: o.overrides, program: o.program });
    if (!planned.ok) return { ...base, at: at.toISOString(), decision: "invalid-config", problems: planned.problems };
    const plan = planned.plan;
    if (o.at === "window") at = new Date(planned.config.release.window.start);
    pack = await packPromise;
    const info: PackInfo = await pack.info();
    let file: Record<string, never> = {};
    if (configFile) {
      try {
        file = JSON.parse(readFileSync(configFile, "utf8"));
      } catch (e) {
        throw new PolicyPackError(`${configFile}: not valid JSON: ${(e as Error).message}`);
      }
    }
    await pack.configure(resolvePolicyConfig(info, file, { "release-window": { at: at.toISOString() } }));
    const analysis = await pack.analyzeAll(plan.resources);
    const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
    const violations: Violation[] = analysis.diagnostics
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
    return {
      ...base,
      at: at.toISOString(),
      decision: violations.some((v) => v.enforcement === "mandatory" || v.enforcement === "remediate") ? "no-go" : "go",
      resourceCount: plan.resources.length,
      violations,
      notApplicable: analysis.notApplicable.map((n) => ({ policy: n.policyName, reason: n.reason })),
      pack: {
        name: info.name,
        version: info.version,
        policies: info.policies.length,
        configFile: configFile ? path.relative(o.dir, configFile) : undefined,
      },
      plan,
    };
  } finally {
    if (pack) pack.close();
    else packPromise.then((p) => p.close()).catch(() => undefined);
  }
}
