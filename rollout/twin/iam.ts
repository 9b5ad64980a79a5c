/**
 * Just enough IAM for the twin to decide whether a workload may call an API: the role its Kubernetes
 * service account names (IRSA annotation `eks.amazonaws.com/role-arn`, related by URN), whose trust policy
 * must let exactly that service account assume it (`<issuer>:sub` = `system:serviceaccount:<ns>:<name>`),
 * that role's inline policies, and the statements on an action and resource — `StringEquals` conditions
 * honoured (e.g. `cloudwatch:namespace` for PutMetricData), an explicit Deny wins, anything not allowed is
 * denied (IAM policy evaluation logic). Not modelled: permission boundaries, SCPs, session policies.
 */
import type { StateResource } from "./backend";

interface Statement {
  Effect?: string;
  Action?: string | string[];
  Resource?: string | string[];
  Condition?: { StringEquals?: Record<string, string | string[]> };
}

function actionMatches(pattern: string, action: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`, "i");
  return re.test(action);
}

function statementMatches(st: Statement, action: string, resource: string, context: Record<string, string>): boolean {
  const actions = Array.isArray(st.Action) ? st.Action : [st.Action ?? ""];
  if (!actions.some((a) => actionMatches(a, action))) return false;
  const resources = Array.isArray(st.Resource) ? st.Resource : [st.Resource ?? ""];
  if (!resources.some((r) => actionMatches(r, resource))) return false;
  return Object.entries(st.Condition?.StringEquals ?? {}).every(([key, want]) =>
    (Array.isArray(want) ? want : [want]).includes(context[key] ?? ""),
  );
}

function trusts(role: StateResource, subject: string): boolean {
  try {
    const doc = JSON.parse(String(role.inputs.assumeRolePolicy)) as { Statement?: Statement[] };
    return (doc.Statement ?? []).some((st) => {
      if (st.Effect !== "Allow" || !actionMatches(String(st.Action), "sts:AssumeRoleWithWebIdentity")) return false;
      const eq = st.Condition?.StringEquals ?? {};
      const sub = Object.entries(eq).find(([k]) => k.endsWith(":sub"))?.[1];
      return (Array.isArray(sub) ? sub : [sub]).includes(subject);
    });
  } catch {
    return false;
  }
}

/** Whether the service account `name` may call `action` on `resource` with the given condition context. */
export function serviceAccountMay(
  state: StateResource[],
  serviceAccount: string,
  action: string,
  context: Record<string, string>,
  resource = "*",
): boolean {
  const sa = state.find(
    (r) =>
      r.type === "kubernetes:core/v1:ServiceAccount" &&
      (r.inputs.metadata as { name?: string })?.name === serviceAccount,
  );
  const namespace = (sa?.inputs.metadata as { namespace?: string } | undefined)?.namespace;
  const roleUrns = new Set(sa?.propertyDependencies.metadata ?? []);
  const role = state.find((r) => r.type === "aws:iam/role:Role" && roleUrns.has(r.urn));
  if (!role || !trusts(role, `system:serviceaccount:${namespace}:${serviceAccount}`)) return false;
  const statements = state
    .filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy" && (r.propertyDependencies.role ?? []).includes(role.urn))
    .flatMap((p) => {
      try {
        return (JSON.parse(String(p.inputs.policy)) as { Statement?: Statement[] }).Statement ?? [];
      } catch {
        return [];
      }
    })
    .filter((st) => statementMatches(st, action, resource, context));
  return statements.some((st) => st.Effect === "Allow") && !statements.some((st) => st.Effect === "Deny");
}
