// @readiness no-public-data cmk-encryption: S3 bucket with public access blocked, SSE-KMS, TLS only
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Component } from "./component";
import { EncryptionKey } from "./encryption-key";
import { type ClusterOidc, irsaTrustPolicy, type ServiceAccountRef } from "./irsa";

export interface ObjectStorageArgs {
  /** Globally unique bucket name, e.g. `artifortress-prod-objects-123456789012`. */
  bucketName: pulumi.Input<string>;
  /** Prefix of account-scoped names (the key alias), e.g. `artifortress-prod`. */
  namePrefix: string;
  /** Days before noncurrent object versions expire. @default 30 */
  noncurrentVersionExpirationDays?: number;
  /** The cluster's OIDC provider (IRSA trust). */
  oidc: ClusterOidc;
  /** Service accounts (API, worker) that may read and write the bucket through the access role. */
  serviceAccounts: ServiceAccountRef[];
  /** Protect the bucket from `pulumi destroy`/replacement. @default false */
  protect?: boolean;
}

/**
 * S3 object storage for the app: versioned, SSE-KMS with its own CMK and a bucket key, all four public
 * access blocks, a bucket policy that denies plain HTTP, lifecycle for noncurrent versions, and an IAM role
 * for the app's service accounts (IRSA) instead of static access keys (runbook 001 §3 ObjectStorage__*).
 */
export class ObjectStorage extends Component {
  public static readonly type = "app:data:ObjectStorage";
  public readonly bucket: aws.s3.Bucket;
  public readonly bucketName: pulumi.Output<string>;
  public readonly bucketArn: pulumi.Output<string>;
  public readonly accessRoleArn: pulumi.Output<string>;
  public readonly kmsKeyArn: pulumi.Output<string>;

  constructor(name: string, args: ObjectStorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super(ObjectStorage.type, name, opts);
    const a = normalizeArgs(args);
    const key = this.createKey(name, a);
    this.bucket = new aws.s3.Bucket(
      `${name}-bucket`,
      { bucket: a.bucketName, forceDestroy: false },
      { parent: this, protect: a.protect },
    );
    const block = this.createBucketSettings(name, this.bucket, key);
    this.createLifecycle(name, a, this.bucket);
    this.createTlsOnlyPolicy(name, this.bucket, block);
    const role = this.createAccessRole(name, a, this.bucket, key);

    this.bucketName = this.bucket.bucket;
    this.bucketArn = this.bucket.arn;
    this.accessRoleArn = role.arn;
    this.kmsKeyArn = key.arn;
    this.registerOutputs({ bucketName: this.bucketName, accessRoleArn: this.accessRoleArn, kmsKeyArn: this.kmsKeyArn });
  }

  private createKey(name: string, a: NormalizedArgs): EncryptionKey {
    return new EncryptionKey(
      `${name}-cmk`,
      // Aliases are unique per account and region: staging and prod may share an account.
      { purpose: "Object storage bucket", alias: `${a.namePrefix}-objects-s3` },
      { parent: this },
    );
  }

  /** All four public access blocks (returned: the bucket policy waits for them), versioning, SSE-KMS. */
  private createBucketSettings(name: string, b: aws.s3.Bucket, key: EncryptionKey): aws.s3.BucketPublicAccessBlock {
    const bucket = b.id;
    const block = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      { bucket, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      { parent: this },
    );
    new aws.s3.BucketVersioning(
      `${name}-versioning`,
      { bucket, versioningConfiguration: { status: "Enabled" } },
      { parent: this },
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-sse`,
      {
        bucket,
        rules: [
          {
            applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn },
            bucketKeyEnabled: true,
          },
        ],
      },
      { parent: this },
    );
    return block;
  }

  private createLifecycle(name: string, a: NormalizedArgs, b: aws.s3.Bucket): void {
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      {
        bucket: b.id,
        rules: [
          {
            id: "expire-noncurrent-versions",
            status: "Enabled",
            filter: {},
            noncurrentVersionExpiration: { noncurrentDays: a.noncurrentVersionExpirationDays },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
          },
        ],
      },
      { parent: this },
    );
  }

  private createTlsOnlyPolicy(name: string, b: aws.s3.Bucket, block: aws.s3.BucketPublicAccessBlock): void {
    new aws.s3.BucketPolicy(
      `${name}-tls-only`,
      {
        bucket: b.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "DenyInsecureTransport",
              Effect: "Deny",
              Principal: "*",
              Action: "s3:*",
              Resource: [b.arn, pulumi.interpolate`${b.arn}/*`],
              Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
          ],
        }),
      },
      { parent: this, dependsOn: [block] },
    );
  }

  /** The IRSA role of the app's service accounts (instead of static access keys). */
  private createAccessRole(name: string, a: NormalizedArgs, b: aws.s3.Bucket, key: EncryptionKey): aws.iam.Role {
    const role = new aws.iam.Role(
      `${name}-access`,
      {
        description: "Object storage access for the app's service accounts (IRSA)",
        assumeRolePolicy: irsaTrustPolicy(a.oidc, a.serviceAccounts),
      },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${name}-access`,
      {
        role: role.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: objectAccessStatements(b.arn, key.arn),
        }),
      },
      { parent: this },
    );
    return role;
  }
}

/** Defaults spread under the given args. */
function normalizeArgs(args: ObjectStorageArgs) {
  return { noncurrentVersionExpirationDays: 30, protect: false, ...args };
}

type NormalizedArgs = ReturnType<typeof normalizeArgs>;

/** What the app's service accounts may do with the bucket and its key (shared by every role that uses it). */
export function objectAccessStatements(bucketArn: pulumi.Input<string>, keyArn: pulumi.Input<string>) {
  return [
    { Sid: "List", Effect: "Allow", Action: ["s3:ListBucket"], Resource: bucketArn },
    {
      Sid: "Objects",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
      Resource: pulumi.interpolate`${bucketArn}/*`,
    },
    { Sid: "Key", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: keyArn },
  ];
}
