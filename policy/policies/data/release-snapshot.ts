import { versionSlug } from "../../../components/names";
import { stackPolicy } from "../../lib/define";
import { ofType, T } from "../../lib/props";
import { stackConfig } from "../../lib/stack-config";

export const dataReleaseSnapshot = stackPolicy({
  name: "data-release-snapshot",
  description: "A pre-release snapshot of the database exists for the release in the stack config.",
  area: "data",
  runbook: "Production backup created before release",
  severity: "critical",
  enforcementLevel: "mandatory",
  remediationSteps: "Keep the ReleaseSnapshot component for app:release.version (identifier <db>-pre-<version>).",
  validateStack: (args, report) => {
    const version = stackConfig().release?.version;
    if (!version) args.notApplicable("no app:release.version in the stack config");
    const suffix = `-pre-${versionSlug(String(version))}`;
    const found = ofType(args.resources, T.rdsSnapshot).some((s) =>
      String(s.props.dbSnapshotIdentifier ?? "").endsWith(suffix),
    );
    if (!found)
      report(`no RDS snapshot named *${suffix} for release ${version}: the release would run without a fresh backup.`);
  },
});
