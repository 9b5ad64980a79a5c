// @readiness cmk-encryption: KMS CMK with rotation
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Component } from "./component";

/** An IAM policy statement (subset used by key policies). */
export interface PolicyStatement {
  Sid: string;
  Effect: "Allow" | "Deny";
  Principal: Record<string, unknown> | "*";
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, unknown>;
}

export interface EncryptionKeyArgs {
  /** What the key protects; becomes the key description and alias (`alias/<alias>`). */
  purpose: string;
  /** Alias name without the `alias/` prefix. */
  alias: string;
  /** Additional key policy statements, e.g. letting CloudWatch use the key. @default none */
  statements?: pulumi.Input<PolicyStatement>[];
  /** Waiting period before a deleted key is destroyed (7-30). @default 30 */
  deletionWindowInDays?: number;
  /** Region of the key when it differs from the provider's (cross-region backup copies). @default the provider region */
  region?: string;
}

/**
 * A customer-managed KMS key with automatic rotation and a deletion window, and an alias. The key policy
 * gives the account root administration (so IAM policies apply) plus the given statements.
 * Rotation is a readiness invariant: it is always on and cannot be turned off through args.
 */
export class EncryptionKey extends Component {
  public static readonly type = "app:security:EncryptionKey";
  public readonly key: aws.kms.Key;
  public readonly arn: pulumi.Output<string>;
  public readonly keyId: pulumi.Output<string>;

  constructor(name: string, args: EncryptionKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super(EncryptionKey.type, name, opts);
    const deletionWindowInDays = args.deletionWindowInDays ?? 30;
    if (deletionWindowInDays < 7 || deletionWindowInDays > 30)
      throw new Error(`${name}: deletionWindowInDays must be 7-30, got ${deletionWindowInDays}`);
    const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
    const policy = pulumi.jsonStringify({
      Version: "2012-10-17",
      Statement: pulumi.all([account, pulumi.output(args.statements ?? [])]).apply(([id, extra]) => [
        {
          Sid: "AccountAdministration",
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${id}:root` },
          Action: "kms:*",
          Resource: "*",
        },
        ...extra,
      ]),
    });
    this.key = new aws.kms.Key(
      `${name}-key`,
      {
        description: args.purpose,
        enableKeyRotation: true,
        deletionWindowInDays,
        policy,
        region: args.region,
      },
      { parent: this },
    );
    new aws.kms.Alias(
      `${name}-alias`,
      { name: `alias/${args.alias}`, targetKeyId: this.key.keyId, region: args.region },
      { parent: this },
    );
    this.arn = this.key.arn;
    this.keyId = this.key.keyId;
    this.registerOutputs({ arn: this.arn, keyId: this.keyId });
  }
}
