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
