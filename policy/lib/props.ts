/** Small readers over the untyped resource properties the engine sends. */

import { COMPONENT, type Color, isColor, LABEL, LISTENER_ROLE, TAG, UNKNOWN_VALUE } from "@app-rollout/shared";
import { type PolicyResource, type ResourceValidationArgs, UnknownValueError } from "@pulumi/policy";
import type { Typed, TypedArgs, TypeToken } from "./types";

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
  namespace: "kubernetes:core/v1:Namespace",
} as const;

export const WORKLOAD_TYPES: string[] = [T.deployment, T.statefulSet, T.job];

/** The resources of a type; of a known type token, with their properties typed (lib/types.ts). */
export function ofType<K extends TypeToken>(resources: PolicyResource[], type: K): Typed<K>[];
export function ofType(resources: PolicyResource[], type: string): PolicyResource[];
export function ofType(resources: PolicyResource[], type: string): PolicyResource[] {
  return resources.filter((r) => r.type === type);
}

/** Narrows a resource policy's arguments to a known type, its properties typed (lib/types.ts). */
export function isType<K extends TypeToken>(args: ResourceValidationArgs, type: K): args is TypedArgs<K> {
  return args.type === type;
}

/**
 * The object elements of an array property: none when it is absent or not an array, null and scalar
 * elements skipped. A malformed value is read as "no entries", never as a TypeError that fails the preview.
 */
export function items(v: unknown): Props[] {
  return Array.isArray(v) ? v.filter((x): x is Props => x !== null && typeof x === "object") : [];
}

/** The pod template spec of a workload (Deployment, StatefulSet, Job). */
export function podSpec(props: Props): Props | undefined {
  return props?.spec?.template?.spec;
}

export function containers(props: Props): Props[] {
  const spec = podSpec(props);
  return [...items(spec?.initContainers), ...items(spec?.containers)];
}

/** A database restored beside the live one (point in time or snapshot; tag `rollout/restore` from components/database.ts). */
export function isRestoredDatabase(db: PolicyResource): boolean {
  return Boolean(db.props.restoreToPointInTime || db.props.snapshotIdentifier || db.props.tags?.[TAG.restore]);
}

/**
 * The instance the application connects to: tag `rollout/db-role` = `primary` (components/database.ts
 * DB_ROLE_TAG; the pack does not import components), else (an older plan without the tag) not restored.
 * After a restore cutover it is the restored instance; the superseded original is no longer judged as it.
 */
export function isPrimaryDatabase(db: PolicyResource): boolean {
  const role = db.props.tags?.[TAG.dbRole];
  return role === undefined ? !isRestoredDatabase(db) : role === "primary";
}

