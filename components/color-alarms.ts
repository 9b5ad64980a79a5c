// @readiness rollback-triggers alerting: per-color error-rate and p95 alarms at the rollback triggers, composite rollback alarm
import { thresholdNumber } from "@app-rollout/shared";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Color } from "./blue-green";
import { Component } from "./component";
import { colorAlarmName, rollbackAlarmName } from "./names";

export interface ColorAlarmsArgs {
  color: Color;
  /** Prefix of alarm names, e.g. `artifortress-prod`. */
  namePrefix: string;
  /** `arnSuffix` of the load balancer and of this color's target group (CloudWatch dimensions). */
  loadBalancerArnSuffix: pulumi.Input<string>;
  targetGroupArnSuffix: pulumi.Input<string>;
  /** Alarm and OK actions. */
  topicArn: pulumi.Input<string>;
  /** 5xx rate threshold in percent. @default 1 */
  errorRatePercent?: number;
  /** Minutes the error rate must stay above the threshold. @default 5 */
  errorRateMinutes?: number;
  /** p95 latency threshold in seconds. @default 1 */
  p95LatencySeconds?: number;
  /** Minutes p95 must stay above the threshold. @default 5 */
  p95LatencyMinutes?: number;
  /** Minutes with an unhealthy target. @default 2 */
  unhealthyHostMinutes?: number;
}

/** Where each alarm's runbook lives (alarm descriptions link here). */
export const ALARM_DOCS = "docs/alarms.md";

/**
 * The rollback signals of one color, judged alone through its target group dimensions
 * (`TargetGroup` + `LoadBalancer`), per runbook 004 "Rollback triggers":
 * - 5xx error rate > 1 % for 5 minutes: metric math `100*FILL(m5xx,0)/mRequests`;
 * - p95 `TargetResponseTime` > 1 s for 5 minutes;
 * - `UnHealthyHostCount` > 0;
 * - a composite rollback alarm = any of them, which the rollout driver watches.
 */
export class ColorAlarms extends Component {
  public static readonly type = "app:observability:ColorAlarms";
  public readonly errorRate: aws.cloudwatch.MetricAlarm;
  public readonly p95: aws.cloudwatch.MetricAlarm;
  public readonly unhealthyHosts: aws.cloudwatch.MetricAlarm;
  public readonly rollback: aws.cloudwatch.CompositeAlarm;
  public readonly rollbackAlarmName: string;

  constructor(name: string, args: ColorAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super(ColorAlarms.type, name, opts);
    const a = normalizeArgs(args);
    this.errorRate = this.createErrorRateAlarm(name, a);
    this.p95 = this.createP95Alarm(name, a);
    this.unhealthyHosts = this.createUnhealthyHostsAlarm(name, a);
    this.rollbackAlarmName = rollbackAlarmName(a.namePrefix, a.color);
    this.rollback = this.createRollbackAlarm(name, a, this.rollbackAlarmName, {
      errorRate: this.errorRate,
      p95: this.p95,
      unhealthyHosts: this.unhealthyHosts,
    });
    this.registerOutputs({
      rollbackAlarmName: this.rollbackAlarmName,
      alarmNames: [this.errorRate.name, this.p95.name, this.unhealthyHosts.name],
    });
  }

  private createErrorRateAlarm(name: string, a: NormalizedArgs): aws.cloudwatch.MetricAlarm {
    const metric = (metricName: string, stat: string) => ({
      namespace: "AWS/ApplicationELB",
      metricName,
      dimensions: dimensions(a),
      period: 60,
      stat,
    });
    return new aws.cloudwatch.MetricAlarm(
      `${name}-error-rate`,
      {
        name: colorAlarmName(a.namePrefix, a.color, "error-rate"),
        alarmDescription: `${a.color}: target 5xx rate above ${a.errorRatePercent}% for ${a.errorRateMinutes} min. Roll back traffic to the other color: see ${ALARM_DOCS}#error-rate`,
        comparisonOperator: "GreaterThanThreshold",
        threshold: a.errorRatePercent,
        evaluationPeriods: a.errorRateMinutes,
        datapointsToAlarm: a.errorRateMinutes,
        treatMissingData: "notBreaching",
        metricQueries: [
          { id: "m5xx", metric: metric("HTTPCode_Target_5XX_Count", "Sum"), returnData: false },
          { id: "mRequests", metric: metric("RequestCount", "Sum"), returnData: false },
          {
            id: "errorRate",
            expression: "100*FILL(m5xx,0)/mRequests",
            label: `${a.color} 5xx error rate (%)`,
            returnData: true,
          },
        ],
        ...actions(a),
      },
      { parent: this },
    );
  }

