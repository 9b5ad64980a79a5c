import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { EncryptionKey } from "./encryption-key";

export interface AlertTopicArgs {
  /** Topic name, e.g. `artifortress-prod-alerts`. */
  name: string;
  /** Email subscriptions (each must confirm). @default none */
  emails?: string[];
  /** HTTPS subscriptions (paging tool). @default none */
  httpsEndpoints?: string[];
  /**
   * Topic of routine release events (start, each stage, released): the email subscriptions only, never the
   * paging tool — a filter policy on the paging subscription cannot do it, since CloudWatch's alarm
   * notifications carry no message attributes and `exists: false` never matches a message without any
   * (SNS Developer Guide, "Key matching"). @default `<name>-releases`
   */
  releasesTopicName?: string;
}

/** AWS services that publish to the alert topic. */
export const PUBLISHERS = ["cloudwatch.amazonaws.com", "backup.amazonaws.com"];

/**
 * The topic every alarm and backup-vault event goes to. Encrypted with its own customer-managed key whose
 * policy lets CloudWatch and AWS Backup use it: with the AWS-managed SNS key, CloudWatch alarm
 * notifications are silently dropped. The topic policy lets those services publish from this account only.
 */
export class AlertTopic extends pulumi.ComponentResource {
  public static readonly type = "app:observability:AlertTopic";
  public readonly topic: aws.sns.Topic;
  public readonly arn: pulumi.Output<string>;
  /** Routine release events (email only). */
  public readonly releases: aws.sns.Topic;
  public readonly releasesArn: pulumi.Output<string>;
  public readonly kmsKeyArn: pulumi.Output<string>;

  constructor(name: string, args: AlertTopicArgs, opts?: pulumi.ComponentResourceOptions) {
    super(AlertTopic.type, name, {}, opts);
    const key = new EncryptionKey(
      `${name}-cmk`,
      {
        purpose: `SNS topic ${args.name}`,
        alias: `${args.name}-sns`,
        statements: [
          {
            Sid: "AllowAlarmPublishers",
            Effect: "Allow",
            Principal: { Service: PUBLISHERS },
            Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
            Resource: "*",
          },
        ],
      },
      { parent: this },
    );
    this.topic = new aws.sns.Topic(`${name}-topic`, { name: args.name, kmsMasterKeyId: key.arn }, { parent: this });
    const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
    new aws.sns.TopicPolicy(
      `${name}-policy`,
      {
        arn: this.topic.arn,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "AllowAlarmPublishers",
              Effect: "Allow",
              Principal: { Service: PUBLISHERS },
              Action: "sns:Publish",
              Resource: this.topic.arn,
              Condition: { StringEquals: { "aws:SourceAccount": account } },
            },
          ],
        }),
      },
      { parent: this },
    );
    for (const [i, email] of (args.emails ?? []).entries()) {
      new aws.sns.TopicSubscription(
        `${name}-email-${i}`,
        { topic: this.topic.arn, protocol: "email", endpoint: email },
        { parent: this },
      );
    }
    for (const [i, url] of (args.httpsEndpoints ?? []).entries()) {
      new aws.sns.TopicSubscription(
        `${name}-https-${i}`,
        { topic: this.topic.arn, protocol: "https", endpoint: url, endpointAutoConfirms: true },
        { parent: this },
      );
    }
    this.releases = new aws.sns.Topic(
      `${name}-releases`,
      { name: args.releasesTopicName ?? `${args.name}-releases`, kmsMasterKeyId: key.arn },
      { parent: this },
    );
    for (const [i, email] of (args.emails ?? []).entries()) {
      new aws.sns.TopicSubscription(
        `${name}-releases-email-${i}`,
        { topic: this.releases.arn, protocol: "email", endpoint: email },
        { parent: this },
      );
    }
    this.arn = this.topic.arn;
    this.releasesArn = this.releases.arn;
    this.kmsKeyArn = key.arn;
    this.registerOutputs({ arn: this.arn, releasesArn: this.releasesArn, kmsKeyArn: this.kmsKeyArn });
  }
}
