/**
 * Whether a pod can reach a color's API pods through its Service, under the namespace's NetworkPolicies
 * (Kubernetes semantics: https://kubernetes.io/docs/concepts/services-networking/network-policies/ — a pod
 * selected by a policy of a type is isolated for that direction and admits only what some rule allows; a
 * rule without `from`/`to` admits all peers, without `ports` all ports; rules are unions). Only the
 * selectors this program uses are modelled: podSelector.matchLabels in the same namespace.
 */
import type { Color } from "../../components/blue-green";
import type { StateResource } from "./backend";

type Labels = Record<string, string>;
interface Peer {
  podSelector?: { matchLabels?: Labels };
  namespaceSelector?: unknown;
  ipBlock?: unknown;
}
interface Rule {
  from?: Peer[];
  to?: Peer[];
  ports?: { port?: number | string; protocol?: string }[];
}
interface PolicySpec {
  podSelector?: { matchLabels?: Labels };
  policyTypes?: string[];
  ingress?: Rule[];
  egress?: Rule[];
}

const matches = (selector: Labels | undefined, labels: Labels) =>
  Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);

function admits(rules: Rule[] | undefined, peerKey: "from" | "to", peer: Labels, port: number): boolean {
  return (rules ?? []).some((r) => {
    const peers = r[peerKey];
    const peerOk =
      !peers || peers.length === 0 || peers.some((p) => p.podSelector && matches(p.podSelector.matchLabels, peer));
    const portOk =
      !r.ports || r.ports.length === 0 || r.ports.some((p) => p.port === undefined || Number(p.port) === port);
    return peerOk && portOk;
  });
}

export function reachable(
  state: StateResource[],
  source: Labels,
  color: Color | undefined,
  port: number,
): { ok: true } | { ok: false; why: string } {
  if (!color) return { ok: false, why: "the URL names no color's Service" };
  const deployment = state.find(
    (r) =>
      r.type === "kubernetes:apps/v1:Deployment" && (r.inputs.metadata as { name?: string })?.name === `api-${color}`,
  );
  const service = state.find(
    (r) => r.type === "kubernetes:core/v1:Service" && (r.inputs.metadata as { name?: string })?.name === `api-${color}`,
  );
  if (!deployment || !service) return { ok: false, why: `no Deployment and Service api-${color}` };
  const pod = ((deployment.inputs.spec as { template?: { metadata?: { labels?: Labels } } })?.template?.metadata
    ?.labels ?? {}) as Labels;
  const policies = state
    .filter((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy")
    .map((r) => r.inputs.spec as PolicySpec);
  const selecting = (labels: Labels, type: string) =>
    policies.filter(
      (p) => (p.policyTypes ?? ["Ingress"]).includes(type) && matches(p.podSelector?.matchLabels, labels),
    );
  const egress = selecting(source, "Egress");
  if (egress.length > 0 && !egress.some((p) => admits(p.egress, "to", pod, port)))
    return { ok: false, why: `no NetworkPolicy lets the smoke pod out to api-${color} pods on port ${port}` };
  const ingress = selecting(pod, "Ingress");
  if (ingress.length > 0 && !ingress.some((p) => admits(p.ingress, "from", source, port)))
    return { ok: false, why: `no NetworkPolicy admits the smoke pod into api-${color} pods on port ${port}` };
  return { ok: true };
}
