import type { PolicyResource } from "@pulumi/policy";
import { stackPolicy } from "../../lib/define";
import { containers, ofType, type Props, peek, referenced, str, T, UNKNOWN } from "../../lib/props";

const EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret";
const LONG_RUNNING: string[] = [T.deployment, T.statefulSet];

/** Secrets Manager references an ExternalSecret reads (data[].remoteRef.key, dataFrom[].extract.key); UNKNOWN when computed. */
function remoteKeys(es: PolicyResource): (string | typeof UNKNOWN)[] {
  const spec = es.props.spec ?? {};
  const keys = [
    ...((Array.isArray(spec.data) ? spec.data : []) as Props[]).map((d) => str(() => d?.remoteRef?.key)),
    ...((Array.isArray(spec.dataFrom) ? spec.dataFrom : []) as Props[]).map((d) => str(() => d?.extract?.key)),
  ];
  return keys.filter((k): k is string | typeof UNKNOWN => k !== undefined);
}

/**
 * `namespace/name` of every Kubernetes Secret that ESO fills from an RDS-managed master user secret: a key
 * equal to an instance's `masterUserSecrets[].secretArn`, or (a preview: the ARN is computed) a key
 * unknown while the ExternalSecret's spec depends on an RDS instance — the only secret RDS creates.
 */
function masterSecrets(resources: PolicyResource[]): Map<string, string> {
  const instances = ofType(resources, T.rdsInstance);
  const masters = new Set(
    instances.flatMap((db) => {
      const list = peek(() => (db.props.masterUserSecrets ?? []) as Props[]);
      return Array.isArray(list) ? list.map((x) => str(() => x?.secretArn)).filter((a) => typeof a === "string") : [];
    }),
  );
  const out = new Map<string, string>();
  for (const es of ofType(resources, EXTERNAL_SECRET)) {
    const fromDb = referenced(es, "spec", resources, T.rdsInstance).length > 0;
    if (!remoteKeys(es).some((k) => (k === UNKNOWN ? fromDb : masters.has(k)))) continue;
    const target = es.props.spec?.target?.name ?? es.props.metadata?.name;
    out.set(`${es.props.metadata?.namespace}/${target}`, es.name);
  }
  return out;
}

function secretsRead(workload: PolicyResource): string[] {
  return containers(workload.props)
    .flatMap((c) => [
      ...((Array.isArray(c.envFrom) ? c.envFrom : []) as Props[]).map((e) => e?.secretRef?.name),
      ...((Array.isArray(c.env) ? c.env : []) as Props[]).map((e) => e?.valueFrom?.secretKeyRef?.name),
    ])
    .filter((n): n is string => typeof n === "string");
}

export const secretsDbLeastPrivilege = stackPolicy({
  name: "secrets-db-least-privilege",
  description:
    "Long-running workloads (Deployments, StatefulSets) never read the RDS master user's credentials: they connect as a least-privilege user; the master secret reaches Jobs only (migration, db-users), which read it when they start.",
  area: "secrets",
  readiness: ["least-privilege"],
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Mount AppSecrets.dbSecretName (the read-write user of the current generation, created by the db-users Job) instead of the master Secret. RDS rotates the master password every 7 days and a pod reads its environment once: a pod holding it fails to connect after the rotation.",
  validateStack: (args, report) => {
    const masters = masterSecrets(args.resources);
    if (masters.size === 0) args.notApplicable("no ExternalSecret reads an RDS-managed master user secret");
    for (const w of args.resources.filter((r) => LONG_RUNNING.includes(r.type))) {
      const ns = w.props.metadata?.namespace;
      for (const name of secretsRead(w)) {
        const es = masters.get(`${ns}/${name}`);
        if (es)
          report(
            `${w.name} reads Secret ${name} (ExternalSecret ${es}), the RDS master user's credentials: RDS rotates that password every 7 days and the pods keep the old one. Connect as the least-privilege user instead.`,
            w.urn,
          );
      }
    }
  },
});
