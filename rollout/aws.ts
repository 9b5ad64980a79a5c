/** AlarmSource and CertificateSource over the AWS SDK (credentials from the environment). */
import { ACMClient, DescribeCertificateCommand } from "@aws-sdk/client-acm";
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand, type Metric } from "@aws-sdk/client-cloudwatch";
import {
  DescribeListenersCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { DeleteDBSnapshotCommand, DescribeDBSnapshotsCommand, RDSClient } from "@aws-sdk/client-rds";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { sender } from "../smoke/check";
import { readOpsSummary } from "../smoke/checks";
import { awsError } from "./aws-errors";
import { UnavailableError } from "./errors";
import type { NotificationSeverity, ReleaseNotification } from "./model/notification";
import type {
  AlarmSource,
  AlarmState,
  AppProbe,
  CertificateSource,
  DbSnapshot,
  ListenerTopology,
  Notifier,
  SnapshotStore,
  TrafficControl,
} from "./ports";

export class CloudWatchAlarms implements AlarmSource {
  constructor(private readonly client = new CloudWatchClient({})) {}

  async states(names: string[]): Promise<Record<string, AlarmState>> {
    try {
      const r = await this.client.send(
        new DescribeAlarmsCommand({ AlarmNames: names, AlarmTypes: ["CompositeAlarm", "MetricAlarm"] }),
      );
      const out: Record<string, AlarmState> = {};
      for (const a of [...(r.CompositeAlarms ?? []), ...(r.MetricAlarms ?? [])])
        if (a.AlarmName && a.StateValue) out[a.AlarmName] = a.StateValue as AlarmState;
      return out;
    } catch (e) {
      throw awsError(e, "CloudWatch DescribeAlarms");
    }
  }

  /**
   * The alarm's own `RequestCount` metric (DescribeAlarms returns a metric-math alarm's queries in
   * `Metrics`, each with its `MetricStat.Metric` dimensions), then GetMetricData `Sum` per minute over the
   * range. A minute without requests has no datapoint (ELB User Guide, "CloudWatch metrics for your
   * Application Load Balancer": metrics are reported only when requests flow), so the sum of what came back
   * is the count.
   */
  async requestCount(alarmName: string, from: Date, to: Date): Promise<number | undefined> {
    let metric: Metric | undefined;
    try {
      const r = await this.client.send(
        new DescribeAlarmsCommand({ AlarmNames: [alarmName], AlarmTypes: ["MetricAlarm"] }),
      );
      const alarm = r.MetricAlarms?.[0];
      if (!alarm) return undefined;
      metric = alarm.Metrics?.map((q) => q.MetricStat?.Metric).find((m) => m?.MetricName === "RequestCount");
      if (!metric && alarm.MetricName === "RequestCount")
        metric = { Namespace: alarm.Namespace, MetricName: alarm.MetricName, Dimensions: alarm.Dimensions };
    } catch (e) {
      throw awsError(e, "CloudWatch DescribeAlarms");
    }
    if (!metric)
      throw new UnavailableError(`alarm ${alarmName} has no RequestCount query: no evidence can be read from it`);
    let total = 0;
    let next: string | undefined;
    try {
      do {
        const r = await this.client.send(
          new GetMetricDataCommand({
            StartTime: from,
            EndTime: to,
            NextToken: next,
            MetricDataQueries: [
              { Id: "requests", MetricStat: { Metric: metric, Period: 60, Stat: "Sum" }, ReturnData: true },
            ],
          }),
        );
        const result = r.MetricDataResults?.[0];
        // StatusCode Complete | PartialData (more pages) | InternalError | Forbidden (API Reference, MetricDataResult).
        if (result?.StatusCode === "Forbidden")
          throw Object.assign(new Error(result.Messages?.map((m) => m.Value).join("; ") || "Forbidden"), {
            name: "AccessDenied",
          });
        if (result?.StatusCode === "InternalError")
          throw new Error(`GetMetricData returned InternalError: ${result.Messages?.map((m) => m.Value).join("; ")}`);
        for (const v of result?.Values ?? []) total += v;
        next = r.NextToken;
      } while (next);
    } catch (e) {
      throw awsError(e, "CloudWatch GetMetricData");
    }
    return total;
  }
}

export class AcmCertificates implements CertificateSource {
  constructor(private readonly client = new ACMClient({})) {}

  async notAfter(arn: string): Promise<Date> {
    try {
      const r = await this.client.send(new DescribeCertificateCommand({ CertificateArn: arn }));
      const d = r.Certificate?.NotAfter;
      if (!d) throw new Error(`certificate ${arn} has no expiry (not issued yet? status ${r.Certificate?.Status})`);
      return d;
    } catch (e) {
      throw awsError(e, "ACM DescribeCertificate");
    }
  }
}

/**
 * TrafficControl over ELBv2. `ModifyListener` replaces the listener's default actions (ELBv2 API
 * Reference, ModifyListener: "DefaultActions … replaces the existing actions"), so the forward action is
 * written whole — the same shape the program declares (components/production-listener.ts: weighted forward
 * to both target groups, stickiness off) — and read back with `DescribeListeners`. Changes to a listener
 * propagate to the load balancer nodes within seconds; the reconcile `up` that follows writes the same
 * weights through Pulumi.
 */
export class ElbTraffic implements TrafficControl {
  constructor(private readonly client = new ElasticLoadBalancingV2Client({})) {}

  async forwardAll(t: ListenerTopology, color: "blue" | "green"): Promise<Record<"blue" | "green", number>> {
    const weight = (c: "blue" | "green") => (c === color ? 100 : 0);
    try {
      await this.client.send(
        new ModifyListenerCommand({
          ListenerArn: t.listenerArn,
          DefaultActions: [
            {
              Type: "forward",
              ForwardConfig: {
                TargetGroups: (["blue", "green"] as const).map((c) => ({
                  TargetGroupArn: t.targetGroupArns[c],
                  Weight: weight(c),
                })),
                TargetGroupStickinessConfig: { Enabled: false },
              },
            },
          ],
        }),
      );
      const r = await this.client.send(new DescribeListenersCommand({ ListenerArns: [t.listenerArn] }));
      const groups = r.Listeners?.[0]?.DefaultActions?.find((a) => a.Type === "forward")?.ForwardConfig?.TargetGroups;
      const out = { blue: 0, green: 0 };
      for (const g of groups ?? [])
        for (const c of ["blue", "green"] as const)
          if (g.TargetGroupArn === t.targetGroupArns[c]) out[c] += g.Weight ?? 0;
      return out;
    } catch (e) {
      throw awsError(e, "ELBv2 ModifyListener/DescribeListeners");
    }
  }
}

/**
 * Notifier over SNS (the stack's alert topic: email and paging subscriptions) and an optional webhook (a
 * status page: POST of the notification as JSON). SNS Publish: `Subject` is ASCII, no line breaks, under
 * 100 characters (SNS API Reference, Publish). Either channel failing is reported; the driver logs it as a
 * warning.
 */
export class SnsNotifier implements Notifier {
  private webhookUrl?: Promise<string>;

  constructor(
    /** Secrets Manager secret holding the webhook URL (it may embed a token): read once, kept in memory. */
    private readonly webhookSecret?: string,
    private readonly client = new SNSClient({}),
    private readonly secrets = new SecretsManagerClient({}),
  ) {}

  private webhook(): Promise<string> {
    this.webhookUrl ??= this.secrets
      .send(new GetSecretValueCommand({ SecretId: this.webhookSecret }))
      .then((r) => {
        if (!r.SecretString?.startsWith("https://")) throw new Error("the webhook secret is not an https URL");
        return r.SecretString;
      })
      .catch((e) => {
        this.webhookUrl = undefined;
        throw e instanceof Error && e.message.startsWith("the webhook")
          ? e
          : awsError(e, "Secrets Manager GetSecretValue (webhook)");
      });
    return this.webhookUrl;
  }

  async notify(
    n: ReleaseNotification,
    o: { topicArn?: string; subject: string; body: string; severity: NotificationSeverity },
  ): Promise<void> {
    const failures: string[] = [];
    if (o.topicArn)
      await this.client
        .send(
          new PublishCommand({
            TopicArn: o.topicArn,
            Subject: o.subject.replace(/[^\x20-\x7e]/g, "?"),
            Message: o.body,
            // Lets a subscriber filter (e.g. a chat channel that wants only failures).
            MessageAttributes: {
              severity: { DataType: "String", StringValue: o.severity },
              kind: { DataType: "String", StringValue: n.kind },
            },
          }),
        )
        .catch((e: Error) => failures.push(`SNS Publish: ${e.name} ${e.message}`));
    else failures.push("no alert topic recorded yet (the stack outputs of an earlier up): SNS skipped");
    if (this.webhookSecret)
      await this.webhook()
        .then((url) =>
          fetch(url, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ ...n, subject: o.subject }),
            signal: AbortSignal.timeout(5_000),
          }),
        )
        .then((r) => {
          if (!r.ok) failures.push(`webhook answered HTTP ${r.status}`);
        })
        // Never the URL (it may carry a token): fetch errors name only the failure.
        .catch((e: Error) => failures.push(`webhook: ${e.message.split("https://")[0]}`));
    if (failures.length > 0) throw new Error(failures.join("; "));
  }
}

