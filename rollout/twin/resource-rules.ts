/**
 * What the providers and the cloud decide per resource type, for the twin's engine and cloud: which input
 * changes force a replacement, whether a replacement deletes first, which input is the physical name and
 * where it must be unique, what deletion protection refuses — with the error texts the real APIs return.
 *
 * Sources (docs/twin.md has the full list):
 * - Kubernetes: pulumi-kubernetes `provider/pkg/provider/diff.go:23-251` (`forceNew`: every kind replaces
 *   on `.metadata.name` / `.metadata.namespace`; batch/v1 Job on `.spec.selector`, `.spec.template`,
 *   `.spec.completions`, `.spec.parallelism`; apps/v1 Deployment on `.spec.selector`; core/v1 Service on
 *   `.spec.clusterIP`) and `provider.go:1645-1658`: a replacement of a user-named object keeping its name
 *   and namespace deletes first (the name cannot exist twice in a namespace). The API server's `AlreadyExists` text: `<resource>.<group> "<name>" already exists`.
 * - AWS (pulumi-aws 7.x, bridged from terraform-provider-aws): the arguments marked ForceNew in the
 *   resource schemas below; pulumi-terraform-bridge deletes before replacing when the name argument was
 *   set explicitly (not auto-named), because the old and the new resource cannot share the name.
 *   Error texts: RDS CreateDBSnapshot `DBSnapshotAlreadyExists`, CreateDBInstance `DBInstanceAlreadyExists`,
 *   DeleteDBInstance `InvalidParameterCombination` on deletion protection; ELBv2 CreateTargetGroup
 *   `DuplicateTargetGroupName`, CreateLoadBalancer `DuplicateLoadBalancerName`, DeleteLoadBalancer
 *   `OperationNotPermitted`; S3 CreateBucket `BucketAlreadyOwnedByYou` (names are global); KMS CreateAlias
 *   `AlreadyExistsException`; Secrets Manager CreateSecret `ResourceExistsException`; IAM CreateRole
 *   `EntityAlreadyExists` (account-wide); Backup CreateBackupVault `AlreadyExistsException`
 *   (the API references of each service, "Errors" sections).
 * - CloudWatch PutMetricAlarm / PutCompositeAlarm create *or overwrite* by name: no duplicate error
 *   (CloudWatch API reference), so alarms have no name scope here; a changed name replaces the alarm.
 */

export interface ResourceRule {
  /** Input holding the physical name. */
  nameInput?: string;
  /** Where the name must be unique: the region, the account (IAM), the world (S3), a Kubernetes namespace. */
  scope?: "region" | "account" | "global" | "namespace";
  /** Input paths whose change forces a replacement (a path and everything under it). */
  forceNew: string[];
  /**
   * The provider auto-names `nameInput` when it is not given (pulumi-terraform-bridge: a replacement deletes
   * first only when such an input was set explicitly, pkg/tfbridge/schema.go:193-246). @default true
   */
  autoNamed?: boolean;
  /** Input that, when true, makes the cloud refuse the delete. */
  deletionProtection?: { input: string; error: (name: string) => string };
  duplicate?: (name: string) => string;
}

const k8sForceNew = (...extra: string[]) => ["metadata.name", "metadata.namespace", ...extra];

function k8s(resource: string, ...extra: string[]): ResourceRule {
  return {
    nameInput: "metadata.name",
    scope: "namespace",
    forceNew: k8sForceNew(...extra),
    duplicate: (n) => `Error from server (AlreadyExists): ${resource} "${n}" already exists`,
  };
}

