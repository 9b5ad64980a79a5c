import { LABEL } from "@app-rollout/shared";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Component } from "./component";
import { APP_LABEL } from "./namespace";

export interface PrometheusSloRulesArgs {
  namespace: pulumi.Input<string>;
  provider: k8s.Provider;
  errorRatePercent: number;
  errorRateMinutes: number;
  p95LatencySeconds: number;
  p95LatencyMinutes: number;
  /** Labels the Prometheus ruleSelector / podMonitorSelector match. @default { release: "kube-prometheus-stack" } */
  selectorLabels?: Record<string, string>;
  /** Namespace Prometheus runs in (admitted to the API port). @default "monitoring" */
  prometheusNamespace?: string;
  /** API port (the metrics are served on it) and path. @default 8080, "/metrics" */
  apiPort?: number;
  metricsPath?: string;
}

/**
 * The same SLOs as the CloudWatch alarms, as a Prometheus Operator `PrometheusRule` for clusters that
 * scrape the API (OpenTelemetry .NET metric `http_server_request_duration_seconds`, per color through
 * the pod name `api-<color>-...`). Optional: `app:alarms.prometheusRule`.
 */
export class PrometheusSloRules extends Component {
  public static readonly type = "app:observability:PrometheusSloRules";

  constructor(name: string, args: PrometheusSloRulesArgs, opts?: pulumi.ComponentResourceOptions) {
    super(PrometheusSloRules.type, name, opts);
    const selectorLabels = args.selectorLabels ?? { release: "kube-prometheus-stack" };
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
        metadata: { name: "artifortress-slo", namespace: args.namespace, labels: { ...APP_LABEL, ...selectorLabels } },
        spec: { groups: [{ name: "artifortress-slo", rules }] },
      },
      { parent: this, provider: args.provider },
    );
    this.createScraping(name, args, selectorLabels);
    this.registerOutputs({});
  }

  /**
   * The rule evaluates nothing unless Prometheus scrapes the API: a PodMonitor for the API pods (both
   * colors) with the selector labels, and a NetworkPolicy that admits the Prometheus namespace to the API
   * port — the namespace's default-deny blocks it otherwise (components/namespace.ts).
   */
  private createScraping(name: string, args: PrometheusSloRulesArgs, selectorLabels: Record<string, string>): void {
    const api = { [LABEL.component]: "api" };
    const port = args.apiPort ?? 8080;
    new k8s.apiextensions.CustomResource(
      `${name}-pod-monitor`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PodMonitor",
        metadata: { name: "artifortress-api", namespace: args.namespace, labels: { ...APP_LABEL, ...selectorLabels } },
        spec: {
          selector: { matchLabels: api },
          podMetricsEndpoints: [{ port: "http", path: args.metricsPath ?? "/metrics", interval: "30s" }],
        },
      },
      { parent: this, provider: args.provider },
    );
    new k8s.networking.v1.NetworkPolicy(
      `${name}-allow-prometheus`,
      {
        metadata: { name: "allow-prometheus-to-api", namespace: args.namespace },
        spec: {
          podSelector: { matchLabels: api },
          policyTypes: ["Ingress"],
          ingress: [
            {
              from: [
                {
                  namespaceSelector: {
                    matchLabels: { "kubernetes.io/metadata.name": args.prometheusNamespace ?? "monitoring" },
                  },
                },
              ],
              ports: [{ protocol: "TCP", port }],
            },
          ],
        },
      },
      { parent: this, provider: args.provider },
    );
  }
}
