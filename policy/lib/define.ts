/**
 * What every readiness policy carries beyond the CrossGuard fields: the runbook checklist item it
 * enforces. Policies are plain objects (one per file) so the pack, the offline gate and the docs generator
 * can all load them; only policy/index.ts constructs the PolicyPack.
 */
import { READINESS, type ReadinessId } from "@app-rollout/shared";
import type { EnforcementLevel, ResourceValidationPolicy, Severity, StackValidationPolicy } from "@pulumi/policy";

export type Area = "data" | "edge" | "workloads" | "secrets" | "observability" | "release";

export interface ReadinessMeta {
  /**
   * The readiness registry items this policy enforces (shared/src/readiness.ts). Each needs a violating
   * fixture of this policy for that item (test/policy/readiness.test.ts).
   */
  readiness: readonly ReadinessId[];
  area: Area;
  severity: Severity;
  remediationSteps: string;
  enforcementLevel: EnforcementLevel;
}

export type ReadinessResourcePolicy = ResourceValidationPolicy & ReadinessMeta;
export type ReadinessStackPolicy = StackValidationPolicy & ReadinessMeta;
export type ReadinessPolicy = ReadinessResourcePolicy | ReadinessStackPolicy;

const DOCS = "docs/policies.md";

/** The CrossGuard tags: the area and one `readiness:<id>` per item. */
function tagsOf(p: ReadinessMeta): string[] {
  return [p.area, ...p.readiness.map((id) => `readiness:${id}`)];
}

/** The checklist items' titles, as docs and messages name them. */
export function runbookItems(p: ReadinessMeta): string {
  return p.readiness.map((id) => READINESS[id].title).join("; ");
}

/** Fills the derived CrossGuard metadata (url, tags) from the readiness metadata. */
export function resourcePolicy(p: Omit<ReadinessResourcePolicy, "url" | "tags">): ReadinessResourcePolicy {
  return { ...p, url: `${DOCS}#${p.name}`, tags: tagsOf(p) };
}

export function stackPolicy(p: Omit<ReadinessStackPolicy, "url" | "tags">): ReadinessStackPolicy {
  return { ...p, url: `${DOCS}#${p.name}`, tags: tagsOf(p) };
}
