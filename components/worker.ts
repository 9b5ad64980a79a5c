// @readiness hardened-pods: worker pods on the hardened pod spec, with a PDB
import { LABEL } from "@app-rollout/shared";
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { Component } from "./component";
import { APP_LABEL } from "./namespace";
import { caBundle, hardenedContainer, hardenedPodSpec, type ResourceSizes } from "./pod-spec";

export interface WorkerArgs {
  image: string;
  replicas: number;
  /** Scale to 0 (runbook 004: scale down background workers during the migration). @default false */
  paused?: boolean;
  namespace: pulumi.Input<string>;
  provider: k8s.Provider;
  serviceAccountName: string;
  resources: ResourceSizes;
  /** Worker__PollSeconds, Worker__BatchSize, Worker__SearchJobMaxAttempts. */
  tuning: { pollSeconds: number; batchSize: number; searchJobMaxAttempts: number };
  /** Port of the worker's `/health/live` endpoint. */
  healthPort: number;
  /** Non-secret environment. @default none */
  env?: Record<string, pulumi.Input<string>>;
  /**
   * Where the worker publishes its metrics (the contract its alarms evaluate, docs/alarms.md): namespace,
   * metric names and the `Environment` dimension, as `Metrics__*` variables. @default none (publishes nothing)
   */
  metrics?: {
    namespace: string;
    environment: string;
    backlogMetric: string;
    failedJobsMetric: string;
    policyTimeoutsMetric: string;
  };
  /**
   * Runner image (app:smoke.image) whose init container provides the RDS CA bundle the connection string
   * verifies the server with (pod-spec.ts withRdsCaBundle). @default none (no bundle mounted)
   */
  caBundleImage?: string;
  /** Kubernetes Secrets mounted with envFrom. @default none */
  secretNames?: string[];
}

export const WORKER_COMPONENT = { [LABEL.component]: "worker" };

/**
 * The background worker: a hardened Deployment (no Service: it takes no traffic) with the tuning values
 * as environment, a liveness probe on its health port, rolling updates with maxUnavailable 0, and a
 * PodDisruptionBudget. `paused` scales it to 0 for the migration window.
 */
export class Worker extends Component {
  public static readonly type = "app:k8s:Worker";
  public readonly deployment: k8s.apps.v1.Deployment;

  constructor(name: string, args: WorkerArgs, opts?: pulumi.ComponentResourceOptions) {
    super(Worker.type, name, opts);
    const k = { parent: this, provider: args.provider };
    const labels = { ...APP_LABEL, ...WORKER_COMPONENT, [LABEL.name]: "artifortress-worker" };
    this.deployment = this.createDeployment(name, args, labels, k);
    this.createDisruptionBudget(name, args, labels, k);
    this.registerOutputs({ deployment: this.deployment.metadata.name, replicas: args.paused ? 0 : args.replicas });
  }

  private createDeployment(
    name: string,
    args: WorkerArgs,
    labels: Record<string, string>,
    k: ChildOptions,
  ): k8s.apps.v1.Deployment {
    return new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: { name: "worker", namespace: args.namespace, labels },
        spec: {
          replicas: args.paused ? 0 : args.replicas,
          revisionHistoryLimit: 5,
          selector: { matchLabels: WORKER_COMPONENT },
          strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
          template: {
            metadata: { labels },
            spec: caBundle(
              hardenedPodSpec({
                serviceAccountName: args.serviceAccountName,
                terminationGracePeriodSeconds: 120,
                topologySpreadConstraints: [
                  {
                    maxSkew: 1,
                    topologyKey: "topology.kubernetes.io/zone",
                    whenUnsatisfiable: "ScheduleAnyway",
                    labelSelector: { matchLabels: WORKER_COMPONENT },
                  },
                ],
                containers: [workerContainer(args, workerEnv(args))],
              }),
              args.caBundleImage,
            ),
          },
        },
      },
      k,
    );
  }

  private createDisruptionBudget(
    name: string,
    args: WorkerArgs,
    labels: Record<string, string>,
    k: ChildOptions,
  ): k8s.policy.v1.PodDisruptionBudget {
    return new k8s.policy.v1.PodDisruptionBudget(
      `${name}-pdb`,
      {
        metadata: { name: "worker", namespace: args.namespace, labels },
        spec: { maxUnavailable: 1, selector: { matchLabels: WORKER_COMPONENT } },
      },
      k,
    );
  }
}

interface ChildOptions {
  parent: pulumi.Resource;
  provider: k8s.Provider;
}

/** The given environment, the tuning values and, when set, the metrics contract (`Metrics__*`). */
function workerEnv(args: WorkerArgs): { name: string; value: pulumi.Input<string> }[] {
  return [
    ...Object.entries(args.env ?? {}).map(([n, value]) => ({ name: n, value })),
    { name: "Worker__PollSeconds", value: String(args.tuning.pollSeconds) },
    { name: "Worker__BatchSize", value: String(args.tuning.batchSize) },
    { name: "Worker__SearchJobMaxAttempts", value: String(args.tuning.searchJobMaxAttempts) },
    ...(args.metrics
      ? [
          { name: "Metrics__Namespace", value: args.metrics.namespace },
          { name: "Metrics__Dimensions__Environment", value: args.metrics.environment },
          { name: "Metrics__JobBacklog", value: args.metrics.backlogMetric },
          { name: "Metrics__FailedJobs", value: args.metrics.failedJobsMetric },
          { name: "Metrics__PolicyTimeouts", value: args.metrics.policyTimeoutsMetric },
        ]
      : []),
  ];
}

function workerContainer(
  args: WorkerArgs,
  env: { name: string; value: pulumi.Input<string> }[],
): k8s.types.input.core.v1.Container {
  return hardenedContainer(
    {
      name: "worker",
      image: args.image,
      ports: [{ name: "health", containerPort: args.healthPort }],
      env,
      envFrom: (args.secretNames ?? []).map((s) => ({ secretRef: { name: s } })),
      livenessProbe: {
        httpGet: { path: "/health/live", port: "health" },
        periodSeconds: 15,
        timeoutSeconds: 3,
        failureThreshold: 4,
      },
      readinessProbe: {
        httpGet: { path: "/health/live", port: "health" },
        periodSeconds: 10,
        timeoutSeconds: 3,
        failureThreshold: 3,
      },
    },
    args.resources,
  );
}
