import { LABEL } from "@app-rollout/shared";
import { stackPolicy } from "../../lib/define";
import { migrationJobs } from "../../lib/props";
import { stackConfig } from "../../lib/stack-config";

/** Human-owned release fields (the stack config); the version and commit are release keys, read from the plan. */
export const RELEASE_FIELDS = ["approver", "onCall", "rollbackOwner"];

export const releaseMetadata = stackPolicy({
  name: "release-metadata",
  description:
    "The release names its approver, on-call engineer and rollback owner (stack config), and its version and commit (the migration Job's rollout/release-id and rollout/commit labels) — runbook 001 §1.",
  area: "release",
  readiness: ["release-approval"],
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps: "pulumi config set --path app:release.<field> <value>",
  validateStack: (args, report) => {
    const release = stackConfig().release ?? {};
    const missing = RELEASE_FIELDS.filter((f) => typeof release[f] !== "string" || release[f].trim() === "");
    if (missing.length > 0) report(`app:release is missing ${missing.join(", ")}.`);
    for (const job of migrationJobs(args.resources)) {
      const labels = job.props.metadata?.labels ?? {};
      const absent = [LABEL.releaseId, LABEL.commit].filter((l) => !labels[l]);
      if (absent.length > 0)
        report(`migration Job ${job.props.metadata?.name} does not name its release (${absent.join(", ")}).`, job.urn);
    }
  },
});
