import * as assert from "node:assert/strict";
import { diffPlans } from "../../gate/diff";
import { ofType, one, plan, STACKS, validConfig } from "../support/stacks";

// biome-ignore lint/suspicious/noExplicitAny: captured inputs are untyped JSON
type Inputs = Record<string, any>;
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm";

describe("alarms, alerting and dashboard", () => {
  for (const stack of STACKS) {
    describe(`${stack} stack`, () => {
      const cfg = validConfig(stack);
      const prefix = `artifortress-${stack}`;

      for (const color of ["blue", "green"] as const) {
        it(`${color}: error-rate metric math, p95 and unhealthy-host alarms on its own target group, and the composite`, async () => {
          const p = await plan(stack);
          const tgUrn = one(p, "aws:lb/targetGroup:TargetGroup", `edge-tg-${color}`).urn;
          const lbUrn = one(p, "aws:lb/loadBalancer:LoadBalancer", "edge-alb").urn;
          const tgSuffix = new RegExp(`^targetgroup/edge-tg-${color}-[0-9a-z]{7}/[0-9a-f]{16}$`);

          const er = one(p, ALARM, `alarms-${color}-error-rate`);
          const e = er.inputs as Inputs;
          assert.equal(e.name, `${prefix}-${color}-error-rate`);
          assert.deepEqual(
            e.metricQueries.map((q: Inputs) => q.id),
            ["m5xx", "mRequests", "errorRate"],
          );
          assert.equal(e.metricQueries[2].expression, "100*FILL(m5xx,0)/mRequests");
          assert.equal(e.metricQueries[2].returnData, true);
          assert.equal(e.metricQueries[0].metric.metricName, "HTTPCode_Target_5XX_Count");
          assert.equal(e.metricQueries[1].metric.metricName, "RequestCount");
          for (const q of e.metricQueries.slice(0, 2)) {
            assert.equal(q.metric.stat, "Sum");
            assert.equal(q.metric.period, 60);
            assert.match(q.metric.dimensions.TargetGroup, tgSuffix);
            assert.match(q.metric.dimensions.LoadBalancer, new RegExp(`^app/${prefix}/[0-9a-f]{16}$`));
          }
          assert.deepEqual([...er.propertyDependencies.metricQueries].sort(), [lbUrn, tgUrn].sort());
          assert.equal(e.threshold, cfg.alarms.errorRatePercent);
          assert.equal(e.evaluationPeriods, cfg.alarms.errorRateMinutes);
          assert.equal(e.datapointsToAlarm, cfg.alarms.errorRateMinutes);
          assert.equal(e.comparisonOperator, "GreaterThanThreshold");

          const p95 = one(p, ALARM, `alarms-${color}-p95`).inputs as Inputs;
          assert.equal(p95.metricName, "TargetResponseTime");
          assert.equal(p95.extendedStatistic, "p95");
          assert.equal(p95.statistic, undefined);
          assert.equal(p95.threshold, cfg.alarms.p95LatencySeconds);
          assert.equal(p95.evaluationPeriods, cfg.alarms.p95LatencyMinutes);
          assert.equal(p95.period, 60);
          assert.match(p95.dimensions.TargetGroup, tgSuffix);

          const un = one(p, ALARM, `alarms-${color}-unhealthy`).inputs as Inputs;
          assert.equal(un.metricName, "UnHealthyHostCount");
          assert.equal(un.threshold, 0);
          assert.equal(un.comparisonOperator, "GreaterThanThreshold");
          assert.match(un.dimensions.TargetGroup, tgSuffix);

          const comp = one(p, COMPOSITE, `alarms-${color}-rollback`).inputs as Inputs;
          assert.equal(comp.alarmName, `${prefix}-${color}-rollback`);
          assert.equal(
            comp.alarmRule,
            `ALARM("${prefix}-${color}-error-rate") OR ALARM("${prefix}-${color}-p95-latency") OR ALARM("${prefix}-${color}-unhealthy-hosts")`,
          );
          assert.deepEqual(p.outputs.rollbackAlarms, {
            blue: `${prefix}-blue-rollback`,
            green: `${prefix}-green-rollback`,
          });
        });
      }

      it("every alarm notifies the encrypted topic on ALARM and OK and says what to do", async () => {
        const p = await plan(stack);
        const topic = one(p, "aws:sns/topic:Topic", "alerts-topic");
        const alarms = [...ofType(p, ALARM), ...ofType(p, COMPOSITE)];
        assert.ok(alarms.length >= 15, `only ${alarms.length} alarms`);
        for (const a of alarms) {
          for (const prop of ["alarmActions", "okActions"]) {
            assert.deepEqual(a.propertyDependencies[prop], [topic.urn], `${a.name} ${prop} → alert topic`);
            assert.equal((a.inputs[prop] as string[]).length, 1, `${a.name} ${prop}`);
          }
          assert.match(
            a.inputs.alarmDescription as string,
            /docs\/alarms\.md#[a-z0-9-]+/,
            `${a.name} links its runbook`,
          );
          if (a.type === ALARM) assert.ok(a.inputs.treatMissingData, `${a.name} treatMissingData`);
        }
        const names = ofType(p, ALARM).map((a) => a.name);
        for (const n of [
          "alarms-elb-5xx",
          "alarms-db-cpu",
          "alarms-db-free-storage",
          "alarms-db-freeable-memory",
          "alarms-db-connections",
          "alarms-worker-backlog",
          "alarms-worker-failed-jobs",
          "alarms-worker-policy-timeouts",
        ])
          assert.ok(names.includes(n), `missing ${n}`);
        const backlog = one(p, ALARM, "alarms-worker-backlog").inputs as Inputs;
        assert.equal(backlog.namespace, cfg.alarms.workerMetrics.namespace);
        assert.deepEqual(backlog.dimensions, { Environment: stack });
        const storage = one(p, ALARM, "alarms-db-free-storage").inputs as Inputs;
        assert.equal(storage.threshold, Math.round(cfg.database.allocatedStorage * 1024 ** 3 * 0.1));
      });

      it("the topic is encrypted with a CMK whose policy lets CloudWatch (and AWS Backup) use it", async () => {
        const p = await plan(stack);
        const topic = one(p, "aws:sns/topic:Topic", "alerts-topic");
        const key = one(p, "aws:kms/key:Key", "alerts-cmk-key");
        assert.deepEqual(topic.propertyDependencies.kmsMasterKeyId, [key.urn]);
        assert.doesNotMatch(topic.inputs.kmsMasterKeyId as string, /alias\/aws\/sns/);
        const policy = JSON.parse(key.inputs.policy as string);
        const allow = policy.Statement.find((s: Inputs) => s.Sid === "AllowAlarmPublishers");
        assert.ok(allow.Principal.Service.includes("cloudwatch.amazonaws.com"));
        assert.ok(allow.Action.includes("kms:GenerateDataKey*") && allow.Action.includes("kms:Decrypt"));
        assert.ok(allow.Condition?.StringEquals?.["aws:SourceAccount"], "only for this account's alarms and vaults");
        const topicPolicy = JSON.parse(
          one(p, "aws:sns/topicPolicy:TopicPolicy", "alerts-policy").inputs.policy as string,
        );
        assert.ok(topicPolicy.Statement[0].Principal.Service.includes("cloudwatch.amazonaws.com"));
        const subs = ofType(p, "aws:sns/topicSubscription:TopicSubscription")
          .filter((s) => s.propertyDependencies.topic?.includes(topic.urn))
          .map((s) => `${s.inputs.protocol}:${s.inputs.endpoint}`);
        assert.deepEqual(
          subs.sort(),
          [
            ...cfg.alarms.notificationEmails.map((e) => `email:${e}`),
            ...cfg.alarms.notificationHttpsEndpoints.map((u) => `https:${u}`),
          ].sort(),
        );
        // Routine release events: their own topic, same CMK, the email subscriptions only — never the pager.
        const releases = one(p, "aws:sns/topic:Topic", "alerts-releases");
        assert.deepEqual(releases.propertyDependencies.kmsMasterKeyId, [key.urn]);
        assert.deepEqual(
          ofType(p, "aws:sns/topicSubscription:TopicSubscription")
            .filter((s) => s.propertyDependencies.topic?.includes(releases.urn))
            .map((s) => `${s.inputs.protocol}:${s.inputs.endpoint}`)
            .sort(),
          cfg.alarms.notificationEmails.map((e) => `email:${e}`).sort(),
        );
        // AWS Backup: supported events only (the *_FAILED job events are deprecated and never sent), to its own
        // topic whose subscriptions keep everything but a successful completion (State attribute).
        const notifications = one(p, "aws:backup/vaultNotifications:VaultNotifications", "backups-notifications");
        const events = one(p, "aws:sns/topic:Topic", "alerts-backup-events");
        assert.deepEqual(notifications.propertyDependencies.snsTopicArn, [events.urn]);
        const supported = [
          "BACKUP_JOB_STARTED",
          "BACKUP_JOB_COMPLETED",
          "COPY_JOB_STARTED",
          "COPY_JOB_SUCCESSFUL",
          "COPY_JOB_FAILED",
          "RESTORE_JOB_STARTED",
          "RESTORE_JOB_COMPLETED",
          "RECOVERY_POINT_MODIFIED",
          "S3_BACKUP_OBJECT_FAILED",
          "S3_RESTORE_OBJECT_FAILED",
        ];
        const used = notifications.inputs.backupVaultEvents as string[];
        assert.deepEqual(
          used.filter((e) => !supported.includes(e)),
          [],
          "only supported vault events",
        );
        assert.ok(used.includes("BACKUP_JOB_COMPLETED") && used.includes("RESTORE_JOB_COMPLETED"));
        const eventSubs = ofType(p, "aws:sns/topicSubscription:TopicSubscription").filter((x) =>
          x.propertyDependencies.topic?.includes(events.urn),
        );
        assert.equal(eventSubs.length, subs.length, "the same people hear of backup failures");
        for (const x of eventSubs)
          assert.deepEqual(JSON.parse(x.inputs.filterPolicy as string), { State: [{ "anything-but": ["COMPLETED"] }] });
      });

      it("the dashboard body is valid JSON that references both target groups", async () => {
        const p = await plan(stack);
        const body = JSON.parse(
          one(p, "aws:cloudwatch/dashboard:Dashboard", "dashboard-dashboard").inputs.dashboardBody as string,
        );
        const text = JSON.stringify(body);
        for (const color of ["blue", "green"])
          assert.match(text, new RegExp(`targetgroup/edge-tg-${color}-[0-9a-z]{7}/[0-9a-f]{16}`));
        const titles = body.widgets.map((w: Inputs) => w.properties.title).filter(Boolean);
        for (const t of [
          "Requests per minute",
          "5xx error rate (%)",
          "p95 response time (s)",
          "Healthy / unhealthy hosts",
          "Database CPU (%)",
          "Worker job backlog",
        ])
          assert.ok(titles.includes(t), `missing panel ${t}`);
        assert.ok(titles.some((t: string) => t.startsWith("Traffic share per color")));
      });
    });
  }

  it("changing a threshold changes only the alarms that use it", async () => {
    const base = await plan("prod");
    const err = diffPlans(base, await plan("prod", { alarms: { errorRatePercent: 2 } }));
    assert.deepEqual(err.added.concat(err.removed), []);
    assert.deepEqual(
      err.changed.map((c) => [c.name, c.paths.filter((x) => !x.startsWith("alarmDescription"))]),
      [
        ["alarms-blue-error-rate", ["threshold"]],
        ["alarms-green-error-rate", ["threshold"]],
      ],
    );
    const p95 = diffPlans(base, await plan("prod", { alarms: { p95LatencySeconds: 0.5 } }));
    assert.deepEqual(p95.changed.map((c) => c.name).sort(), ["alarms-blue-p95", "alarms-green-p95"]);
  });

  it("the PrometheusRule is created only when enabled", async () => {
    assert.equal(ofType(await plan("staging"), "kubernetes:monitoring.coreos.com/v1:PrometheusRule").length, 0);
    const p = await plan("staging", { alarms: { prometheusRule: true } });
    const rule = one(p, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", "slo-rules-rule").inputs as Inputs;
    const rules = rule.spec.groups[0].rules;
    assert.deepEqual(
      rules.map((r: Inputs) => r.alert),
      ["ApiErrorRateHigh", "ApiP95LatencyHigh"],
    );
    assert.match(rules[0].expr, /> 1$/);
    assert.equal(rules[0].for, "5m");
    assert.match(rules[1].expr, /histogram_quantile\(0\.95,.*namespace="artifortress"/);
    // Prometheus finds the rule and the monitor only by its selector labels, and reaches the pods only
    // through a NetworkPolicy (the namespace denies ingress by default).
    const labels = { release: "kube-prometheus-stack" };
    assert.deepEqual({ ...(rule.metadata.labels as Inputs), ...labels }, rule.metadata.labels);
    const monitor = one(p, "kubernetes:monitoring.coreos.com/v1:PodMonitor", "slo-rules-pod-monitor").inputs as Inputs;
    assert.equal(monitor.metadata.labels.release, "kube-prometheus-stack");
    assert.deepEqual(monitor.spec.selector.matchLabels, { "app.kubernetes.io/component": "api" });
    assert.deepEqual(monitor.spec.podMetricsEndpoints[0], { port: "http", path: "/metrics", interval: "30s" });
    const np = one(p, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "slo-rules-allow-prometheus").inputs as Inputs;
    assert.deepEqual(np.spec.ingress[0].from[0].namespaceSelector.matchLabels, {
      "kubernetes.io/metadata.name": "monitoring",
    });
    assert.equal(np.spec.ingress[0].ports[0].port, 8080);
  });
});
