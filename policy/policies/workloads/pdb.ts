import { stackPolicy } from "../../lib/define";
import { ofType, type Props, T } from "../../lib/props";

function selects(selector: Props | undefined, labels: Props): boolean {
  const match = selector?.matchLabels as Props | undefined;
  return !!match && Object.entries(match).every(([k, v]) => labels[k] === v);
}

export const workloadsPdb = stackPolicy({
  name: "workloads-pdb",
  description:
    "Every Deployment has a PodDisruptionBudget that still allows a voluntary disruption (node drains do not hang).",
  area: "workloads",
  readiness: ["zero-downtime"],
  severity: "medium",
  enforcementLevel: "mandatory",
  remediationSteps: "Add a PodDisruptionBudget with maxUnavailable: 1 selecting the Deployment's pods.",
  validateStack: (args, report) => {
    const pdbs = ofType(args.resources, T.pdb);
    for (const d of ofType(args.resources, T.deployment)) {
      if (d.props.spec?.replicas === 0) continue;
      const labels = d.props.spec?.template?.metadata?.labels ?? {};
      const pdb = pdbs.find(
        (p) => p.props.metadata?.namespace === d.props.metadata?.namespace && selects(p.props.spec?.selector, labels),
      );
      if (!pdb) {
        report(`Deployment ${d.props.metadata?.name} has no PodDisruptionBudget.`, d.urn);
        continue;
      }
      const s = pdb.props.spec ?? {};
      const blocks =
        s.maxUnavailable === 0 ||
        s.maxUnavailable === "0%" ||
        s.minAvailable === "100%" ||
        (typeof s.minAvailable === "number" &&
          typeof d.props.spec?.replicas === "number" &&
          s.minAvailable >= d.props.spec.replicas);
      if (blocks)
        report(
          `PodDisruptionBudget ${pdb.props.metadata?.name} allows no disruption: node drains would hang.`,
          pdb.urn,
        );
    }
  },
});
