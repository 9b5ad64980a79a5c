// @readiness alerting: ELB 5xx, database and worker backlog alarms with actions
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { PLATFORM_ALARMS, type PlatformAlarmId } from "../config/signals";
import { ALARM_DOCS } from "./color-alarms";
import { Component } from "./component";
import { platformAlarmName } from "./names";

export interface WorkerMetricContract {
  /** CloudWatch namespace the worker publishes to, with dimension `Environment=<stack>`. */
  namespace: string;
  backlogMetric: string;
  backlogThreshold: number;
  failedJobsMetric: string;
  failedJobsThreshold: number;
  policyTimeoutsMetric: string;
  policyTimeoutsThreshold: number;
}

export interface PlatformAlarmsArgs {
  namePrefix: string;
  /** Stack name: the `Environment` dimension of the worker metrics. */
  environmentDimension: string;
  topicArn: pulumi.Input<string>;
  loadBalancerArnSuffix: pulumi.Input<string>;
  /** ELB-generated 5xx per 5 minutes that alarm. @default 10 */
  elb5xxThreshold?: number;
  database: {
    identifier: pulumi.Input<string>;
    /** GiB, to turn the free-storage percentage into bytes. */
    allocatedStorageGiB: number;
    cpuPercent: number;
    freeStoragePercent: number;
    freeableMemoryMiB: number;
    maxConnections: number;
    /** Identifier of a read replica: adds a ReplicaLag alarm. @default none */
    replicaIdentifier?: pulumi.Input<string>;
  };
  worker: WorkerMetricContract;
}

/**
 * Alarms outside the per-color signals: the load balancer's own 5xx, the database (CPU, free storage,
 * freeable memory, connections, replica lag when a replica exists) and the worker's application metrics
 * (runbook 001 §7: job backlog growth, failed job spikes, policy timeout spikes). Every alarm notifies the
 * topic on ALARM and OK and says in its description what to do.
 */
export class PlatformAlarms extends Component {
  public static readonly type = "app:observability:PlatformAlarms";
  public readonly alarms: aws.cloudwatch.MetricAlarm[] = [];

  constructor(name: string, args: PlatformAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super(PlatformAlarms.type, name, opts);
    this.createLoadBalancerAlarm(name, args);
    this.createDatabaseAlarms(name, args, args.database);
    if (args.database.replicaIdentifier) this.createReplicaLagAlarm(name, args, args.database.replicaIdentifier);
    this.createWorkerAlarms(name, args, args.worker);
    this.registerOutputs({ alarmNames: this.alarms.map((a) => a.name) });
  }

  // Name, period and evaluation periods come from config/signals.ts (the driver and the schema read them).
  private alarm(name: string, args: PlatformAlarmsArgs, id: PlatformAlarmId, a: AlarmSpec): aws.cloudwatch.MetricAlarm {
    const actions = { alarmActions: [args.topicArn], okActions: [args.topicArn], actionsEnabled: true };
    const w = PLATFORM_ALARMS[id];
    const r = new aws.cloudwatch.MetricAlarm(
      `${name}-${id}`,
      {
        name: platformAlarmName(args.namePrefix, id),
        ...a,
        period: w.period,
        evaluationPeriods: w.evaluationPeriods,
        ...actions,
      },
      { parent: this },
    );
    this.alarms.push(r);
    return r;
  }

  private createLoadBalancerAlarm(name: string, args: PlatformAlarmsArgs): void {
    this.alarm(name, args, "elb-5xx", {
      alarmDescription: `Load balancer returned more than ${args.elb5xxThreshold ?? 10} 5xx in 5 min (no healthy target or misrouting). See ${ALARM_DOCS}#elb-5xx`,
      namespace: "AWS/ApplicationELB",
      metricName: "HTTPCode_ELB_5XX_Count",
      dimensions: { LoadBalancer: args.loadBalancerArnSuffix },
      statistic: "Sum",
      comparisonOperator: "GreaterThanThreshold",
      threshold: args.elb5xxThreshold ?? 10,
      treatMissingData: "notBreaching",
    });
  }

