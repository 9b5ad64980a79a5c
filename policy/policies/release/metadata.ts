import { stackPolicy } from "../../lib/define";
import { stackConfig } from "../../lib/stack-config";

export const RELEASE_FIELDS = ["version", "commit", "approver", "onCall", "rollbackOwner"];

export const releaseMetadata = stackPolicy({
  name: "release-metadata",
  description: "The release names its version, commit, approver, on-call engineer and rollback owner (runbook 001 §1).",
  area: "release",
  runbook: "Release window approved; on-call and rollback owner assigned",
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps: "pulumi config set --path app:release.<field> <value>",
  validateStack: (_args, report) => {
    const release = stackConfig().release ?? {};
    const missing = RELEASE_FIELDS.filter((f) => typeof release[f] !== "string" || release[f].trim() === "");
    if (missing.length > 0) report(`app:release is missing ${missing.join(", ")}.`);
  },
});
