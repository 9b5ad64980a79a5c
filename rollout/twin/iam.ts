/**
 * Just enough IAM for the twin to decide whether a workload may call an API: the role its Kubernetes
 * service account names (IRSA annotation `eks.amazonaws.com/role-arn`, related by URN), that role's inline
 * policies, and the statements allowing an action — with a `StringEquals` condition on one key honoured
 * (e.g. `cloudwatch:namespace` for PutMetricData). Anything not allowed is denied (IAM's implicit deny).
 */
import type { StateResource } from "./backend";

interface Statement {
  Effect?: string;
  Action?: string | string[];
  Condition?: { StringEquals?: Record<string, string | string[]> };
}

function actionMatches(pattern: string, action: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`, "i");
  return re.test(action);
}

function statementAllows(st: Statement, action: string, context: Record<string, string>): boolean {
  if (st.Effect !== "Allow") return false;
  const actions = Array.isArray(st.Action) ? st.Action : [st.Action ?? ""];
  if (!actions.some((a) => actionMatches(a, action))) return false;
  return Object.entries(st.Condition?.StringEquals ?? {}).every(([key, want]) =>
    (Array.isArray(want) ? want : [want]).includes(context[key] ?? ""),
  );
}

/** Whether the service account `name` may call `action` with the given condition context. */
export function serviceAccountMay(
  state: StateResource[],
  serviceAccount: string,
  action: string,
  context: Record<string, string>,
): boolean {
  const sa = state.find(
    (r) =>
      r.type === "kubernetes:core/v1:ServiceAccount" &&
      (r.inputs.metadata as { name?: string })?.name === serviceAccount,
  );
  const roleUrns = new Set(sa?.propertyDependencies.metadata ?? []);
  const role = state.find((r) => r.type === "aws:iam/role:Role" && roleUrns.has(r.urn));
  if (!role) return false;
  const policies = state.filter(
    (r) => r.type === "aws:iam/rolePolicy:RolePolicy" && (r.propertyDependencies.role ?? []).includes(role.urn),
  );
  return policies.some((p) => {
    try {
      const doc = JSON.parse(String(p.inputs.policy)) as { Statement?: Statement[] };
      return (doc.Statement ?? []).some((st) => statementAllows(st, action, context));
    } catch {
      return false;
    }
  });
}