const RULES: Record<string, ResourceRule> = {
  "aws:rds/snapshot:Snapshot": {
    nameInput: "dbSnapshotIdentifier",
    scope: "region",
    // Required, never auto-named: a replacement creates the new snapshot before deleting the old one.
    autoNamed: false,
    forceNew: ["dbInstanceIdentifier", "dbSnapshotIdentifier"],
    duplicate: (n) =>
      `creating RDS DB Snapshot (${n}): DBSnapshotAlreadyExists: Cannot create the snapshot because a snapshot with the identifier ${n} already exists.`,
  },
  "aws:rds/instance:Instance": {
    nameInput: "identifier",
    scope: "region",
    forceNew: [
      "identifier",
      "engine",
      "dbName",
      "username",
      "availabilityZone",
      "kmsKeyId",
      "storageEncrypted",
      "snapshotIdentifier",
      "restoreToPointInTime",
      "characterSetName",
    ],
    deletionProtection: {
      input: "deletionProtection",
      error: (n) =>
        `deleting RDS DB Instance (${n}): InvalidParameterCombination: Cannot delete protected DB Instance, please disable deletion protection and try again.`,
    },
    duplicate: (n) => `creating RDS DB Instance (${n}): DBInstanceAlreadyExists: DB instance already exists`,
  },
  "aws:rds/subnetGroup:SubnetGroup": {
    nameInput: "name",
    scope: "region",
    forceNew: ["name", "namePrefix"],
    duplicate: (n) =>
      `creating RDS DB Subnet Group (${n}): DBSubnetGroupAlreadyExists: The DB subnet group '${n}' already exists.`,
  },
  "aws:rds/parameterGroup:ParameterGroup": {
    nameInput: "name",
    scope: "region",
    forceNew: ["name", "namePrefix", "family"],
    duplicate: (n) =>
      `creating RDS DB Parameter Group (${n}): DBParameterGroupAlreadyExists: Parameter group ${n} already exists`,
  },
  "aws:lb/targetGroup:TargetGroup": {
    nameInput: "name",
    scope: "region",
    forceNew: ["name", "namePrefix", "port", "protocol", "protocolVersion", "vpcId", "targetType"],
    duplicate: (n) =>
      `creating ELBv2 Target Group (${n}): DuplicateTargetGroupName: A target group with the same name '${n}' exists, but with different settings`,
  },
  "aws:lb/loadBalancer:LoadBalancer": {
    nameInput: "name",
    scope: "region",
    forceNew: ["name", "namePrefix", "internal", "loadBalancerType"],
    deletionProtection: {
      input: "enableDeletionProtection",
      error: (n) =>
        `deleting ELBv2 Load Balancer (${n}): OperationNotPermitted: Load balancer '${n}' cannot be deleted because deletion protection is enabled`,
    },
    duplicate: (n) =>
      `creating ELBv2 application Load Balancer (${n}): DuplicateLoadBalancerName: A load balancer with the same name '${n}' exists, but with different settings`,
  },
  "aws:lb/listener:Listener": { forceNew: ["loadBalancerArn"] },
  "aws:s3/bucket:Bucket": {
    nameInput: "bucket",
    scope: "global",
    forceNew: ["bucket", "bucketPrefix"],
    duplicate: (n) =>
      `creating S3 Bucket (${n}): BucketAlreadyOwnedByYou: Your previous request to create the named bucket succeeded and you already own it.`,
  },
  "aws:kms/alias:Alias": {
    nameInput: "name",
    scope: "region",
    forceNew: ["name", "namePrefix"],
    duplicate: (n) => `creating KMS Alias (${n}): AlreadyExistsException: An alias with the name ${n} already exists`,
  },
  "aws:secretsmanager/secret:Secret": {
    nameInput: "name",
    scope: "region",
    forceNew: ["name", "namePrefix"],
    duplicate: (n) =>
      `creating Secrets Manager Secret (${n}): ResourceExistsException: The operation failed because the secret ${n} already exists.`,
  },
  "aws:iam/role:Role": {
    nameInput: "name",
    scope: "account",
    forceNew: ["name", "namePrefix", "path"],
    duplicate: (n) => `creating IAM Role (${n}): EntityAlreadyExists: Role with name ${n} already exists.`,
  },
  "aws:backup/vault:Vault": {
    nameInput: "name",
    scope: "region",
    forceNew: ["name", "kmsKeyArn"],
    duplicate: (n) =>
      `creating Backup Vault (${n}): AlreadyExistsException: Backup vault with the same name already exists`,
  },
  // terraform-provider-aws internal/service/rds/instance_automated_backups_replication.go: every argument
  // ForceNew (no Update); the create waits until the replication is REPLICATING.
  "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": {
    forceNew: ["sourceDbInstanceArn", "kmsKeyId", "retentionPeriod", "preSignedUrl", "region"],
  },
  // internal/service/backup/selection.go: no Update, every argument ForceNew; the name is explicit, so the
  // bridge deletes the old selection first.
  "aws:backup/selection:Selection": {
    nameInput: "name",
    forceNew: ["name", "planId", "iamRoleArn", "resources", "notResources", "selectionTags", "conditions"],
    autoNamed: false,
  },
  // internal/service/backup/restore_testing_selection.go: name, plan and resource type require replacement.
  // Its Update does not send protected_resource_arns (hashicorp/terraform-provider-aws#48316): the program
  // renames the selection when the tested database changes (components/backups.ts), so it is replaced.
  "aws:backup/restoreTestingSelection:RestoreTestingSelection": {
    forceNew: ["name", "restoreTestingPlanName", "protectedResourceType", "region"],
  },
  "aws:ec2/securityGroup:SecurityGroup": { forceNew: ["name", "namePrefix", "vpcId", "description"] },
  "aws:cloudwatch/metricAlarm:MetricAlarm": { forceNew: ["name"] },
  "aws:cloudwatch/compositeAlarm:CompositeAlarm": { forceNew: ["alarmName"] },
  "random:index/randomPassword:RandomPassword": {
    forceNew: ["length", "special", "upper", "lower", "numeric", "minSpecial", "overrideSpecial", "keepers"],
  },
  "kubernetes:batch/v1:Job": k8s(
    "jobs.batch",
    "spec.selector",
    "spec.template",
    "spec.completions",
    "spec.parallelism",
  ),
  "kubernetes:apps/v1:Deployment": k8s("deployments.apps", "spec.selector"),
  "kubernetes:core/v1:Service": k8s("services", "spec.clusterIP"),
  "kubernetes:core/v1:ServiceAccount": k8s("serviceaccounts"),
  "kubernetes:core/v1:Namespace": { ...k8s("namespaces"), scope: "region" },
  "kubernetes:policy/v1:PodDisruptionBudget": k8s("poddisruptionbudgets.policy"),
  "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": k8s("horizontalpodautoscalers.autoscaling"),
  "kubernetes:networking.k8s.io/v1:NetworkPolicy": k8s("networkpolicies.networking.k8s.io"),
  "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding": k8s("targetgroupbindings.elbv2.k8s.aws"),
  "kubernetes:external-secrets.io/v1:ExternalSecret": k8s("externalsecrets.external-secrets.io"),
  "kubernetes:external-secrets.io/v1:SecretStore": k8s("secretstores.external-secrets.io"),
};

