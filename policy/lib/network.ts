/**
 * NetworkPolicy semantics (Kubernetes `networking.k8s.io/v1`, docs "Network Policies": a pod is isolated
 * for a direction once any policy selecting it lists that direction in `policyTypes`; it then admits a
 * connection only when some selecting policy has a rule whose peers and ports both match; policies are
 * additive). Peers here are pods of the same namespace (`podSelector` without `namespaceSelector`) or,
 * for DNS, any pod of a namespace matched by labels.
 */
import type { PolicyResource } from "@pulumi/policy";
import { items, type Props } from "./props";

export const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

type Labels = Record<string, string>;

/** `matchLabels` and `matchExpressions` of a label selector against a set of labels (`{}` selects all). */
export function selects(selector: Props | undefined, labels: Labels): boolean {
  if (!selector) return false;
  const byLabels = Object.entries((selector.matchLabels ?? {}) as Labels).every(([k, v]) => labels[k] === v);
  const byExpressions = items(selector.matchExpressions).every((e) => {
    const has = Object.hasOwn(labels, e.key);
    const values: unknown[] = Array.isArray(e.values) ? e.values : [];
    if (e.operator === "In") return has && values.includes(labels[e.key]);
    if (e.operator === "NotIn") return !has || !values.includes(labels[e.key]);
    if (e.operator === "Exists") return has;
    if (e.operator === "DoesNotExist") return !has;
    return false;
  });
  return byLabels && byExpressions;
}

export interface Endpoint {
  namespace: string;
  labels: Labels;
}

export interface Connection {
  from: Endpoint;
  to: Endpoint;
  protocol: "TCP" | "UDP";
  /** The destination port: its number and, when the container names it, its name. */
  port: { number: number; name?: string };
}

function portMatches(ports: unknown, c: Connection): boolean {
  if (!Array.isArray(ports) || ports.length === 0) return true;
  return items(ports).some((p) => {
    if ((p.protocol ?? "TCP") !== c.protocol) return false;
    if (p.port === undefined) return true;
    if (typeof p.port === "string") return p.port === c.port.name;
    const end = typeof p.endPort === "number" ? p.endPort : p.port;
    return p.port <= c.port.number && c.port.number <= end;
  });
}

function peerMatches(peers: unknown, other: Endpoint, self: Endpoint, namespaceLabels: Labels): boolean {
  if (!Array.isArray(peers) || peers.length === 0) return true;
  return items(peers).some((peer) => {
    if (peer.ipBlock) return false; // pod-to-pod traffic is judged by pod and namespace peers
    const nsOk = peer.namespaceSelector
      ? selects(peer.namespaceSelector, namespaceLabels)
      : other.namespace === self.namespace;
    return nsOk && (peer.podSelector === undefined || selects(peer.podSelector, other.labels));
  });
}

function policiesFor(nps: PolicyResource[], pod: Endpoint, direction: "Ingress" | "Egress"): Props[] {
  return nps
    .map((n) => n.props)
    .filter((p) => p.metadata?.namespace === pod.namespace && selects(p.spec?.podSelector, pod.labels))
    .filter((p) => {
      const types = p.spec?.policyTypes;
      return Array.isArray(types) ? types.includes(direction) : direction === "Ingress" || p.spec?.egress !== undefined;
    });
}

/**
 * Whether the policies let `c` through in one direction: the destination admits it (Ingress) or the source
 * may send it (Egress). `namespaceLabels` are the labels of the other end's namespace.
 */
export function allows(
  nps: PolicyResource[],
  c: Connection,
  direction: "Ingress" | "Egress",
  namespaceLabels: Labels,
): boolean {
  const self = direction === "Ingress" ? c.to : c.from;
  const other = direction === "Ingress" ? c.from : c.to;
  const selecting = policiesFor(nps, self, direction);
  if (selecting.length === 0) return true;
  const key = direction === "Ingress" ? "ingress" : "egress";
  const peersKey = direction === "Ingress" ? "from" : "to";
  return selecting.some((p) =>
    items(p.spec?.[key]).some(
      (rule) => peerMatches(rule[peersKey], other, self, namespaceLabels) && portMatches(rule.ports, c),
    ),
  );
}
