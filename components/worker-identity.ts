import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Component } from "./component";
import { type ClusterOidc, irsaTrustPolicy, type ServiceAccountRef } from "./irsa";
import { objectAccessStatements } from "./object-storage";

export interface WorkerIdentityArgs {
  oidc: ClusterOidc;
  /** The worker's service account. */
  serviceAccount: ServiceAccountRef;
  /** The object bucket and its key (the worker reads and writes objects like the API). */
  bucketArn: pulumi.Input<string>;
  kmsKeyArn: pulumi.Input<string>;
  /** The one CloudWatch namespace the worker may publish to (app:alarms.workerMetrics.namespace). */
  metricsNamespace: string;
}

/**
 * The worker's own IAM role (IRSA): object access, and `cloudwatch:PutMetricData` only into its metrics
 * namespace. Without it the worker's backlog / failed-jobs / policy-timeout alarms can never fire — nothing
 * publishes their metrics. PutMetricData has no resource-level permissions (Resource "*"); the
 * `cloudwatch:namespace` condition key narrows it (CloudWatch User Guide, "Using condition keys to limit
 * access to CloudWatch namespaces").
 */
export class WorkerIdentity extends Component {
  public static readonly type = "app:security:WorkerIdentity";
  public readonly roleArn: pulumi.Output<string>;

  constructor(name: string, args: WorkerIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super(WorkerIdentity.type, name, opts);
    const role = new aws.iam.Role(
      `${name}-role`,
      {
        description: "The worker's service account (IRSA): objects, and its own CloudWatch metrics",
        assumeRolePolicy: irsaTrustPolicy(args.oidc, [args.serviceAccount]),
      },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: role.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            ...objectAccessStatements(args.bucketArn, args.kmsKeyArn),
            {
              Sid: "Metrics",
              Effect: "Allow",
              Action: ["cloudwatch:PutMetricData"],
              Resource: "*",
              Condition: { StringEquals: { "cloudwatch:namespace": args.metricsNamespace } },
            },
          ],
        }),
      },
      { parent: this },
    );
    this.roleArn = role.arn;
    this.registerOutputs({ roleArn: this.roleArn });
  }
}
