// @readiness zero-downtime health-probes: Deployment with maxUnavailable 0, PDB, preStop, readiness gates, live/ready probes
import { LABEL } from "@app-rollout/shared";
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { Color } from "./blue-green";
import { Component } from "./component";
import { APP_LABEL } from "./namespace";
import { caBundle, hardenedContainer, hardenedPodSpec, type ResourceSizes } from "./pod-spec";

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
  /**
   * Runner image (app:smoke.image) whose init container provides the RDS CA bundle the connection string
   * verifies the server with (pod-spec.ts withRdsCaBundle). @default none (no bundle mounted)
   */
  caBundleImage?: string;

  /** Target group of this color (TargetGroupBinding). */
  targetGroupArn: pulumi.Input<string>;
  /** ALB security group allowed to reach the pods (the controller manages the rule). */
  albSecurityGroupId: pulumi.Input<string>;
  /** Target group deregistration delay: the preStop sleep is 10 s longer so no request is cut. */
  deregistrationDelaySeconds: number;
}

export const API_COMPONENT = { [LABEL.component]: "api" };

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
    const a = normalizeArgs(args);
    const k = { parent: this, provider: a.provider };
    this.service = this.createService(name, a, k);
    this.binding = this.createTargetGroupBinding(name, a, k, this.service);
    this.deployment = this.createDeployment(name, a, k, [this.service, this.binding]);
    this.createDisruptionBudget(name, a, k);
    if (a.autoscaling) this.createAutoscaler(name, a, a.autoscaling, k, this.deployment);

    this.registerOutputs({ deployment: this.deployment.metadata.name, service: this.service.metadata.name });
  }

  private createService(name: string, a: NormalizedArgs, k: ChildOptions): k8s.core.v1.Service {
    return new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: a.appName, namespace: a.namespace, labels: a.labels },
        spec: {
          type: "ClusterIP",
          selector: { ...API_COMPONENT, [LABEL.color]: a.color },
          ports: [{ name: "http", port: a.port, targetPort: "http" }],
        },
      },
      k,
    );
  }

  private createTargetGroupBinding(
    name: string,
    a: NormalizedArgs,
    k: ChildOptions,
    service: k8s.core.v1.Service,
  ): k8s.apiextensions.CustomResource {
    return new k8s.apiextensions.CustomResource(
      `${name}-tgb`,
      {
        apiVersion: "elbv2.k8s.aws/v1beta1",
        kind: "TargetGroupBinding",
        metadata: { name: a.appName, namespace: a.namespace, labels: a.labels },
        spec: {
          serviceRef: { name: a.appName, port: a.port },
          targetGroupARN: a.targetGroupArn,
          targetType: "ip",
          networking: {
            ingress: [
              {
                from: [{ securityGroup: { groupID: a.albSecurityGroupId } }],
                ports: [{ protocol: "TCP", port: a.port }],
              },
            ],
          },
        },
      },
      { ...k, dependsOn: [service] },
    );
  }

  private createDeployment(
    name: string,
    a: NormalizedArgs,
    k: ChildOptions,
    waitFor: pulumi.Resource[],
  ): k8s.apps.v1.Deployment {
    return new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: { name: a.appName, namespace: a.namespace, labels: a.deploymentLabels },
        spec: {
          // With an HPA the autoscaler owns the replica count; setting it here would fight it.
          replicas: a.autoscaling ? undefined : a.replicas,
          revisionHistoryLimit: 5,
          selector: { matchLabels: { ...API_COMPONENT, [LABEL.color]: a.color } },
          strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" } },
          template: {
            metadata: { labels: a.labels },
            spec: caBundle(
              hardenedPodSpec({
                serviceAccountName: a.serviceAccountName,
                terminationGracePeriodSeconds: a.preStopSeconds + 30,
                topologySpreadConstraints: [
                  {
                    maxSkew: 1,
                    topologyKey: "topology.kubernetes.io/zone",
                    whenUnsatisfiable: "ScheduleAnyway",
                    labelSelector: { matchLabels: { ...API_COMPONENT, [LABEL.color]: a.color } },
                  },
                ],
                containers: [apiContainer(a)],
              }),
              a.caBundleImage,
            ),
          },
        },
      },
      // Children do not inherit a component's dependsOn: the Deployment itself waits (e.g. for the migration Job),
      // and for its Service and TargetGroupBinding: the AWS Load Balancer Controller injects the pod readiness
      // gate only into pods created after both exist (LBC docs, "Pod readiness gate"), so without them the
      // pods would count as ready before the target group sees them healthy.
      { ...k, dependsOn: waitFor },
    );
  }

  private createDisruptionBudget(name: string, a: NormalizedArgs, k: ChildOptions): k8s.policy.v1.PodDisruptionBudget {
    return new k8s.policy.v1.PodDisruptionBudget(
      `${name}-pdb`,
      {
        metadata: { name: a.appName, namespace: a.namespace, labels: a.labels },
        spec: { maxUnavailable: 1, selector: { matchLabels: { ...API_COMPONENT, [LABEL.color]: a.color } } },
      },
      k,
    );
  }

  private createAutoscaler(
    name: string,
    a: NormalizedArgs,
    autoscaling: NonNullable<ApiColorArgs["autoscaling"]>,
    k: ChildOptions,
    deployment: k8s.apps.v1.Deployment,
  ): k8s.autoscaling.v2.HorizontalPodAutoscaler {
    return new k8s.autoscaling.v2.HorizontalPodAutoscaler(
      `${name}-hpa`,
      {
        metadata: { name: a.appName, namespace: a.namespace, labels: a.labels },
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: a.appName },
          minReplicas: a.replicas,
          maxReplicas: autoscaling.maxReplicas,
          metrics: [
            {
              type: "Resource",
              resource: {
                name: "cpu",
                target: { type: "Utilization", averageUtilization: autoscaling.targetCpuPercent },
              },
            },
          ],
        },
      },
      { ...k, dependsOn: [deployment] },
    );
  }
}

