import { TAG, threshold } from "@app-rollout/shared";
import { resourcePolicy } from "../../lib/define";
import { isSet, isType, T } from "../../lib/props";

/** components/database.ts RESTORE_STATE_TAG (the pack is self-contained: it does not import components). */
const RESTORE_STATE_TAG = TAG.restoreState;

export const dataDeletionSafety = resourcePolicy({
  name: "data-deletion-safety",
  description:
    "Databases take a final snapshot on delete, and (where required) have deletion protection and Pulumi `protect`.",
  area: "data",
  readiness: ["deletion-safety"],
  severity: "critical",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Keep skipFinalSnapshot false with a finalSnapshotIdentifier; in prod set deletionProtection: true and the resource option protect: true.",
  configSchema: {
    properties: {
      requireDeletionProtection: {
        type: "boolean",
        default: threshold("deletion-safety", "requireDeletionProtection", "prod"),
      },
      requireProtect: { type: "boolean", default: threshold("deletion-safety", "requireProtect", "prod") },
    },
  },
  validateResource: (args, report) => {
    if (!isType(args, T.rdsInstance)) return;
    const cfg = args.getConfig<{ requireDeletionProtection: boolean; requireProtect: boolean }>();
    if (args.props.skipFinalSnapshot === true)
      report("skipFinalSnapshot is true: deleting the instance would lose its data without a final snapshot.");
    else if (!isSet(() => args.props.finalSnapshotIdentifier))
      report("finalSnapshotIdentifier is not set: a delete would fail or lose the final snapshot.");
    if (cfg.requireDeletionProtection && args.props.deletionProtection !== true)
      report("deletionProtection is not true.");
    // A restored instance in clean-up (docs/restore.md step 1) drops `protect` on purpose so that the stack can
    // forget it (retain on delete); it must keep deletion protection, so AWS still refuses any delete.
    const retiring = args.props.tags?.[RESTORE_STATE_TAG] === "retiring";
    if (retiring && args.props.deletionProtection !== true)
      report("a restored instance in clean-up (retiring) must keep deletionProtection: true, the only guard left.");
    else if (cfg.requireProtect && args.opts.protect !== true && !retiring)
      report("the resource option protect is not set: `pulumi destroy` or a replacement could delete the database.");
  },
});
