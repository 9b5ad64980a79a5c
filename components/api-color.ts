import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { Color } from "./blue-green";
import { Component } from "./component";
import { APP_LABEL } from "./namespace";
import { hardenedContainer, hardenedPodSpec, type ResourceSizes } from "./pod-spec";

export interface ApiColorArgs {
  color: Color;
  /** Immutable image reference of this color. */
  image: string;
  /** Replicas; ignored when `autoscaling` is set (the HPA owns `spec.replicas`). */
  replicas: number;
  /** The color is scaled down to idle replicas and takes no traffic (labelled so policies can tell). @default false */
  scaledDown?: boolean;
  /** HPA with `minReplicas` = `replicas`. @default none */
  autoscaling?: { maxReplicas: number; targetCpuPercent: number };
  namespace: pulumi.Input<string>;
  provider: k8s.Provider;
  serviceAccountName: string;
  port: number;
  healthPaths: { live: string; ready: string };
  resources: ResourceSizes;
  /** Non-secret environment. @default none */
  env?: Record<string, pulumi.Input<string>>;
  /** Kubernetes Secrets (from External Secrets) mounted with envFrom. @default none */
  secretNames?: string[];
  /** Target group of this color (TargetGroupBinding). */
  targetGroupArn: pulumi.Input<string>;
  /** ALB security group allowed to reach the pods (the controller manages the rule). */
  albSecurityGroupId: pulumi.Input<string>;
  /** Target group deregistration delay: the preStop sleep is 10 s longer so no request is cut. */
  deregistrationDelaySeconds: number;
}

export const API_COMPONENT = { "app.kubernetes.io/component": "api" };

/**
 * One color of the API: Deployment (hardened, probes, zero-downtime rolling update, zone spread, preStop
 * longer than deregistration), ClusterIP Service, PodDisruptionBudget, optional HPA, and the
 * `TargetGroupBinding` that registers the pods as `ip` targets of the color's target group.
 */
export class ApiColor extends Component {
  public static readonly type = "app:k8s:ApiColor";
  public readonly deployment: k8s.apps.v1.Deployment;
  public readonly service: k8s.core.v1.Service;
  public readonly binding: k8s.apiextensions.CustomResource;

  constructor(name: string, args: ApiColorArgs, opts?: pulumi.ComponentResourceOptions) {
    super(ApiColor.type, name, opts);
    const k = { parent: this, provider: args.provider };
    const appName = `api-${args.color}`;
    const labels = {
      ...APP_LABEL,
      ...API_COMPONENT,
      "app.kubernetes.io/name": "artifortress-api",
      "rollout/color": args.color,
    };
    // On the Deployment only (not the pod template): scaling down must not restart the pods.
    const deploymentLabels = { ...labels, ...(args.scaledDown ? { "rollout/scaled-down": "true" } : {}) };
    const preStopSeconds = args.deregistrationDelaySeconds + 10;
    const env = Object.entries(args.env ?? {}).map(([name, value]) => ({ name, value }));

    this.service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: appName, namespace: args.namespace, labels },
        spec: {
          type: "ClusterIP",
          selector: { ...API_COMPONENT, "rollout/color": args.color },
          ports: [{ name: "http", port: args.port, targetPort: "http" }],
        },
      },
      k,
    );

    this.binding = new k8s.apiextensions.CustomResource(
      `${name}-tgb`,
      {
        apiVersion: "elbv2.k8s.aws/v1beta1",
        kind: "TargetGroupBinding",
        metadata: { name: appName, namespace: args.namespace, labels },
        spec: {
          serviceRef: { name: appName, port: args.port },
          targetGroupARN: args.targetGroupArn,
          targetType: "ip",
          networking: {
            ingress: [
              {
                from: [{ securityGroup: { groupID: args.albSecurityGroupId } }],
                ports: [{ protocol: "TCP", port: args.port }],
              },
            ],
          },
        },
      },
      { ...k, dependsOn: [this.service] },
    );

    this.deployment = new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: { name: appName, namespace: args.namespace, labels: deploymentLabels },
        spec: {
          // With an HPA the autoscaler owns the replica count; setting it here would fight it.
          replicas: args.autoscaling ? undefined : args.replicas,
          revisionHistoryLimit: 5,
          selector: { matchLabels: { ...API_COMPONENT, "rollout/color": args.color } },
          strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" } },
          template: {
            metadata: { labels },
            spec: hardenedPodSpec({
              serviceAccountName: args.serviceAccountName,
              terminationGracePeriodSeconds: preStopSeconds + 30,
              topologySpreadConstraints: [
                {
                  maxSkew: 1,
                  topologyKey: "topology.kubernetes.io/zone",
                  whenUnsatisfiable: "ScheduleAnyway",
                  labelSelector: { matchLabels: { ...API_COMPONENT, "rollout/color": args.color } },
                },
              ],
              containers: [
                hardenedContainer(
                  {
                    name: "api",
                    image: args.image,
                    ports: [{ name: "http", containerPort: args.port }],
                    env: [
                      ...env,
                      { name: "ASPNETCORE_URLS", value: `http://+:${args.port}` },
                      { name: "ROLLOUT_COLOR", value: args.color },
                    ],
                    envFrom: (args.secretNames ?? []).map((s) => ({ secretRef: { name: s } })),
                    startupProbe: {
                      httpGet: { path: args.healthPaths.live, port: "http" },
                      periodSeconds: 5,
                      failureThreshold: 30,
                    },
                    livenessProbe: {
                      httpGet: { path: args.healthPaths.live, port: "http" },
                      periodSeconds: 10,
                      timeoutSeconds: 2,
                      failureThreshold: 3,
                    },
                    readinessProbe: {
                      httpGet: { path: args.healthPaths.ready, port: "http" },
                      periodSeconds: 5,
                      timeoutSeconds: 2,
                      failureThreshold: 2,
                      successThreshold: 1,
                    },
                    lifecycle: { preStop: { sleep: { seconds: preStopSeconds } } },
                  },
                  args.resources,
                ),
              ],
            }),
          },
        },
      },
      // Children do not inherit a component's dependsOn: the Deployment itself waits (e.g. for the migration Job),
      // and for its Service and TargetGroupBinding: the AWS Load Balancer Controller injects the pod readiness
      // gate only into pods created after both exist (LBC docs, "Pod readiness gate"), so without them the
      // pods would count as ready before the target group sees them healthy.
      { ...k, dependsOn: [this.service, this.binding] },
    );

    new k8s.policy.v1.PodDisruptionBudget(
      `${name}-pdb`,
      {
        metadata: { name: appName, namespace: args.namespace, labels },
        spec: { maxUnavailable: 1, selector: { matchLabels: { ...API_COMPONENT, "rollout/color": args.color } } },
      },
      k,
    );

    if (args.autoscaling) {
      new k8s.autoscaling.v2.HorizontalPodAutoscaler(
        `${name}-hpa`,
        {
          metadata: { name: appName, namespace: args.namespace, labels },
          spec: {
            scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: appName },
            minReplicas: args.replicas,
            maxReplicas: args.autoscaling.maxReplicas,
            metrics: [
              {
                type: "Resource",
                resource: {
                  name: "cpu",
                  target: { type: "Utilization", averageUtilization: args.autoscaling.targetCpuPercent },
                },
              },
            ],
          },
        },
        { ...k, dependsOn: [this.deployment] },
      );
    }

    this.registerOutputs({ deployment: this.deployment.metadata.name, service: this.service.metadata.name });
  }
}
