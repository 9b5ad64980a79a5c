/**
 * The policies' typed property views (policy/lib/types.ts) against the pinned providers' own types: every
 * field a view declares must be a field of the provider resource (its output properties: every input is
 * one, plus computed outputs such as arn), and the provider's type must fit the view's (so code written
 * for the view handles every value the provider can send). The check is at compile time — a renamed or
 * retyped provider field fails `npm run typecheck` (tsc over test/) — which keeps the pack free of
 * provider packages at run time; the spec below checks that every type token has a view and a provider.
 */
import * as assert from "node:assert/strict";
import type * as aws from "@pulumi/aws";
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { T } from "../../policy/lib/props";
import type { TypeToken, Views } from "../../policy/lib/types";

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
};

/** never for every token when the views fit the providers; a token's mismatching keys otherwise. */
export type ViewMismatches = { [K in TypeToken]: Mismatch<Views[K], Fields<Providers[K]>> }[TypeToken];
/** Compiles only when ViewMismatches is never: the error names the keys that do not fit. */
export const viewsFitProviders: [ViewMismatches] extends [never] ? true : ViewMismatches = true;

/** Runtime list of the tokens with a provider mapping (a missing or extra key is a compile error). */
const PROVIDER_TOKENS: Record<keyof Providers, true> = Object.fromEntries(
  Object.values(T).map((t) => [t, true]),
) as Record<keyof Providers, true>;

describe("typed policy properties (policy/lib/types.ts)", () => {
  it("every resource type token the policies read has a view checked against its provider type", () => {
    assert.equal(viewsFitProviders, true);
    const tokens = Object.values(T).filter((t) => !t.startsWith("app:") && !t.startsWith("command:"));
    const expected: TypeToken[] = [...(Object.keys(PROVIDER_TOKENS) as TypeToken[])];
    assert.deepEqual(
      tokens.filter((t) => !expected.includes(t as TypeToken)),
      [],
    );
  });
});
