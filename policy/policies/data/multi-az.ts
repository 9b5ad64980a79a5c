import { resourcePolicy } from "../../lib/define";
import { isType, T } from "../../lib/props";

export const dataMultiAz = resourcePolicy({
  name: "data-multi-az",
  description: "Databases run multi-AZ (a standby in another zone).",
  area: "data",
  readiness: ["multi-az"],
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps: "Set app:database.multiAz: true (the prod default).",
  validateResource: (args, report) => {
    if (!isType(args, T.rdsInstance)) return;
    if (args.props.multiAz !== true) report("multiAz is not true: a zone failure takes the database down.");
  },
});
