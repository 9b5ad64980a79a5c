/**
 * What every readiness policy carries beyond the CrossGuard fields: the runbook checklist item it
 * enforces. Policies are plain objects (one per file) so the pack, the offline gate and the docs generator
 * can all load them; only policy/index.ts constructs the PolicyPack.
 */
import type { EnforcementLevel, ResourceValidationPolicy, Severity, StackValidationPolicy } from "@pulumi/policy";

export type Area = "data" | "edge" | "workloads" | "secrets" | "observability" | "release";

export interface ReadinessMeta {
  /** The runbook checklist item this policy enforces (DESIGN.md readiness table). */
  runbook: string;
  area: Area;
  severity: Severity;
  remediationSteps: string;
  enforcementLevel: EnforcementLevel;
}

export type ReadinessResourcePolicy = ResourceValidationPolicy & ReadinessMeta;
export type ReadinessStackPolicy = StackValidationPolicy & ReadinessMeta;
export type ReadinessPolicy = ReadinessResourcePolicy | ReadinessStackPolicy;

const DOCS = "docs/policies.md";

/** Fills the derived CrossGuard metadata (url, tags) from the readiness metadata. */
export function resourcePolicy(p: Omit<ReadinessResourcePolicy, "url" | "tags">): ReadinessResourcePolicy {
  return { ...p, url: `${DOCS}#${p.name}`, tags: [p.area, `runbook:${p.runbook}`] };
}

export function stackPolicy(p: Omit<ReadinessStackPolicy, "url" | "tags">): ReadinessStackPolicy {
  return { ...p, url: `${DOCS}#${p.name}`, tags: [p.area, `runbook:${p.runbook}`] };
}
