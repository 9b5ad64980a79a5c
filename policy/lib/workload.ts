/** A resource policy over every container of every workload (Deployment, StatefulSet, Job). */
import type { ReportViolation, ResourceValidationArgs } from "@pulumi/policy";
import { containers, items, type Props, podSpec, T, WORKLOAD_TYPES } from "./props";

export function forEachContainer(
  check: (c: Props, pod: Props, args: ResourceValidationArgs) => string | undefined,
  opts: { skipJobs?: boolean; skipInit?: boolean } = {},
): (args: ResourceValidationArgs, report: ReportViolation) => void {
  return (args, report) => {
    if (!WORKLOAD_TYPES.includes(args.type) || (opts.skipJobs && args.type === T.job)) return;
    const pod = podSpec(args.props) ?? {};
    const list = opts.skipInit ? items(pod.containers) : containers(args.props);
    for (const c of list) {
      const problem = check(c, pod, args);
      if (problem) report(`container ${c.name}: ${problem}`);
    }
  };
}
