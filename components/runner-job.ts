/**
 * A Kubernetes Job of this project's runner image (runner/Dockerfile: `app-db-users`, `app-integrity-checks`)
 * that `pulumi up` waits for: waited as long as it may run (pulumi-kubernetes' Job await gives up after 10
 * min by default), replaced when a previous run failed (`replaceUnready`), hardened, no API token, every
 * value in the environment (secrets by secretKeyRef), nothing on argv.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { hardenedContainer, hardenedPodSpec, type ResourceSizes } from "./pod-spec";

type EnvVar = k8s.types.input.core.v1.EnvVar;

export interface RunnerJobArgs {
  jobName: string;
  namespace: pulumi.Input<string>;
  labels: Record<string, string>;
  runnerImage: string;
  /** The runner CLI, e.g. `app-db-users`. */
  command: string;
  env: EnvVar[];
  deadlineSeconds: number;
  backoffLimit: number;
  /** @default { cpu: "100m", memory: "128Mi" } */
  resources?: ResourceSizes;
}

/** PGHOST/PGPORT/PGDATABASE of the instance a runner Job connects to (not secret). */
export function databaseEnv(address: pulumi.Input<string>, port: pulumi.Input<number>, dbName: string): EnvVar[] {
  return [
    { name: "PGHOST", value: address },
    { name: "PGPORT", value: pulumi.interpolate`${port}` },
    { name: "PGDATABASE", value: dbName },
  ];
}

export function fromSecret(name: string, secret: string, key: string): EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secret, key } } };
}

export function runnerJob(logicalName: string, a: RunnerJobArgs, opts: pulumi.CustomResourceOptions): k8s.batch.v1.Job {
  return new k8s.batch.v1.Job(
    logicalName,
    {
      metadata: {
        name: a.jobName,
        namespace: a.namespace,
        labels: a.labels,
        annotations: {
          "pulumi.com/timeoutSeconds": String(a.deadlineSeconds + 120),
          "pulumi.com/replaceUnready": "true",
        },
      },
      spec: {
        backoffLimit: a.backoffLimit,
        activeDeadlineSeconds: a.deadlineSeconds + 60,
        template: {
          metadata: { labels: a.labels },
          spec: hardenedPodSpec({
            restartPolicy: "Never",
            automountServiceAccountToken: false,
            containers: [
              hardenedContainer(
                { name: a.command.replace(/^app-/, ""), image: a.runnerImage, command: [a.command], env: a.env },
                a.resources ?? { cpu: "100m", memory: "128Mi" },
              ),
            ],
          }),
        },
      },
    },
    opts,
  );
}