  private createDatabaseAlarms(name: string, args: PlatformAlarmsArgs, db: PlatformAlarmsArgs["database"]): void {
    const dbDims = { DBInstanceIdentifier: db.identifier };
    const rds = { namespace: "AWS/RDS", dimensions: dbDims };
    this.alarm(name, args, "db-cpu", {
      alarmDescription: `Database CPU above ${db.cpuPercent}% for 15 min. See ${ALARM_DOCS}#database`,
      ...rds,
      metricName: "CPUUtilization",
      statistic: "Average",
      comparisonOperator: "GreaterThanThreshold",
      threshold: db.cpuPercent,
      treatMissingData: "breaching",
    });
    this.alarm(name, args, "db-free-storage", {
      alarmDescription: `Database free storage below ${db.freeStoragePercent}% of ${db.allocatedStorageGiB} GiB. See ${ALARM_DOCS}#database`,
      ...rds,
      metricName: "FreeStorageSpace",
      statistic: "Minimum",
      comparisonOperator: "LessThanThreshold",
      threshold: Math.round(db.allocatedStorageGiB * 1024 ** 3 * (db.freeStoragePercent / 100)),
      treatMissingData: "breaching",
    });
    this.alarm(name, args, "db-freeable-memory", {
      alarmDescription: `Database freeable memory below ${db.freeableMemoryMiB} MiB for 15 min. See ${ALARM_DOCS}#database`,
      ...rds,
      metricName: "FreeableMemory",
      statistic: "Average",
      comparisonOperator: "LessThanThreshold",
      threshold: db.freeableMemoryMiB * 1024 * 1024,
      treatMissingData: "breaching",
    });
    this.alarm(name, args, "db-connections", {
      alarmDescription: `Database connections above ${db.maxConnections} for 10 min (pool leak or scale-out). See ${ALARM_DOCS}#database`,
      ...rds,
      metricName: "DatabaseConnections",
      statistic: "Maximum",
      comparisonOperator: "GreaterThanThreshold",
      threshold: db.maxConnections,
      treatMissingData: "breaching",
    });
  }

  private createReplicaLagAlarm(name: string, args: PlatformAlarmsArgs, replicaIdentifier: pulumi.Input<string>): void {
    this.alarm(name, args, "db-replica-lag", {
      alarmDescription: `Read replica more than 60 s behind for 10 min. See ${ALARM_DOCS}#database`,
      namespace: "AWS/RDS",
      dimensions: { DBInstanceIdentifier: replicaIdentifier },
      metricName: "ReplicaLag",
      statistic: "Maximum",
      comparisonOperator: "GreaterThanThreshold",
      threshold: 60,
      treatMissingData: "breaching",
    });
  }

  private createWorkerAlarms(name: string, args: PlatformAlarmsArgs, w: WorkerMetricContract): void {
    const app = { namespace: w.namespace, dimensions: { Environment: args.environmentDimension } };
    this.alarm(name, args, "worker-backlog", {
      alarmDescription: `Job backlog above ${w.backlogThreshold} for 15 min: the worker is not keeping up (paused? failing?). See ${ALARM_DOCS}#worker`,
      ...app,
      metricName: w.backlogMetric,
      statistic: "Maximum",
      comparisonOperator: "GreaterThanThreshold",
      threshold: w.backlogThreshold,
      treatMissingData: "missing",
    });
    this.alarm(name, args, "worker-failed-jobs", {
      alarmDescription: `More than ${w.failedJobsThreshold} failed jobs in 5 min. See ${ALARM_DOCS}#worker`,
      ...app,
      metricName: w.failedJobsMetric,
      statistic: "Sum",
      comparisonOperator: "GreaterThanThreshold",
      threshold: w.failedJobsThreshold,
      treatMissingData: "notBreaching",
    });
    this.alarm(name, args, "worker-policy-timeouts", {
      alarmDescription: `More than ${w.policyTimeoutsThreshold} policy evaluation timeouts in 5 min. See ${ALARM_DOCS}#worker`,
      ...app,
      metricName: w.policyTimeoutsMetric,
      statistic: "Sum",
      comparisonOperator: "GreaterThanThreshold",
      threshold: w.policyTimeoutsThreshold,
      treatMissingData: "notBreaching",
    });
  }
}

/** An alarm's own settings: actions, period and evaluation periods are set by `PlatformAlarms.alarm`. */
type AlarmSpec = Omit<
  aws.cloudwatch.MetricAlarmArgs,
  "alarmActions" | "okActions" | "actionsEnabled" | "period" | "evaluationPeriods"
>;
