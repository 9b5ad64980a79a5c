import { LABEL } from "@app-rollout/shared";
import { stackPolicy } from "../../lib/define";
import { apiDeployments, dependsOn, migrationJobs, ofType, T } from "../../lib/props";

/** components/integrity-checks.ts INTEGRITY_COMPONENT (the pack is self-contained: it does not import components). */
const INTEGRITY = "integrity-checks";

export const dataIntegrityBeforeTraffic = stackPolicy({
  name: "data-integrity-before-traffic",
  description:
    "After the release's migration, data integrity checks run (a Job depending on the migration Job) and the color that waits for the migration waits for them too, so a migration that corrupts data fails the up before that color gets traffic.",
  area: "data",
  readiness: ["integrity-after-migration"],
  severity: "critical",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Keep app:database.integrityChecks non-empty (program/workloads.ts runs them as IntegrityChecks after the MigrationJob) and make the color under test depend on the checks' Job, not on the migration alone.",
  validateStack: (args, report) => {
    const migrations = migrationJobs(args.resources);
    if (migrations.length === 0) args.notApplicable("no migration Job in the plan");
    const verifies = ofType(args.resources, T.job).filter((j) => {
      const labels = j.props.metadata?.labels ?? {};
      return labels[LABEL.component] === INTEGRITY && labels[LABEL.phase] === "verify";
    });
    for (const m of migrations) {
      const after = verifies.filter((v) => dependsOn(v, m));
      if (after.length === 0) {
        report(
          `no integrity checks run after migration Job ${m.name}: a migration that corrupts data would reach traffic.`,
          m.urn,
        );
        continue;
      }
      for (const d of apiDeployments(args.resources).filter((x) => dependsOn(x, m)))
        if (!after.some((v) => dependsOn(d, v)))
          report(
            `${d.name} rolls after migration Job ${m.name} without waiting for its integrity checks (${after.map((v) => v.name).join(", ")}).`,
            d.urn,
          );
    }
  },
});