export function ruleFor(type: string): ResourceRule | undefined {
  return RULES[type];
}

function at(inputs: Record<string, unknown>, path: string): unknown {
  let v: unknown = inputs;
  for (const k of path.split(".")) v = v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

/** The physical name the inputs give explicitly (undefined: auto-named by the provider, never collides). */
export function physicalNameOf(type: string, inputs: Record<string, unknown>): string | undefined {
  const input = ruleFor(type)?.nameInput;
  const v = input ? at(inputs, input) : undefined;
  return typeof v === "string" && v.length > 0 ? v : undefined;
}

/** The key under which the physical name must be unique. */
export function nameScope(type: string, inputs: Record<string, unknown>, region: string): string | undefined {
  const rule = ruleFor(type);
  const name = physicalNameOf(type, inputs);
  if (!rule?.scope || name === undefined) return undefined;
  const kind = type.split(":").slice(1).join(":");
  switch (rule.scope) {
    case "global":
      return `${kind}|${name}`;
    case "account":
      return `${kind}|account|${name}`;
    case "region":
      return `${kind}|${region}|${name}`;
    case "namespace":
      return `${kind}|${String(at(inputs, "metadata.namespace") ?? "default")}|${name}`;
  }
}

export function duplicateNameError(type: string, name: string): string {
  return ruleFor(type)?.duplicate?.(name) ?? `${type} ${name} already exists`;
}

export function deletionProtectionError(type: string, name: string): string {
  return ruleFor(type)?.deletionProtection?.error(name) ?? `${type} ${name}: deletion protection is enabled`;
}

/** The changed paths (from gate/diff.ts `diffValues`) that force a replacement of a resource of `type`. */
export function replacementCause(type: string, paths: string[]): string[] {
  const forceNew = ruleFor(type)?.forceNew ?? [];
  return paths.filter((p) => forceNew.some((f) => p === f || p.startsWith(`${f}.`) || p.startsWith(`${f}[`)));
}

/**
 * Whether a replacement deletes first. Kubernetes: a user-named object whose new name and namespace equal
 * the old ones (pulumi-kubernetes provider/pkg/provider/provider.go:1645-1658). AWS: an auto-named name
 * input that was set explicitly (the bridge rule above). Otherwise the new one is created first — and
 * collides if it keeps the name (e.g. a snapshot identifier).
 */
export function deleteBeforeReplace(
  type: string,
  oldInputs: Record<string, unknown>,
  inputs: Record<string, unknown>,
): boolean {
  const rule = ruleFor(type);
  const name = physicalNameOf(type, inputs);
  if (!rule?.scope || name === undefined) return false;
  if (rule.scope === "namespace")
    return (
      name === physicalNameOf(type, oldInputs) &&
      at(oldInputs, "metadata.namespace") === at(inputs, "metadata.namespace")
    );
  return rule.autoNamed !== false;
}

/**
 * What a restore reads must exist when it is created (RDS API reference, RestoreDBInstanceFromDBSnapshot and
 * RestoreDBInstanceToPointInTime, "Errors": `DBSnapshotNotFound` (404), `DBInstanceNotFound` (404)); the
 * provider prefixes its create errors (terraform-provider-aws internal/service/rds/instance.go,
 * "creating RDS DB Instance (restore from snapshot) (%s)" / "(restore to point-in-time) (%s)").
 */
export function restoreSource(
  type: string,
  inputs: Record<string, unknown>,
): { type: string; nameInput: string; id: string; error: string } | undefined {
  if (type !== "aws:rds/instance:Instance") return undefined;
  const name = String(inputs.identifier ?? "");
  if (typeof inputs.snapshotIdentifier === "string")
    return {
      type: "aws:rds/snapshot:Snapshot",
      nameInput: "dbSnapshotIdentifier",
      id: inputs.snapshotIdentifier,
      error: `creating RDS DB Instance (restore from snapshot) (${name}): DBSnapshotNotFound: DBSnapshot not found: ${inputs.snapshotIdentifier}`,
    };
  const pitr = inputs.restoreToPointInTime as { sourceDbInstanceIdentifier?: string } | undefined;
  if (pitr?.sourceDbInstanceIdentifier)
    return {
      type,
      nameInput: "identifier",
      id: pitr.sourceDbInstanceIdentifier,
      error: `creating RDS DB Instance (restore to point-in-time) (${name}): DBInstanceNotFound: DBInstance ${pitr.sourceDbInstanceIdentifier} not found.`,
    };
  return undefined;
}
