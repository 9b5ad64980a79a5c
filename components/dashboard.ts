import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Color } from "./blue-green";
import { Component } from "./component";
import type { WorkerMetricContract } from "./platform-alarms";

export interface ReleaseDashboardArgs {
  /** Dashboard name, e.g. `artifortress-prod-release`. */
  name: string;
  region: pulumi.Input<string>;
  loadBalancerArnSuffix: pulumi.Input<string>;
  targetGroupArnSuffixes: Record<Color, pulumi.Input<string>>;
  databaseIdentifier: pulumi.Input<string>;
  worker: Pick<WorkerMetricContract, "namespace" | "backlogMetric" | "failedJobsMetric" | "policyTimeoutsMetric">;
  environmentDimension: string;
  /** Title shown on top, e.g. `artifortress prod`. Keep it free of release data (see below). */
  title: string;
}

type Widget = Record<string, unknown>;

/**
 * The picture an on-call engineer watches during a release: the traffic share of each color (measured
 * from RequestCount, so it shows the weights actually in effect), per-color request rate, 5xx rate, p95 and
 * healthy hosts side by side, database and worker panels.
 *
 * Weights and release version are deliberately not written into the dashboard as text: a traffic step or a
 * release would then change the dashboard too, and a traffic step must touch nothing but the production
 * listener (`pulumi stack output weights` / `release` show the configured values).
 */
export class ReleaseDashboard extends Component {
  public static readonly type = "app:observability:ReleaseDashboard";
  public readonly dashboard: aws.cloudwatch.Dashboard;

  constructor(name: string, args: ReleaseDashboardArgs, opts?: pulumi.ComponentResourceOptions) {
    super(ReleaseDashboard.type, name, opts);
    const body = pulumi
      .all([
        args.region,
        args.loadBalancerArnSuffix,
        args.targetGroupArnSuffixes.blue,
        args.targetGroupArnSuffixes.green,
        args.databaseIdentifier,
      ])
      .apply(([region, lb, blue, green, db]) =>
        JSON.stringify({ widgets: widgets(args, region, lb, { blue, green }, db) }),
      );
    this.dashboard = new aws.cloudwatch.Dashboard(
      `${name}-dashboard`,
      { dashboardName: args.name, dashboardBody: body },
      { parent: this },
    );
    this.registerOutputs({ dashboardName: this.dashboard.dashboardName });
  }
}

interface WidgetContext {
  args: ReleaseDashboardArgs;
  region: string;
  lb: string;
  tg: Record<Color, string>;
  db: string;
}

const COLORS: Color[] = ["blue", "green"];

function widgets(
  args: ReleaseDashboardArgs,
  region: string,
  lb: string,
  tg: Record<Color, string>,
  db: string,
): Widget[] {
  const x: WidgetContext = { args, region, lb, tg, db };
  return [titleWidget(args), trafficShareWidget(x), ...perColorWidgets(x), ...platformWidgets(x)];
}

function titleWidget(args: ReleaseDashboardArgs): Widget {
  return {
    type: "text",
    x: 0,
    y: 0,
    width: 24,
    height: 2,
    properties: {
      markdown: `## ${args.title}\nTraffic share per color is measured below; rollback signals are the composite \`*-rollback\` alarm of each color (docs/alarms.md). Configured weights and release: \`pulumi stack output weights\` / \`release\`.`,
    },
  };
}

function dims(x: WidgetContext, c: Color) {
  return ["TargetGroup", x.tg[c], "LoadBalancer", x.lb];
}

function trafficShareWidget(x: WidgetContext): Widget {
  return {
    type: "metric",
    x: 0,
    y: 26,
    width: 24,
    height: 6,
    properties: {
      title: "Traffic share per color (%) — the weights in effect",
      region: x.region,
      view: "timeSeries",
      period: 60,
      yAxis: { left: { min: 0, max: 100 } },
      metrics: [
        ["AWS/ApplicationELB", "RequestCount", ...dims(x, "blue"), { stat: "Sum", id: "qb", visible: false }],
        ["AWS/ApplicationELB", "RequestCount", ...dims(x, "green"), { stat: "Sum", id: "qg", visible: false }],
        [{ expression: "100*FILL(qb,0)/(FILL(qb,0)+FILL(qg,0))", label: "blue", id: "sb" }],
        [{ expression: "100*FILL(qg,0)/(FILL(qb,0)+FILL(qg,0))", label: "green", id: "sg" }],
      ],
    },
  };
}

function perColorWidgets(x: WidgetContext): Widget[] {
  const per = (title: string, y: number, metrics: (c: Color, i: number) => unknown[][]): Widget => ({
    type: "metric",
    x: y % 2 === 0 ? 0 : 12,
    y: 2 + Math.floor(y / 2) * 6,
    width: 12,
    height: 6,
    properties: {
      title,
      region: x.region,
      view: "timeSeries",
      period: 60,
      metrics: COLORS.flatMap((c, i) => metrics(c, i)),
    },
  });
  return [
    per("Requests per minute", 0, (c) => [
      ["AWS/ApplicationELB", "RequestCount", ...dims(x, c), { stat: "Sum", label: c }],
    ]),
    per("5xx error rate (%)", 1, (c, i) => [
      ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", ...dims(x, c), { stat: "Sum", id: `e${i}`, visible: false }],
      ["AWS/ApplicationELB", "RequestCount", ...dims(x, c), { stat: "Sum", id: `r${i}`, visible: false }],
      [{ expression: `100*FILL(e${i},0)/r${i}`, label: c, id: `rate${i}` }],
    ]),
    per("p95 response time (s)", 2, (c) => [
      ["AWS/ApplicationELB", "TargetResponseTime", ...dims(x, c), { stat: "p95", label: c }],
    ]),
    per("Healthy / unhealthy hosts", 3, (c) => [
      ["AWS/ApplicationELB", "HealthyHostCount", ...dims(x, c), { stat: "Minimum", label: `${c} healthy` }],
      ["AWS/ApplicationELB", "UnHealthyHostCount", ...dims(x, c), { stat: "Maximum", label: `${c} unhealthy` }],
    ]),
  ];
}

function platformWidgets(x: WidgetContext): Widget[] {
  const single = (title: string, left: number, y: number, metrics: unknown[][]): Widget => ({
    type: "metric",
    x: left,
    y,
    width: 8,
    height: 6,
    properties: { title, region: x.region, view: "timeSeries", period: 300, metrics },
  });
  const rds = (m: string, stat: string) => ["AWS/RDS", m, "DBInstanceIdentifier", x.db, { stat }];
  const w = x.args.worker;
  const app = (m: string, stat: string) => [w.namespace, m, "Environment", x.args.environmentDimension, { stat }];
  return [
    single("Database CPU (%)", 0, 14, [rds("CPUUtilization", "Average")]),
    single("Database connections", 8, 14, [rds("DatabaseConnections", "Maximum")]),
    single("Database free storage (bytes)", 16, 14, [rds("FreeStorageSpace", "Minimum")]),
    single("Worker job backlog", 0, 20, [app(w.backlogMetric, "Maximum")]),
    single("Worker failed jobs", 8, 20, [app(w.failedJobsMetric, "Sum")]),
    single("Worker policy timeouts", 16, 20, [app(w.policyTimeoutsMetric, "Sum")]),
  ];
}