/**
 * AppProbe over HTTPS to the production URL (`https://<app:tls.hostname>`), with the admin token (the
 * app's bootstrap token, `Auth__BootstrapToken` of the Secrets Manager secret `<namespace>/<stack>/app`
 * that components/app-secrets.ts writes) read at run time and kept in memory: never on argv, in a file or a
 * log line.
 */
export class HttpAppProbe implements AppProbe {
  private token?: Promise<string>;

  constructor(
    private readonly o: { baseUrl: string; secretId: string; readyPath: string; versionPath: string; opsPath: string },
    private readonly client = new SecretsManagerClient({}),
  ) {}

  /** The token of a secret version (AWSCURRENT, or AWSPREVIOUS right after a rotation). */
  private async tokenOf(stage: "AWSCURRENT" | "AWSPREVIOUS"): Promise<string> {
    let text: string | undefined;
    try {
      text = (await this.client.send(new GetSecretValueCommand({ SecretId: this.o.secretId, VersionStage: stage })))
        .SecretString;
    } catch (e) {
      throw awsError(e, `Secrets Manager GetSecretValue ${this.o.secretId} (${stage})`);
    }
    let v: unknown;
    try {
      v = (JSON.parse(text ?? "{}") as Record<string, unknown>).Auth__BootstrapToken;
    } catch {
      // Never the parser's message: it quotes the start of the secret.
      throw new Error(`secret ${this.o.secretId} (${stage}) is not the JSON document the program writes`);
    }
    if (typeof v !== "string" || !v)
      throw new Error(`secret ${this.o.secretId} (${stage}) has no Auth__BootstrapToken`);
    return v;
  }