interface ChildOptions {
  parent: pulumi.Resource;
  provider: k8s.Provider;
}

type NormalizedArgs = ApiColorArgs & {
  appName: string;
  labels: Record<string, string>;
  deploymentLabels: Record<string, string>;
  preStopSeconds: number;
  envVars: { name: string; value: pulumi.Input<string> }[];
};

/** Names, labels and derived values every child uses. */
function normalizeArgs(args: ApiColorArgs): NormalizedArgs {
  const labels = {
    ...APP_LABEL,
    ...API_COMPONENT,
    [LABEL.name]: "artifortress-api",
    [LABEL.color]: args.color,
  };
  return {
    ...args,
    appName: `api-${args.color}`,
    labels,
    // On the Deployment only (not the pod template): scaling down must not restart the pods.
    deploymentLabels: { ...labels, ...(args.scaledDown ? { [LABEL.scaledDown]: "true" } : {}) },
    preStopSeconds: args.deregistrationDelaySeconds + 10,
    envVars: Object.entries(args.env ?? {}).map(([name, value]) => ({ name, value })),
  };
}

/** The API container: probes on the health paths, preStop longer than the deregistration delay. */
function apiContainer(a: NormalizedArgs): k8s.types.input.core.v1.Container {
  return hardenedContainer(
    {
      name: "api",
      image: a.image,
      ports: [{ name: "http", containerPort: a.port }],
      env: [
        ...a.envVars,
        { name: "ASPNETCORE_URLS", value: `http://+:${a.port}` },
        { name: "ROLLOUT_COLOR", value: a.color },
      ],
      envFrom: (a.secretNames ?? []).map((s) => ({ secretRef: { name: s } })),
      startupProbe: {
        httpGet: { path: a.healthPaths.live, port: "http" },
        periodSeconds: 5,
        failureThreshold: 30,
      },
      livenessProbe: {
        httpGet: { path: a.healthPaths.live, port: "http" },
        periodSeconds: 10,
        timeoutSeconds: 2,
        failureThreshold: 3,
      },
      readinessProbe: {
        httpGet: { path: a.healthPaths.ready, port: "http" },
        periodSeconds: 5,
        timeoutSeconds: 2,
        failureThreshold: 2,
        successThreshold: 1,
      },
      lifecycle: { preStop: { sleep: { seconds: a.preStopSeconds } } },
    },
    a.resources,
  );
}
