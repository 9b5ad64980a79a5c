import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { APP_LABEL } from "./namespace";

export interface PrometheusSloRulesArgs {
  namespace: pulumi.Input<string>;
  provider: k8s.Provider;
  errorRatePercent: number;
  errorRateMinutes: number;
  p95LatencySeconds: number;
  p95LatencyMinutes: number;
}

/**
 * The same SLOs as the CloudWatch alarms, as a Prometheus Operator `PrometheusRule` for clusters that
 * scrape the API (OpenTelemetry .NET metric `http_server_request_duration_seconds`, per color through
 * the pod name `api-<color>-...`). Optional: `app:alarms.prometheusRule`.
 */
export class PrometheusSloRules extends pulumi.ComponentResource {
  public static readonly type = "app:observability:PrometheusSloRules";

  constructor(name: string, args: PrometheusSloRulesArgs, opts?: pulumi.ComponentResourceOptions) {
    super(PrometheusSloRules.type, name, {}, opts);
    const sel = (extra = "") => `namespace="${"$NS"}",pod=~"api-(blue|green)-.*"${extra}`;
    const color = `label_replace(%s, "color", "$1", "pod", "api-(blue|green)-.*")`;
    const rate = (extra: string) =>
      color.replace("%s", `sum by (pod) (rate(http_server_request_duration_seconds_count{${sel(extra)}}[5m]))`);
    const rules = pulumi.output(args.namespace).apply((ns) => {
      const fill = (s: string) => s.split("$NS").join(ns);
      return [
        {
          alert: "ApiErrorRateHigh",
          expr: fill(
            `sum by (color) (${rate(',http_response_status_code=~"5.."')}) / sum by (color) (${rate("")}) * 100 > ${args.errorRatePercent}`,
          ),
          for: `${args.errorRateMinutes}m`,
          labels: { severity: "page" },
          annotations: {
            summary: "5xx rate above the rollback threshold on {{ $labels.color }}",
            runbook: "docs/alarms.md#error-rate",
          },
        },
        {
          alert: "ApiP95LatencyHigh",
          expr: fill(
            `histogram_quantile(0.95, sum by (le, color) (${color.replace("%s", `sum by (le, pod) (rate(http_server_request_duration_seconds_bucket{${sel()}}[5m]))`)})) > ${args.p95LatencySeconds}`,
          ),
          for: `${args.p95LatencyMinutes}m`,
          labels: { severity: "page" },
          annotations: {
            summary: "p95 latency above the rollback threshold on {{ $labels.color }}",
            runbook: "docs/alarms.md#p95-latency",
          },
        },
      ];
    });
    new k8s.apiextensions.CustomResource(
      `${name}-rule`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: { name: "artifortress-slo", namespace: args.namespace, labels: APP_LABEL },
        spec: { groups: [{ name: "artifortress-slo", rules }] },
      },
      { parent: this, provider: args.provider },
    );
    this.registerOutputs({});
  }
}