  private adminToken(): Promise<string> {
    this.token ??= this.tokenOf("AWSCURRENT").catch((e) => {
      this.token = undefined;
      throw e;
    });
    return this.token;
  }

  async ready(): Promise<{ ok: boolean; detail: string }> {
    try {
      const r = await sender(new URL(this.o.baseUrl), { requestTimeoutMs: 10_000 })({
        method: "GET",
        path: this.o.readyPath,
      });
      return r.status === 200
        ? { ok: true, detail: `${this.o.readyPath} 200` }
        : { ok: false, detail: `${this.o.readyPath} answered HTTP ${r.status}` };
    } catch (e) {
      return { ok: false, detail: `${this.o.readyPath}: ${(e as Error).message}` };
    }
  }

  async version(): Promise<{ service?: string; version?: string }> {
    const r = await sender(new URL(this.o.baseUrl), { requestTimeoutMs: 10_000 })({
      method: "GET",
      path: this.o.versionPath,
    });
    if (r.status !== 200) throw new Error(`${this.o.versionPath} answered HTTP ${r.status}`);
    return JSON.parse(r.body) as { service?: string; version?: string };
  }

  async opsSummary(): Promise<Record<string, unknown>> {
    const send = sender(new URL(this.o.baseUrl), { requestTimeoutMs: 10_000 });
    try {
      return await readOpsSummary(send, this.o.opsPath, await this.adminToken());
    } catch (e) {
      // After a rotation (app:secretRotation) Secrets Manager has the new token while the pods, which read
      // it once at start, still accept the previous one until they restart.
      if (!/HTTP 401/.test((e as Error).message)) throw e;
      return readOpsSummary(send, this.o.opsPath, await this.tokenOf("AWSPREVIOUS"));
    }
  }
}

/** SnapshotStore over RDS: DescribeDBSnapshots (manual, all pages, with tags) and DeleteDBSnapshot. */
export class RdsSnapshots implements SnapshotStore {
  constructor(private readonly client = new RDSClient({})) {}

  async list(dbInstanceIdentifier: string): Promise<DbSnapshot[]> {
    const out: DbSnapshot[] = [];
    let marker: string | undefined;
    try {
      do {
        const r = await this.client.send(
          new DescribeDBSnapshotsCommand({
            DBInstanceIdentifier: dbInstanceIdentifier,
            SnapshotType: "manual",
            Marker: marker,
          }),
        );
        for (const s of r.DBSnapshots ?? [])
          if (s.DBSnapshotIdentifier && s.SnapshotCreateTime)
            out.push({
              id: s.DBSnapshotIdentifier,
              createdAt: s.SnapshotCreateTime,
              tags: Object.fromEntries((s.TagList ?? []).map((t) => [t.Key ?? "", t.Value ?? ""])),
            });
        marker = r.Marker;
      } while (marker);
    } catch (e) {
      throw awsError(e, "RDS DescribeDBSnapshots");
    }
    return out;
  }

  async delete(id: string): Promise<void> {
    try {
      await this.client.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: id }));
    } catch (e) {
      throw awsError(e, `RDS DeleteDBSnapshot ${id}`);
    }
  }
}
