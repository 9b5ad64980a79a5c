import { resourcePolicy } from "../../lib/define";
import { isType, T } from "../../lib/props";

export const dataNotPublic = resourcePolicy({
  name: "data-not-public",
  description: "Databases are never publicly accessible.",
  area: "data",
  readiness: ["no-public-data"],
  severity: "critical",
  enforcementLevel: "mandatory",
  remediationSteps: "Set publiclyAccessible: false and place the instance in private subnets.",
  validateResource: (args, report) => {
    if (!isType(args, T.rdsInstance)) return;
    if (args.props.publiclyAccessible === true)
      report("publiclyAccessible is true: the database gets a public endpoint.");
  },
});