/** The app's containers of a workload, without init containers (tooling such as the RDS CA bundle copy). */
export function appContainers(props: Props): Props[] {
  return items(podSpec(props)?.containers);
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

/**
 * A value that cannot be known during a preview: computed by a resource not created yet (its ARN, id,
 * address), or derived from one. Reading it through the pack's proxy throws UnknownValueError
 * (@pulumi/policy proxy.js), which would turn the whole policy into an advisory "can't run".
 */
export const UNKNOWN: unique symbol = Symbol("unknown during preview");
/** The engine's sentinel of an unknown string (@pulumi/policy proxy.js unknownStringValue), for UnknownValueError. */
export const UNKNOWN_STRING = UNKNOWN_VALUE;

/** Reads a value, or UNKNOWN instead of throwing when it is unknown (so a policy can fall back on a URN relation). */
export function peek<T>(read: () => T): T | typeof UNKNOWN {
  try {
    return read();
  } catch (e) {
    if (e instanceof UnknownValueError) return UNKNOWN;
    throw e;
  }
}

/**
 * Whether a property will hold a value: an unknown one will (a resource of the stack computes it, e.g. the
 * ARN of a KMS key created with it); empty, false and absent will not.
 */
export function isSet(read: () => unknown): boolean {
  const v = peek(read);
  return v === UNKNOWN || (v !== undefined && v !== null && v !== "" && v !== false);
}

/** A string when known; UNKNOWN when computed; undefined when absent. */
export function str(read: () => unknown): string | typeof UNKNOWN | undefined {
  const v = peek(read);
  return v === UNKNOWN ? UNKNOWN : v === undefined || v === null ? undefined : String(v);
}

/** The region an ARN names (`arn:aws:<service>:<region>:…`). */
export function arnRegion(arn: unknown): string | undefined {
  return typeof arn === "string" ? arn.split(":")[3] || undefined : undefined;
}

/**
 * The region a resource is in: its `region` input (declared before creation: the DR resources), else the
 * one its known ARN names; undefined in a preview of a resource in the provider's region.
 */
export function regionOf(r: PolicyResource): string | undefined {
  const region = str(() => r.props.region);
  return typeof region === "string" ? region : arnRegion(str(() => r.props.arn));
}

/** The resources of `type` that `from`'s property `prop` depends on (the engine's property dependencies). */
export function referenced(
  from: PolicyResource,
  prop: string,
  resources: PolicyResource[],
  type: string,
): PolicyResource[] {
  const urns = new Set((from.propertyDependencies[prop] ?? []).map((d) => d.urn));
  return resources.filter((r) => r.type === type && urns.has(r.urn));
}

/** Forward action weights of a listener: `[{arn, weight}]` (arn UNKNOWN in a preview), or undefined when it does not forward by weight. */
export function weightedTargets(props: Props): { arn: string | typeof UNKNOWN; weight: number }[] | undefined {
  const action = items(props.defaultActions).find((a) => a.type === "forward");
  const groups = action?.forward?.targetGroups;
  if (groups === undefined || groups === null) return undefined;
  return items(groups).map((g) => ({ arn: str(() => g.arn) ?? "", weight: Number(g.weight ?? 0) }));
}

/** The single forward target of a listener (`targetGroupArn`), if it forwards to exactly one group. */
export function singleTarget(props: Props): string | typeof UNKNOWN | undefined {
  const action = items(props.defaultActions).find((a) => a.type === "forward");
  return str(() => action?.targetGroupArn);
}

/**
 * The target groups a listener forwards to: matched by ARN when known, else (a preview) the target groups
 * its `defaultActions` depend on — the weights then cannot be told apart, only the set of groups.
 */
export function forwardedGroups(
  listener: PolicyResource,
  resources: PolicyResource[],
): { byArn: Map<string, PolicyResource>; referenced: PolicyResource[] } {
  const tgs = ofType(resources, T.targetGroup);
  const byArn = new Map<string, PolicyResource>();
  for (const g of tgs) {
    const arn = str(() => g.props.arn);
    if (typeof arn === "string") byArn.set(arn, g);
  }
  return { byArn, referenced: referenced(listener, "defaultActions", resources, T.targetGroup) };
}

/** `blue` / `green` from a target group's tags or name. */
export function colorOf(tg: PolicyResource): Color | undefined {
  const tag = tg.props.tags?.[TAG.color];
  if (isColor(tag)) return tag;
  const m = /-(blue|green)$/.exec(String(tg.props.name ?? tg.name));
  return m && isColor(m[1]) ? m[1] : undefined;
}

/**
 * Whether property `prop` of `from` refers to `to`: through the engine's property dependencies, or (for
 * outputs that were already known) by holding one of `to`'s identifiers.
 */
export function refersTo(
  from: PolicyResource,
  prop: string,
  to: PolicyResource,
  identifiers: (() => unknown)[] = [],
): boolean {
  if (from.propertyDependencies[prop]?.some((d) => d.urn === to.urn)) return true;
  // No URN relation: compare values, each read only if known (an unknown one matches nothing).
  const v = peek(() => from.props[prop]);
  if (v === UNKNOWN) return false;
  const values = Array.isArray(v) ? Array.from({ length: v.length }, (_, i) => peek(() => v[i])) : [v];
  return identifiers
    .map(peek)
    .some((id) => id !== undefined && id !== UNKNOWN && values.includes(id as (typeof values)[number]));
}

export type { Color };

/**
 * The production listener (tag `rollout/role: production`) and what its weights mean, as the program
 * states it on the resource (`rollout/live`, `rollout/under-test`): policies judge the plan, never the
 * release keys of the stack config, so the same pack process judges every stage of a release alike.
 */
export function productionListener(
  resources: PolicyResource[],
): { listener: PolicyResource; live?: Color; underTest?: Color } | undefined {
  const listener = resources.find(
    (r) => r.type === T.listener && r.props.tags?.[TAG.role] === LISTENER_ROLE.production,
  );
  if (!listener) return undefined;
  const tags = listener.props.tags ?? {};
  return {
    listener,
    live: isColor(tags[TAG.live]) ? tags[TAG.live] : undefined,
    underTest: isColor(tags[TAG.underTest]) ? tags[TAG.underTest] : undefined,
  };
}

/** The migration Jobs of the stack (label `app.kubernetes.io/component: migration`). */
export function migrationJobs(resources: PolicyResource[]): PolicyResource[] {
  return ofType(resources, T.job).filter((j) => j.props.metadata?.labels?.[LABEL.component] === COMPONENT.migration);
}

/** The smoke-test Jobs (label `app.kubernetes.io/component: smoke`, `rollout/color` the color they check). */
export function smokeJobs(resources: PolicyResource[]): PolicyResource[] {
  return ofType(resources, T.job).filter((j) => j.props.metadata?.labels?.[LABEL.component] === COMPONENT.smoke);
}

/** API Deployments (label `app.kubernetes.io/component: api`). */
export function apiDeployments(resources: PolicyResource[]): PolicyResource[] {
  return ofType(resources, T.deployment).filter((d) => d.props.metadata?.labels?.[LABEL.component] === COMPONENT.api);
}

export interface ForwardTarget {
  weight: number;
  group?: PolicyResource;
  color?: Color;
}

/**
 * The weighted forward of a listener, each entry with its target group and color: by ARN when known; in a
 * preview (ARNs computed) by the listener's tag `rollout/forward-order` (the color of each entry, stated by
 * components/production-listener.ts), whose claim is checked against the ARNs whenever they are known
 * (`mismatch`). Undefined entries: a preview without the tag, where weights cannot be matched to groups.
 */
export function forwardTargets(
  listener: PolicyResource,
  resources: PolicyResource[],
): { targets?: ForwardTarget[]; mismatch?: string } {
  const entries = weightedTargets(listener.props) ?? [];
  const order = String(listener.props.tags?.[TAG.forwardOrder] ?? "")
    .split(",")
    .filter(isColor);
  const { byArn, referenced: refs } = forwardedGroups(listener, resources);
  if (entries.every((t) => typeof t.arn === "string")) {
    const targets = entries.map((t) => {
      const group = byArn.get(t.arn as string);
      return { weight: t.weight, group, color: group && colorOf(group) };
    });
    const i = order.length ? targets.findIndex((t, k) => t.color !== order[k]) : -1;
    const mismatch =
      i >= 0
        ? `forward entry ${i} goes to ${targets[i].color ?? "a group outside the stack"}, but the tag rollout/forward-order says ${order[i]}`
        : undefined;
    return { targets, mismatch };
  }
  if (order.length !== entries.length) return {};
  return {
    targets: entries.map((t, k) => ({
      weight: t.weight,
      color: order[k],
      group: refs.find((g) => colorOf(g) === order[k]),
    })),
  };
}

/** Weight a weighted listener gives a color (0 when the color's target group is not in the forward). */
export function weightOf(listener: PolicyResource, color: Color, resources: PolicyResource[]): number | typeof UNKNOWN {
  const targets = forwardTargets(listener, resources).targets;
  if (!targets) return UNKNOWN;
  return targets.find((t) => t.color === color)?.weight ?? 0;
}
