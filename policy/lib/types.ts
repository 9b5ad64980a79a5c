/**
 * Typed views of the resource properties the policies read, per type token: only the fields a policy
 * reads, every one optional (a preview may omit any; @pulumi/policy turns an unknown into an
 * UnknownValueError on access). Type-only: zero runtime cost, and no provider package in the pack's
 * dependencies (policy/ imports only the packages it declares: test/policy/published-pack.test.ts) —
 * @pulumi/aws / @pulumi/kubernetes are hundreds of MB it never needs at run time. Instead the views are
 * checked against the provider argument and output types of this workspace's pinned providers at compile
 * time (test/policy/types.test.ts): a renamed or retyped provider field fails `npm run typecheck`.
 *
 * Views are type aliases (not interfaces) so they stay assignable to @pulumi/policy's `Record<string, any>`.
 */
import type { PolicyResource, ResourceValidationArgs } from "@pulumi/policy";
import { T } from "./props";

type Tags = Record<string, string>;

export type RdsInstanceView = {
  arn?: string;
  identifier?: string;
  backupRetentionPeriod?: number;
  deleteAutomatedBackups?: boolean;
  deletionProtection?: boolean;
  finalSnapshotIdentifier?: string;
  skipFinalSnapshot?: boolean;
  multiAz?: boolean;
  publiclyAccessible?: boolean;
  storageEncrypted?: boolean;
  kmsKeyId?: string;
  snapshotIdentifier?: string;
  restoreToPointInTime?: { restoreTime?: string; useLatestRestorableTime?: boolean };
  masterUserSecrets?: { kmsKeyId?: string; secretArn?: string; secretStatus?: string }[];
  tags?: Tags;
};
export type RdsSnapshotView = { dbSnapshotIdentifier?: string; dbInstanceIdentifier?: string; tags?: Tags };
export type BackupVaultView = { arn?: string; name?: string; kmsKeyArn?: string };
/** Rules are read element by element through `items()` (malformed elements are skipped). */
export type BackupPlanView = { name?: string; rules?: unknown };
export type BackupSelectionView = { resources?: string[]; planId?: string; iamRoleArn?: string };
export type VaultLockView = { backupVaultName?: string; minRetentionDays?: number; maxRetentionDays?: number };
export type RestoreTestingPlanView = { name?: string };
export type RestoreTestingSelectionView = {
  restoreTestingPlanName?: string;
  protectedResourceType?: string;
  protectedResourceArns?: string[];
  restoreMetadataOverrides?: Record<string, string>;
};
export type BucketView = { id?: string; bucket?: string; tags?: Tags };
export type PublicAccessBlockView = {
  bucket?: string;
  blockPublicAcls?: boolean;
  blockPublicPolicy?: boolean;
  ignorePublicAcls?: boolean;
  restrictPublicBuckets?: boolean;
};
export type ListenerView = {
  arn?: string;
  port?: number;
  protocol?: string;
  sslPolicy?: string;
  certificateArn?: string;
  region?: string;
  loadBalancerArn?: string;
  /** Read element by element through `items()`. */
  defaultActions?: unknown;
  tags?: Tags;
};
export type TargetGroupView = {
  arn?: string;
  arnSuffix?: string;
  name?: string;
  port?: number;
  healthCheck?: {
    enabled?: boolean;
    path?: string;
    matcher?: string;
    protocol?: string;
    interval?: number;
    healthyThreshold?: number;
    unhealthyThreshold?: number;
  };
  tags?: Tags;
};
export type LoadBalancerView = {
  securityGroups?: string[];
  enableDeletionProtection?: boolean;
  dropInvalidHeaderFields?: boolean;
  accessLogs?: { enabled?: boolean; bucket?: string };
  internal?: boolean;
};
export type IngressRuleView = {
  fromPort?: number;
  toPort?: number;
  cidrIpv4?: string;
  cidrIpv6?: string;
  prefixListId?: string;
  referencedSecurityGroupId?: string;
  securityGroupId?: string;
  ipProtocol?: string;
};
export type KmsKeyView = {
  arn?: string;
  enableKeyRotation?: boolean;
  deletionWindowInDays?: number;
  customerMasterKeySpec?: string;
};
export type SecretView = { kmsKeyId?: string; recoveryWindowInDays?: number; name?: string };
export type TopicView = { arn?: string; name?: string; kmsMasterKeyId?: string };
export type MetricAlarmView = {
  name?: string;
  metricName?: string;
  comparisonOperator?: string;
  threshold?: number;
  period?: number;
  evaluationPeriods?: number;
  datapointsToAlarm?: number;
  dimensions?: Record<string, string>;
  /** Read element by element through `items()`. */
  metricQueries?: unknown;
  actionsEnabled?: boolean;
  alarmActions?: string[];
};
export type CompositeAlarmView = { alarmName?: string; actionsEnabled?: boolean; alarmActions?: string[] };

type KubeMeta = { metadata?: { name?: string; namespace?: string; labels?: Tags; annotations?: Tags } };
/** A Kubernetes object with a spec: typed metadata; the spec stays JSON, read through the lib/ readers. */
export type KubeView = KubeMeta & {
  // biome-ignore lint/suspicious/noExplicitAny: Kubernetes specs are deep JSON read by lib/workload.ts and lib/network.ts
  spec?: Record<string, any>;
};
export type ConfigMapView = KubeMeta & { data?: Record<string, string> };
export type KubeSecretView = KubeMeta & { data?: Record<string, string>; stringData?: Record<string, string> };

/** The view of each type token the policies read. */
export type Views = {
  [T.rdsInstance]: RdsInstanceView;
  [T.rdsSnapshot]: RdsSnapshotView;
  [T.backupVault]: BackupVaultView;
  [T.backupPlan]: BackupPlanView;
  [T.backupSelection]: BackupSelectionView;
  [T.vaultLock]: VaultLockView;
  [T.restoreTestingPlan]: RestoreTestingPlanView;
  [T.restoreTestingSelection]: RestoreTestingSelectionView;
  [T.bucket]: BucketView;
  [T.publicAccessBlock]: PublicAccessBlockView;
  [T.listener]: ListenerView;
  [T.targetGroup]: TargetGroupView;
  [T.loadBalancer]: LoadBalancerView;
  [T.ingressRule]: IngressRuleView;
  [T.kmsKey]: KmsKeyView;
  [T.secret]: SecretView;
  [T.topic]: TopicView;
  [T.metricAlarm]: MetricAlarmView;
  [T.compositeAlarm]: CompositeAlarmView;
  [T.deployment]: KubeView;
  [T.statefulSet]: KubeView;
  [T.job]: KubeView;
  [T.configMap]: ConfigMapView;
  [T.k8sSecret]: KubeSecretView;
  [T.pdb]: KubeView;
  [T.hpa]: KubeView;
  [T.namespace]: KubeMeta;
};
export type TypeToken = keyof Views;

/** A stack resource of a known type, its properties typed. */
export type Typed<K extends TypeToken> = Omit<PolicyResource, "props"> & { props: Views[K] };
/** The arguments of a resource policy for a resource of a known type. */
export type TypedArgs<K extends TypeToken> = Omit<ResourceValidationArgs, "props"> & { props: Views[K] };
