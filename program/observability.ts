/**
 * Signals that decide go/no-go and rollback (runbook 004 rollback triggers, 001 §7 monitoring): the alert
 * topic first (backups, alarms and the driver report to it), then per-color and platform alarms, the
 * release dashboard and, on clusters with Prometheus Operator, the same SLOs as a PrometheusRule.
 */
import { AlertTopic } from "../components/alert-topic";
import type { Color } from "../components/blue-green";
import type { BlueGreenLoadBalancer } from "../components/blue-green-load-balancer";
import { ColorAlarms } from "../components/color-alarms";
import { ReleaseDashboard } from "../components/dashboard";
import type { Database } from "../components/database";
import type { AppNamespace } from "../components/namespace";
import { PlatformAlarms } from "../components/platform-alarms";
import { PrometheusSloRules } from "../components/prometheus-slo-rules";
import type { Ctx } from "./context";

export function createAlerting({ config, prefix }: Ctx) {
  return new AlertTopic("alerts", {
    name: `${prefix}-alerts`,
    emails: config.alarms.notificationEmails,
    httpsEndpoints: config.alarms.notificationHttpsEndpoints,
    releasesTopicName: `${prefix}-releases`,
    backupEventsTopicName: `${prefix}-backup-events`,
  });
}

function createColorAlarms({ config, prefix }: Ctx, lb: BlueGreenLoadBalancer, alerts: AlertTopic) {
  const al = config.alarms;
  const colorAlarms = {} as Record<Color, ColorAlarms>;
  for (const color of ["blue", "green"] as const) {
    colorAlarms[color] = new ColorAlarms(`alarms-${color}`, {
      color,
      namePrefix: prefix,
      loadBalancerArnSuffix: lb.arnSuffix,
      targetGroupArnSuffix: lb.targetGroups[color].arnSuffix,
      topicArn: alerts.arn,
      errorRatePercent: al.errorRatePercent,
      errorRateMinutes: al.errorRateMinutes,
      p95LatencySeconds: al.p95LatencySeconds,
      p95LatencyMinutes: al.p95LatencyMinutes,
      unhealthyHostMinutes: al.unhealthyHostMinutes,
    });
  }
  return colorAlarms;
}

function createPrometheusRules({ config, k8sProvider }: Ctx, ns: AppNamespace) {
  const al = config.alarms;
  if (!al.prometheusRule) return;
  new PrometheusSloRules("slo-rules", {
    namespace: ns.name,
    provider: k8sProvider,
    errorRatePercent: al.errorRatePercent,
    errorRateMinutes: al.errorRateMinutes,
    p95LatencySeconds: al.p95LatencySeconds,
    p95LatencyMinutes: al.p95LatencyMinutes,
    selectorLabels: al.prometheus.selectorLabels,
    prometheusNamespace: al.prometheus.namespace,
    apiPort: config.api.port,
    metricsPath: al.prometheus.metricsPath,
  });
}

export function createObservability(
  ctx: Ctx,
  r: { lb: BlueGreenLoadBalancer; db: Database; ns: AppNamespace; alerts: AlertTopic },
) {
  const { config, prefix, stack, region } = ctx;
  const al = config.alarms;
  const colorAlarms = createColorAlarms(ctx, r.lb, r.alerts);
  new PlatformAlarms("alarms", {
    namePrefix: prefix,
    environmentDimension: stack,
    topicArn: r.alerts.arn,
    loadBalancerArnSuffix: r.lb.arnSuffix,
    elb5xxThreshold: al.elb5xxThreshold,
    database: { identifier: r.db.identifier, allocatedStorageGiB: config.database.allocatedStorage, ...al.database },
    worker: al.workerMetrics,
  });
  new ReleaseDashboard("dashboard", {
    name: `${prefix}-release`,
    region,
    loadBalancerArnSuffix: r.lb.arnSuffix,
    targetGroupArnSuffixes: { blue: r.lb.targetGroups.blue.arnSuffix, green: r.lb.targetGroups.green.arnSuffix },
    databaseIdentifier: r.db.identifier,
    worker: al.workerMetrics,
    environmentDimension: stack,
    title: `${config.cluster.namespace} ${stack}`,
  });
  createPrometheusRules(ctx, r.ns);
  return { colorAlarms };
}
