import { stackPolicy } from "../../lib/define";
import { ofType, refersTo, T } from "../../lib/props";

const BLOCKS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;

export const dataBucketPublicAccess = stackPolicy({
  name: "data-bucket-public-access",
  description: "Every S3 bucket has all four public access blocks.",
  area: "data",
  readiness: ["no-public-data"],
  severity: "critical",
  enforcementLevel: "mandatory",
  remediationSteps: "Add an aws.s3.BucketPublicAccessBlock with all four settings true for the bucket.",
  validateStack: (args, report) => {
    const blocks = ofType(args.resources, T.publicAccessBlock);
    for (const bucket of ofType(args.resources, T.bucket)) {
      const block = blocks.find((b) =>
        refersTo(b, "bucket", bucket, [() => bucket.props.id, () => bucket.props.bucket]),
      );
      if (!block) {
        report(`bucket ${bucket.name} has no public access block.`, bucket.urn);
        continue;
      }
      const open = BLOCKS.filter((k) => block.props[k] !== true);
      if (open.length > 0) report(`bucket ${bucket.name}: ${open.join(", ")} not true.`, bucket.urn);
    }
  },
});