  private createP95Alarm(name: string, a: NormalizedArgs): aws.cloudwatch.MetricAlarm {
    return new aws.cloudwatch.MetricAlarm(
      `${name}-p95`,
      {
        name: colorAlarmName(a.namePrefix, a.color, "p95-latency"),
        alarmDescription: `${a.color}: p95 response time above ${a.p95LatencySeconds}s for ${a.p95LatencyMinutes} min. Roll back traffic: see ${ALARM_DOCS}#p95-latency`,
        namespace: "AWS/ApplicationELB",
        metricName: "TargetResponseTime",
        dimensions: dimensions(a),
        extendedStatistic: "p95",
        period: 60,
        comparisonOperator: "GreaterThanThreshold",
        threshold: a.p95LatencySeconds,
        evaluationPeriods: a.p95LatencyMinutes,
        datapointsToAlarm: a.p95LatencyMinutes,
        treatMissingData: "notBreaching",
        ...actions(a),
      },
      { parent: this },
    );
  }

  private createUnhealthyHostsAlarm(name: string, a: NormalizedArgs): aws.cloudwatch.MetricAlarm {
    return new aws.cloudwatch.MetricAlarm(
      `${name}-unhealthy`,
      {
        name: colorAlarmName(a.namePrefix, a.color, "unhealthy-hosts"),
        alarmDescription: `${a.color}: a target failed the ${"readiness"} health check for ${a.unhealthyHostMinutes} min. Check the pods: see ${ALARM_DOCS}#unhealthy-hosts`,
        namespace: "AWS/ApplicationELB",
        metricName: "UnHealthyHostCount",
        dimensions: dimensions(a),
        statistic: "Maximum",
        period: 60,
        comparisonOperator: "GreaterThanThreshold",
        threshold: 0,
        evaluationPeriods: a.unhealthyHostMinutes,
        datapointsToAlarm: a.unhealthyHostMinutes,
        treatMissingData: "notBreaching",
        ...actions(a),
      },
      { parent: this },
    );
  }

  /** Any of the three signals: the alarm the rollout driver watches. */
  private createRollbackAlarm(
    name: string,
    a: NormalizedArgs,
    alarmName: string,
    signals: Pick<ColorAlarms, "errorRate" | "p95" | "unhealthyHosts">,
  ): aws.cloudwatch.CompositeAlarm {
    return new aws.cloudwatch.CompositeAlarm(
      `${name}-rollback`,
      {
        alarmName,
        alarmDescription: `${a.color}: any rollback trigger (error rate, p95, unhealthy hosts). The rollout driver rolls back when this is in ALARM: see ${ALARM_DOCS}#rollback`,
        alarmRule: pulumi.interpolate`ALARM("${signals.errorRate.name}") OR ALARM("${signals.p95.name}") OR ALARM("${signals.unhealthyHosts.name}")`,
        ...actions(a),
      },
      { parent: this },
    );
  }
}

/** Defaults spread under the given args (runbook 004 "Rollback triggers"). */
function normalizeArgs(args: ColorAlarmsArgs) {
  return {
    errorRatePercent: thresholdNumber("rollback-triggers", "maxErrorRatePercent", "prod"),
    errorRateMinutes: thresholdNumber("rollback-triggers", "maxWindowMinutes", "prod"),
    p95LatencySeconds: thresholdNumber("rollback-triggers", "maxP95Seconds", "prod"),
    p95LatencyMinutes: thresholdNumber("rollback-triggers", "maxWindowMinutes", "prod"),
    unhealthyHostMinutes: 2,
    ...args,
  };
}

type NormalizedArgs = ReturnType<typeof normalizeArgs>;

/** This color's target group on this load balancer (CloudWatch dimensions). */
function dimensions(a: NormalizedArgs) {
  return { LoadBalancer: a.loadBalancerArnSuffix, TargetGroup: a.targetGroupArnSuffix };
}

function actions(a: NormalizedArgs) {
  return { alarmActions: [a.topicArn], okActions: [a.topicArn], actionsEnabled: true };
}
