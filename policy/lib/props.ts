/** Small readers over the untyped resource properties the engine sends. */
import type { PolicyResource } from "@pulumi/policy";

// biome-ignore lint/suspicious/noExplicitAny: resource properties are untyped JSON from the engine
export type Props = Record<string, any>;

export const T = {
  rdsInstance: "aws:rds/instance:Instance",
  rdsSnapshot: "aws:rds/snapshot:Snapshot",
  backupVault: "aws:backup/vault:Vault",
  backupPlan: "aws:backup/plan:Plan",
  backupSelection: "aws:backup/selection:Selection",
  vaultLock: "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
  restoreTestingPlan: "aws:backup/restoreTestingPlan:RestoreTestingPlan",
  restoreTestingSelection: "aws:backup/restoreTestingSelection:RestoreTestingSelection",
  bucket: "aws:s3/bucket:Bucket",
  publicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  listener: "aws:lb/listener:Listener",
  targetGroup: "aws:lb/targetGroup:TargetGroup",
  loadBalancer: "aws:lb/loadBalancer:LoadBalancer",
  ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  kmsKey: "aws:kms/key:Key",
  secret: "aws:secretsmanager/secret:Secret",
  topic: "aws:sns/topic:Topic",
  metricAlarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  compositeAlarm: "aws:cloudwatch/compositeAlarm:CompositeAlarm",
  command: "command:local:Command",
  deployment: "kubernetes:apps/v1:Deployment",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  job: "kubernetes:batch/v1:Job",
  configMap: "kubernetes:core/v1:ConfigMap",
  k8sSecret: "kubernetes:core/v1:Secret",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
} as const;

export const WORKLOAD_TYPES: string[] = [T.deployment, T.statefulSet, T.job];

export function ofType(resources: PolicyResource[], type: string): PolicyResource[] {
  return resources.filter((r) => r.type === type);
}

/** The pod template spec of a workload (Deployment, StatefulSet, Job). */
export function podSpec(props: Props): Props | undefined {
  return props?.spec?.template?.spec;
}

export function containers(props: Props): Props[] {
  const spec = podSpec(props);
  return [
    ...((spec?.initContainers as Props[] | undefined) ?? []),
    ...((spec?.containers as Props[] | undefined) ?? []),
  ];
}

/** A database restored beside the live one (point in time or snapshot; tag `rollout/restore` from components/database.ts). */
export function isRestoredDatabase(db: PolicyResource): boolean {
  return Boolean(db.props.restoreToPointInTime || db.props.snapshotIdentifier || db.props.tags?.["rollout/restore"]);
}

/**
 * The instance the application connects to: tag `rollout/db-role` = `primary` (components/database.ts
 * DB_ROLE_TAG; the pack does not import components), else (an older plan without the tag) not restored.
 * After a restore cutover it is the restored instance; the superseded original is no longer judged as it.
 */
export function isPrimaryDatabase(db: PolicyResource): boolean {
  const role = db.props.tags?.["rollout/db-role"];
  return role === undefined ? !isRestoredDatabase(db) : role === "primary";
}

/** The app's containers of a workload, without init containers (tooling such as the RDS CA bundle copy). */
export function appContainers(props: Props): Props[] {
  return (podSpec(props)?.containers as Props[] | undefined) ?? [];
}

/** Whether `r` depends on `target`, directly or through other resources of the stack. */
export function dependsOn(r: PolicyResource, target: PolicyResource): boolean {
  const seen = new Set<string>();
  const todo = [...r.dependencies];
  while (todo.length > 0) {
    const d = todo.pop()!;
    if (d.urn === target.urn) return true;
    if (seen.has(d.urn)) continue;
    seen.add(d.urn);
    todo.push(...d.dependencies);
  }
  return false;
}

/** Forward action weights of a listener: `[{arn, weight}]`, or undefined when it does not forward by weight. */
export function weightedTargets(props: Props): { arn: string; weight: number }[] | undefined {
  const action = (props.defaultActions as Props[] | undefined)?.find((a) => a.type === "forward");
  const groups = action?.forward?.targetGroups as Props[] | undefined;
  return groups?.map((g) => ({ arn: String(g.arn), weight: Number(g.weight ?? 0) }));
}

/** The single forward target of a listener (`targetGroupArn`), if it forwards to exactly one group. */
export function singleTarget(props: Props): string | undefined {
  const action = (props.defaultActions as Props[] | undefined)?.find((a) => a.type === "forward");
  return action?.targetGroupArn ?? undefined;
}

/** `blue` / `green` from a target group's tags or name. */
export function colorOf(tg: PolicyResource): "blue" | "green" | undefined {
  const tag = tg.props.tags?.["rollout/color"];
  if (tag === "blue" || tag === "green") return tag;
  const m = /-(blue|green)$/.exec(String(tg.props.name ?? tg.name));
  return m ? (m[1] as "blue" | "green") : undefined;
}

/**
 * Whether property `prop` of `from` refers to `to`: through the engine's property dependencies, or (for
 * outputs that were already known) by holding one of `to`'s identifiers.
 */
export function refersTo(from: PolicyResource, prop: string, to: PolicyResource, identifiers: unknown[]): boolean {
  if (from.propertyDependencies[prop]?.some((d) => d.urn === to.urn)) return true;
  const v = from.props[prop];
  const values = Array.isArray(v) ? v : [v];
  return identifiers.some((id) => id !== undefined && values.includes(id));
}

export type Color = "blue" | "green";

function isColor(v: unknown): v is Color {
  return v === "blue" || v === "green";
}

/**
 * The production listener (tag `rollout/role: production`) and what its weights mean, as the program
 * states it on the resource (`rollout/live`, `rollout/under-test`): policies judge the plan, never the
 * release keys of the stack config, so the same pack process judges every stage of a release alike.
 */
export function productionListener(
  resources: PolicyResource[],
): { listener: PolicyResource; live?: Color; underTest?: Color } | undefined {
  const listener = resources.find((r) => r.type === T.listener && r.props.tags?.["rollout/role"] === "production");
  if (!listener) return undefined;
  const tags = listener.props.tags ?? {};
  return {
    listener,
    live: isColor(tags["rollout/live"]) ? tags["rollout/live"] : undefined,
    underTest: isColor(tags["rollout/under-test"]) ? tags["rollout/under-test"] : undefined,
  };
}

/** The migration Jobs of the stack (label `app.kubernetes.io/component: migration`). */
export function migrationJobs(resources: PolicyResource[]): PolicyResource[] {
  return ofType(resources, T.job).filter(
    (j) => j.props.metadata?.labels?.["app.kubernetes.io/component"] === "migration",
  );
}

/** The smoke-test Jobs (label `app.kubernetes.io/component: smoke`, `rollout/color` the color they check). */
export function smokeJobs(resources: PolicyResource[]): PolicyResource[] {
  return ofType(resources, T.job).filter((j) => j.props.metadata?.labels?.["app.kubernetes.io/component"] === "smoke");
}

/** API Deployments (label `app.kubernetes.io/component: api`). */
export function apiDeployments(resources: PolicyResource[]): PolicyResource[] {
  return ofType(resources, T.deployment).filter(
    (d) => d.props.metadata?.labels?.["app.kubernetes.io/component"] === "api",
  );
}

/** Weight a weighted listener gives a color (0 when the color's target group is not in the forward). */
export function weightOf(listener: PolicyResource, color: Color, targetGroups: PolicyResource[]): number {
  const tg = targetGroups.find((g) => colorOf(g) === color);
  const t = weightedTargets(listener.props)?.find((x) => tg && x.arn === String(tg.props.arn));
  return t?.weight ?? 0;
}
