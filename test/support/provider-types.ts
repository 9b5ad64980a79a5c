/**
 * Type-level helpers of test/policy/types.test.ts: the pinned providers' resource classes per type token,
 * their fields as the engine sends them, and the keys of a policy view that do not fit them.
 */
import type * as aws from "@pulumi/aws";
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { T } from "../../policy/lib/props";

/** A resource's fields as the engine sends them: its output properties, unwrapped. */
export type Fields<R> = { [K in keyof R]: R[K] extends pulumi.Output<infer U> ? U : never };

/** Keys of a view that the provider does not have, or whose provider type does not fit the view's. */
export type Mismatch<V, F> = {
  [K in keyof V]-?: K extends keyof F ? (NonNullable<F[K]> extends NonNullable<V[K]> ? never : K) : K;
}[keyof V];

/** The provider resource class of every type token the policies read. */
export type Providers = {
  [T.rdsInstance]: aws.rds.Instance;
  [T.rdsSnapshot]: aws.rds.Snapshot;
  [T.backupVault]: aws.backup.Vault;
  [T.backupPlan]: aws.backup.Plan;
  [T.backupSelection]: aws.backup.Selection;
  [T.vaultLock]: aws.backup.VaultLockConfiguration;
  [T.restoreTestingPlan]: aws.backup.RestoreTestingPlan;
  [T.restoreTestingSelection]: aws.backup.RestoreTestingSelection;
  [T.bucket]: aws.s3.Bucket;
  [T.publicAccessBlock]: aws.s3.BucketPublicAccessBlock;
  [T.listener]: aws.lb.Listener;
  [T.targetGroup]: aws.lb.TargetGroup;
  [T.loadBalancer]: aws.lb.LoadBalancer;
  [T.ingressRule]: aws.vpc.SecurityGroupIngressRule;
  [T.kmsKey]: aws.kms.Key;
  [T.secret]: aws.secretsmanager.Secret;
  [T.topic]: aws.sns.Topic;
  [T.metricAlarm]: aws.cloudwatch.MetricAlarm;
  [T.compositeAlarm]: aws.cloudwatch.CompositeAlarm;
  [T.deployment]: k8s.apps.v1.Deployment;
  [T.statefulSet]: k8s.apps.v1.StatefulSet;
  [T.job]: k8s.batch.v1.Job;
  [T.configMap]: k8s.core.v1.ConfigMap;
  [T.k8sSecret]: k8s.core.v1.Secret;
  [T.pdb]: k8s.policy.v1.PodDisruptionBudget;
  [T.hpa]: k8s.autoscaling.v2.HorizontalPodAutoscaler;
  [T.namespace]: k8s.core.v1.Namespace;
};
