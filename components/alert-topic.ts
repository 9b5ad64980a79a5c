// @readiness alerting cmk-encryption: SNS alert topic with a CMK and subscriptions
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Component } from "./component";
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
  /**
   * Topic of AWS Backup vault events, with the same subscribers filtered to what needs a human: AWS Backup
   * reports a job's outcome as `BACKUP_JOB_COMPLETED` / `RESTORE_JOB_COMPLETED` with a `State` message
   * attribute (COMPLETED, FAILED, EXPIRED…; AWS Backup Developer Guide, "Using Amazon SNS to track AWS
   * Backup events") — the `*_FAILED` events are deprecated and never sent (PutBackupVaultNotifications).
   * Its own topic, because only AWS Backup publishes to it: every message has the attribute the filter reads.
   * @default `<name>-backup-events`
   */
  backupEventsTopicName?: string;
}

/** What reaches a human from the backup-events topic: everything but a successful completion. */
export const BACKUP_EVENTS_FILTER = { State: [{ "anything-but": ["COMPLETED"] }] };

/** AWS services that publish to the alert topic. */
export const PUBLISHERS = ["cloudwatch.amazonaws.com", "backup.amazonaws.com"];

/**
 * The topic every alarm and backup-vault event goes to. Encrypted with its own customer-managed key whose
 * policy lets CloudWatch and AWS Backup use it: with the AWS-managed SNS key, CloudWatch alarm
 * notifications are silently dropped. The topic policy lets those services publish from this account only.
 */
export class AlertTopic extends Component {
  public static readonly type = "app:observability:AlertTopic";
  public readonly topic: aws.sns.Topic;
  public readonly arn: pulumi.Output<string>;
  /** Routine release events (email only). */
  public readonly releases: aws.sns.Topic;
  public readonly releasesArn: pulumi.Output<string>;
  /** AWS Backup vault events (subscriptions filtered to failures). */
  public readonly backupEvents: aws.sns.Topic;
  public readonly backupEventsArn: pulumi.Output<string>;
  public readonly kmsKeyArn: pulumi.Output<string>;

  constructor(name: string, args: AlertTopicArgs, opts?: pulumi.ComponentResourceOptions) {
    super(AlertTopic.type, name, opts);
    const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
    const key = this.createKey(name, args, account);
    this.topic = this.createAlertTopic(name, args, key, account);
    this.subscribeAlerts(name, args, this.topic);
    this.releases = this.createReleasesTopic(name, args, key);
    this.backupEvents = this.createBackupEventsTopic(name, args, key, account);
    this.subscribeBackupEvents(name, args, this.backupEvents);
    this.arn = this.topic.arn;
    this.releasesArn = this.releases.arn;
    this.backupEventsArn = this.backupEvents.arn;
    this.kmsKeyArn = key.arn;
    this.registerOutputs({
      arn: this.arn,
      releasesArn: this.releasesArn,
      backupEventsArn: this.backupEventsArn,
      kmsKeyArn: this.kmsKeyArn,
    });
  }

  /** The topics' key: its policy lets the publishers use it for this account only. */
  private createKey(name: string, args: AlertTopicArgs, account: pulumi.Output<string>): EncryptionKey {
    return new EncryptionKey(
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
            // Only on behalf of this account's alarms and vaults (confused-deputy protection: CloudWatch and
            // AWS Backup set aws:SourceAccount when they use a customer key for SNS).
            Condition: { StringEquals: { "aws:SourceAccount": account } },
          },
        ],
      },
      { parent: this },
    );
  }

  private createAlertTopic(
    name: string,
    args: AlertTopicArgs,
    key: EncryptionKey,
    account: pulumi.Output<string>,
  ): aws.sns.Topic {
    const topic = new aws.sns.Topic(`${name}-topic`, { name: args.name, kmsMasterKeyId: key.arn }, { parent: this });
    new aws.sns.TopicPolicy(
      `${name}-policy`,
      {
        arn: topic.arn,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "AllowAlarmPublishers",
              Effect: "Allow",
              Principal: { Service: PUBLISHERS },
              Action: "sns:Publish",
              Resource: topic.arn,
              Condition: { StringEquals: { "aws:SourceAccount": account } },
            },
          ],
        }),
      },
      { parent: this },
    );
    return topic;
  }

  /** Every email and HTTPS endpoint gets every alert. */
  private subscribeAlerts(name: string, args: AlertTopicArgs, topic: aws.sns.Topic): void {
    for (const [i, email] of (args.emails ?? []).entries()) {
      new aws.sns.TopicSubscription(
        `${name}-email-${i}`,
        { topic: topic.arn, protocol: "email", endpoint: email },
        { parent: this },
      );
    }
    for (const [i, url] of (args.httpsEndpoints ?? []).entries()) {
      new aws.sns.TopicSubscription(
        `${name}-https-${i}`,
        { topic: topic.arn, protocol: "https", endpoint: url, endpointAutoConfirms: true },
        { parent: this },
      );
    }
  }

  /** The releases topic and its email-only subscriptions. */
  private createReleasesTopic(name: string, args: AlertTopicArgs, key: EncryptionKey): aws.sns.Topic {
    const releases = new aws.sns.Topic(
      `${name}-releases`,
      { name: args.releasesTopicName ?? `${args.name}-releases`, kmsMasterKeyId: key.arn },
      { parent: this },
    );
    for (const [i, email] of (args.emails ?? []).entries()) {
      new aws.sns.TopicSubscription(
        `${name}-releases-email-${i}`,
        { topic: releases.arn, protocol: "email", endpoint: email },
        { parent: this },
      );
    }
    return releases;
  }

  private createBackupEventsTopic(
    name: string,
    args: AlertTopicArgs,
    key: EncryptionKey,
    account: pulumi.Output<string>,
  ): aws.sns.Topic {
    const backupEvents = new aws.sns.Topic(
      `${name}-backup-events`,
      { name: args.backupEventsTopicName ?? `${args.name}-backup-events`, kmsMasterKeyId: key.arn },
      { parent: this },
    );
    new aws.sns.TopicPolicy(
      `${name}-backup-events-policy`,
      {
        arn: backupEvents.arn,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "AllowBackupPublisher",
              Effect: "Allow",
              Principal: { Service: "backup.amazonaws.com" },
              Action: "sns:Publish",
              Resource: backupEvents.arn,
              Condition: { StringEquals: { "aws:SourceAccount": account } },
            },
          ],
        }),
      },
      { parent: this },
    );
    return backupEvents;
  }

  /** The same subscribers, filtered to what needs a human (BACKUP_EVENTS_FILTER). */
  private subscribeBackupEvents(name: string, args: AlertTopicArgs, backupEvents: aws.sns.Topic): void {
    const filtered = (i: number, protocol: string, endpoint: string) =>
      new aws.sns.TopicSubscription(
        `${name}-backup-events-${protocol}-${i}`,
        {
          topic: backupEvents.arn,
          protocol,
          endpoint,
          filterPolicy: JSON.stringify(BACKUP_EVENTS_FILTER),
          ...(protocol === "https" ? { endpointAutoConfirms: true } : {}),
        },
        { parent: this },
      );
    for (const [i, e] of (args.emails ?? []).entries()) filtered(i, "email", e);
    for (const [i, u] of (args.httpsEndpoints ?? []).entries()) filtered(i, "https", u);
  }
}
