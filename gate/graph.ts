/**
 * The deployment order of a plan's key resources (pre-release snapshot, migration Job, Deployments,
 * smoke test, listeners) as a Mermaid graph: an edge b → a when a waits for b, directly or through
 * resources that are not key resources (transitive reduction over the key set).
 */
import type { CapturedPlan, CapturedResource } from "./capture";

const KEY_TYPES = [
  "aws:rds/snapshot:Snapshot",
  "kubernetes:batch/v1:Job",
  "kubernetes:apps/v1:Deployment",
  "command:local:Command",
  "aws:lb/listener:Listener",
];

function reach(plan: CapturedPlan, from: CapturedResource): Set<string> {
  const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
  const seen = new Set<string>();
  const todo = [...from.dependencies];
  while (todo.length) {
    const u = todo.pop()!;
    if (seen.has(u)) continue;
    seen.add(u);
    todo.push(...(byUrn.get(u)?.dependencies ?? []));
  }
  return seen;
}

export function keyEdges(plan: CapturedPlan): [CapturedResource, CapturedResource][] {
  const keys = plan.resources.filter((r) => KEY_TYPES.includes(r.type));
  const reachable = new Map(keys.map((k) => [k.urn, reach(plan, k)]));
  const edges: [CapturedResource, CapturedResource][] = [];
  for (const a of keys) {
    const ra = reachable.get(a.urn)!;
    for (const b of keys) {
      if (a === b || !ra.has(b.urn)) continue;
      const viaOther = keys.some((c) => c !== a && c !== b && ra.has(c.urn) && reachable.get(c.urn)!.has(b.urn));
      if (!viaOther) edges.push([b, a]);
    }
  }
  return edges;
}

const LABEL: Record<string, string> = {
  "aws:rds/snapshot:Snapshot": "snapshot",
  "kubernetes:batch/v1:Job": "Job",
  "kubernetes:apps/v1:Deployment": "Deployment",
  "command:local:Command": "command",
  "aws:lb/listener:Listener": "listener",
};

export function mermaid(plan: CapturedPlan): string {
  const edges = keyEdges(plan);
  const nodes = new Map<string, CapturedResource>();
  for (const [b, a] of edges) {
    nodes.set(b.urn, b);
    nodes.set(a.urn, a);
  }
  const id = (r: CapturedResource) => r.name.replace(/[^A-Za-z0-9]/g, "_");
  const lines = ["graph LR"];
  for (const r of [...nodes.values()].sort((x, y) => x.name.localeCompare(y.name)))
    lines.push(`  ${id(r)}["${LABEL[r.type] ?? r.type} ${r.name}"]`);
  for (const [b, a] of edges.sort((x, y) => x[0].name.localeCompare(y[0].name) || x[1].name.localeCompare(y[1].name)))
    lines.push(`  ${id(b)} --> ${id(a)}`);
  return lines.join("\n");
}
